import { CliError, EXIT } from '../cli.error';
import type { CliCommand, CliContext } from '../cli.command';
import { render } from '../cli.output';

type ConfigLib = typeof import('../config.lib');

/**
 * The config library with every section of the service registered (what a start validates).
 * Loaded on first use, so the HTTP commands do not pay for it. Sections of plugin modules
 * (`modules:`) are not known here: their keys read as unknown.
 */
function configLib(): ConfigLib {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('../config.lib') as ConfigLib;
}

/** `mira config validate [file]` and `mira config print [--effective] [--show-sources]`: local, no service. */
export const configCommand: CliCommand = {
  register(program, ctx) {
    const config = program
      .command('config')
      .description(
        'check and show the configuration (read locally: MIRA_CONFIG_FILE or config/mira.yaml, and MIRA_* env)',
      );
    config
      .command('validate [file]')
      .description(
        'validate a config file as a start would; every problem with file, line and a suggestion; exit 1 if any',
      )
      .action((file: string | undefined) => validate(ctx, file));
    config
      .command('print')
      .description('print the configuration with secrets masked')
      .option('--effective', 'every key, defaults included (validated)')
      .option('--show-sources', 'where each value comes from (file, env VAR, default)')
      .option('-f, --file <file>', 'the config file (default: MIRA_CONFIG_FILE, else config/mira.yaml)')
      .action((o: { effective?: boolean; showSources?: boolean; file?: string }) => print(ctx, o));
  },
};

function validate(ctx: CliContext, file: string | undefined): void {
  const lib = configLib();
  const result = lib.checkConfig(file ? { file } : {});
  if (ctx.output() === 'json') ctx.write(render(result, 'json'));
  else if (result.ok) {
    ctx.write(`${result.file ?? '(no config file: defaults and environment)'}: valid\n`);
  } else {
    for (const p of result.problems) {
      const where = p.file
        ? `${p.file}${p.line ? `:${p.line}` : ''}`
        : (/\(set by (env \w+)\)/.exec(p.message)?.[1] ?? 'config');
      ctx.write(`${where}: ${p.message}\n`);
    }
    ctx.write(`${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}\n`);
  }
  for (const d of result.deprecations) process.stderr.write(`mira: warning: ${d}\n`);
  if (!result.ok) throw new CliError('', EXIT.checkFailed);
}

function print(ctx: CliContext, o: { effective?: boolean; showSources?: boolean; file?: string }): void {
  const lib = configLib();
  let explained: ReturnType<ConfigLib['explainConfig']>;
  try {
    explained = lib.explainConfig(o.file ? { file: o.file } : {}, { effective: o.effective === true });
  } catch (err) {
    if (err instanceof lib.ConfigError)
      throw new CliError(
        `${err.message}\nrun \`mira config validate\` for each problem's line`,
        EXIT.checkFailed,
      );
    throw err;
  }
  if (ctx.output() === 'json') {
    ctx.write(render(o.showSources ? explained : { file: explained.file, values: explained.values }, 'json'));
    return;
  }
  // One `key: value` line per leaf: greppable, and the source beside it when asked.
  const rows = Object.entries(explained.sources).map(([path, source]) => {
    const value = JSON.stringify(lib.getPath(explained.values, path) ?? null);
    return o.showSources ? `${path}: ${value}  # ${source}` : `${path}: ${value}`;
  });
  ctx.write(`# ${explained.file ?? 'no config file'}\n${rows.join('\n')}\n`);
}
