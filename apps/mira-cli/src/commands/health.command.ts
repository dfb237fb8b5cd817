import { CliError, EXIT } from '../cli.error';
import type { CliCommand } from '../cli.command';
import { render } from '../cli.output';

interface Health {
  status: string;
  checks?: Record<string, { status: string; reason?: string | null }>;
}

/** `mira health`: the service's /healthz; exit 1 when unhealthy. */
export const healthCommand: CliCommand = {
  register(program, ctx) {
    program
      .command('health')
      .description('show the service health (/healthz); exit 1 when unhealthy')
      .action(async () => {
        let health: Health;
        try {
          health = await ctx.client().call<Health>('GET', 'healthz');
        } catch (err) {
          // 503 answers the same body: an unhealthy service is a result, not a transport failure.
          if (err instanceof CliError && err.exitCode === EXIT.serverError && /unhealthy/.test(err.message))
            throw new CliError(err.message, EXIT.checkFailed);
          throw err;
        }
        const rows = Object.entries(health.checks ?? {}).map(([name, c]) => ({
          check: name,
          status: c.status,
          reason: c.reason ?? '',
        }));
        ctx.write(
          ctx.output() === 'json'
            ? render(health, 'json')
            : `status: ${health.status}\n${render(rows, 'table', ['check', 'status', 'reason'])}`,
        );
      });
  },
};
