import type { CliCommand } from '../cli.command';
import { auditCommand } from './audit.command';
import { completionCommand } from './completion.command';
import { configCommand } from './config.command';
import { eventsCommand } from './events.command';
import { healthCommand } from './health.command';
import { schedulesCommand } from './schedules.command';
import { workflowsCommand } from './workflows.command';

/**
 * Every command, one file each. A new one (schedules, backup...) is a file exporting a CliCommand
 * plus its line here; completion stays last so its script sees every other command.
 */
export const COMMANDS: readonly CliCommand[] = [
  healthCommand,
  configCommand,
  workflowsCommand,
  auditCommand,
  eventsCommand,
  schedulesCommand,
  completionCommand,
];
