import type { Command } from 'commander';
import type { MiraClient } from './cli.client';
import type { OutputFormat } from './cli.output';

/** What every command gets at run time, from the global options. */
export interface CliContext {
  client(): MiraClient;
  output(): OutputFormat;
  write(text: string): void;
}

/** One command (with its subcommands) per file; main.ts registers each from COMMANDS. */
export interface CliCommand {
  register(program: Command, ctx: CliContext): void;
}
