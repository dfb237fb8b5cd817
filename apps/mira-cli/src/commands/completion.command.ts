import type { Command } from 'commander';
import type { CliCommand } from '../cli.command';

/** The command tree as `path -> words`: the root's commands, then each command's subcommands. */
function words(cmd: Command, prefix: string, out: Map<string, string[]>): void {
  const subs = cmd.commands.map((c) => c.name());
  const opts = cmd.options.map((o) => o.long).filter((o): o is string => !!o);
  out.set(prefix, [...subs, ...opts]);
  for (const c of cmd.commands) words(c, prefix ? `${prefix} ${c.name()}` : c.name(), out);
}

/** `mira completion bash`: a bash completion script (`source <(mira completion bash)`). */
export const completionCommand: CliCommand = {
  register(program, ctx) {
    program
      .command('completion')
      .description('print a shell completion script: source <(mira completion bash)')
      .argument('[shell]', 'bash (zsh loads it through bashcompinit)', 'bash')
      .action(() => {
        const tree = new Map<string, string[]>();
        words(program, '', tree);
        const cases = [...tree].map(([path, w]) => `    "${path}") words="${w.join(' ')}" ;;`).join('\n');
        ctx.write(
          [
            '# mira bash completion',
            '_mira() {',
            '  local cur path i',
            '  cur="${COMP_WORDS[COMP_CWORD]}"',
            '  path=""',
            '  for ((i = 1; i < COMP_CWORD; i++)); do',
            '    case "${COMP_WORDS[i]}" in -*) ;; *) path="${path:+$path }${COMP_WORDS[i]}" ;; esac',
            '  done',
            '  local words=""',
            '  case "$path" in',
            cases,
            '  esac',
            '  COMPREPLY=($(compgen -W "$words" -- "$cur"))',
            '}',
            'complete -F _mira mira',
            '',
          ].join('\n'),
        );
      });
  },
};
