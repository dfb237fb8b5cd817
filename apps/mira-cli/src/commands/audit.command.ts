import { CliError, EXIT } from '../cli.error';
import type { CliCommand } from '../cli.command';
import { render } from '../cli.output';

/** `mira audit verify`: walks the hash chain; exit 1 when it is broken. */
export const auditCommand: CliCommand = {
  register(program, ctx) {
    const audit = program.command('audit').description('the audit trail');
    audit
      .command('verify')
      .description('verify the hash-chained audit trail; exit 1 if broken')
      .action(async () => {
        const r = await ctx
          .client()
          .call<{ ok: boolean; entries: number; first_bad_seq?: number; reason?: string }>(
            'GET',
            'api/v1/audit/verify',
          );
        ctx.write(
          ctx.output() === 'json'
            ? render(r, 'json')
            : r.ok
              ? `audit trail intact: ${r.entries} entries\n`
              : `audit trail BROKEN${r.reason ? ` (${r.reason})` : ''}${r.first_bad_seq === undefined ? '' : ` at entry ${r.first_bad_seq}`} (of ${r.entries})\n`,
        );
        if (!r.ok) throw new CliError('', EXIT.checkFailed);
      });
  },
};
