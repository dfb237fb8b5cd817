import type { CliCommand } from '../cli.command';
import { render } from '../cli.output';

const COLUMNS = ['name', 'cron', 'timezone', 'paused', 'source', 'last_scheduled', 'owner'];

/** `mira schedules list`: the schedules of the service (GET /api/v1/schedules). */
export const schedulesCommand: CliCommand = {
  register(program, ctx) {
    const schedules = program.command('schedules').description('scheduled workflows');
    schedules
      .command('list')
      .description('list schedules')
      .action(async () => {
        const r = await ctx
          .client()
          .call<{ schedules: Record<string, unknown>[] }>('GET', 'api/v1/schedules');
        ctx.write(ctx.output() === 'json' ? render(r, 'json') : render(r.schedules, 'table', COLUMNS));
      });
  },
};
