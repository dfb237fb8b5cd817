import type { CliCommand } from '../cli.command';
import { render } from '../cli.output';

const COLUMNS = ['workflow_id', 'workflow_type', 'status', 'risk_level', 'requested_by', 'created_at'];

/** `mira workflows list|show|approve|reject|cancel`. */
export const workflowsCommand: CliCommand = {
  register(program, ctx) {
    const wf = program.command('workflows').alias('wf').description('list, show and decide workflows');
    wf.command('list')
      .description('list workflows, newest first')
      .option('--status <status>', 'only this status (e.g. awaiting_approval)')
      .option('--type <type>', 'only this workflow type')
      .option('--limit <n>', 'at most n items')
      .action(async (o: { status?: string; type?: string; limit?: string }) => {
        const q = new URLSearchParams();
        if (o.status) q.set('status', o.status);
        if (o.type) q.set('type', o.type);
        if (o.limit) q.set('limit', o.limit);
        const page = await ctx
          .client()
          .call<{ items: Record<string, unknown>[] }>('GET', `api/v1/workflows${q.size ? `?${q}` : ''}`);
        ctx.write(ctx.output() === 'json' ? render(page, 'json') : render(page.items, 'table', COLUMNS));
      });
    wf.command('show <id>')
      .description('show one workflow with its steps and decisions')
      .action(async (id: string) => {
        const view = await ctx.client().call('GET', `api/v1/workflows/${encodeURIComponent(id)}`);
        // A workflow is nested (steps, decisions): JSON in both formats.
        ctx.write(render(view, 'json'));
      });
    const decide = (verb: 'approve' | 'reject' | 'cancel', needsComment: boolean) =>
      wf
        .command(`${verb} <id>`)
        .description(`${verb} a workflow awaiting approval`)
        .option(
          needsComment ? '-c, --comment <text>' : '-c, --comment [text]',
          'why (kept in the audit trail)',
        )
        .action(async (id: string, o: { comment?: string }) => {
          const body = o.comment === undefined ? {} : { comment: o.comment };
          const view = await ctx
            .client()
            .call<Record<string, unknown>>(
              'POST',
              `api/v1/workflows/${encodeURIComponent(id)}/${verb}`,
              body,
            );
          ctx.write(
            ctx.output() === 'json'
              ? render(view, 'json')
              : render(view, 'table', ['workflow_id', 'workflow_type', 'status']),
          );
        });
    decide('approve', false);
    decide('reject', true);
    decide('cancel', false);
  },
};
