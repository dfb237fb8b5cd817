#!/usr/bin/env node
import { Command, CommanderError, Option } from 'commander';
import { MiraClient } from './cli.client';
import type { CliContext } from './cli.command';
import { CliError, EXIT } from './cli.error';
import type { OutputFormat } from './cli.output';
import { COMMANDS } from './commands';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

function version(): string {
  // dist/apps/mira-cli/src/main.js and apps/mira-cli/src/main.ts are both 3 levels below the root.
  for (const up of ['../../..', '../../../..']) {
    try {
      return (JSON.parse(readFileSync(join(__dirname, up, 'package.json'), 'utf8')) as { version: string })
        .version;
    } catch {
      continue;
    }
  }
  return '0.0.0';
}

/** Builds the `mira` program; `write` receives everything a command prints on stdout. */
export function buildProgram(write: (text: string) => void, env: NodeJS.ProcessEnv = process.env): Command {
  const program = new Command('mira')
    .description('Mira from the command line: talks to a running service over HTTP')
    .version(version(), '-V, --version')
    .option('--url <url>', 'the service URL (env MIRA_URL)', env.MIRA_URL ?? 'http://127.0.0.1:3000')
    // No default shown: the key from the environment must not appear in --help.
    .option('--key <key>', 'an API key (env MIRA_API_KEY)')
    .addOption(
      new Option('-o, --output <format>', 'table or json').choices(['table', 'json']).default('table'),
    )
    .showHelpAfterError()
    .exitOverride();
  const ctx: CliContext = {
    client: () => {
      const o = program.opts<{ url: string; key?: string }>();
      return new MiraClient({ url: o.url, key: o.key ?? env.MIRA_API_KEY });
    },
    output: () => program.opts<{ output: OutputFormat }>().output,
    write,
  };
  for (const command of COMMANDS) command.register(program, ctx);
  for (const c of program.commands) c.exitOverride();
  return program;
}

/** Runs argv; answers the exit code (usage 2, unreachable 3, denied 4, ... see EXIT). */
export async function run(argv: string[]): Promise<number> {
  const program = buildProgram((t) => process.stdout.write(t));
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError)
      // --help and --version end through here too, with exit code 0.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    if (err instanceof CliError) {
      if (err.message) process.stderr.write(`mira: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`mira: ${(err as Error).message}\n`);
    return EXIT.checkFailed;
  }
}

if (require.main === module) void run(process.argv.slice(2)).then((code) => (process.exitCode = code));
