import { runWithContextFields } from '@mira/logging';
import { OrchestratorService } from '../orchestrator/orchestrator.service';
import { UnknownWorkflowError } from './workflow.error';
import {
  boot,
  EchoTwiceModule,
  projectData,
  reconfigure,
  RUN_UNASSESSED,
  WEDNESDAY,
  type Booted,
} from './workflow.engine.testing';
import { useQuietBoot } from '../agents.testing';

// Running steps as durable records. These workflows need no review: the policy lets unassessed
// work run (the default holds it; see workflow.governance.spec.ts).
describe('WorkflowEngine', () => {
  let b: Booted;
  useQuietBoot(() => b);

  describe('running', () => {
    beforeEach(async () => {
      b = await boot({ imports: [EchoTwiceModule], overrides: RUN_UNASSESSED });
    });

    it('runs project_initialization: plan -> risks -> report, as a stored record', async () => {
      const { record, created } = await b.engine.submit(
        { workflow_type: 'project_initialization', data: { ...projectData, workflow_id: 'wf-1' } },
        { actor: 'alice' },
      );
      expect(created).toBe(true);
      expect(record).toMatchObject({
        workflow_id: 'wf-1',
        workflow_type: 'project_initialization',
        status: 'completed',
        requested_by: 'alice',
        governance: null,
        risk_level: 'low',
        lease_owner: null,
      });
      expect(record.steps.map((s) => [s.step, s.status])).toEqual([
        ['generate_plan', 'success'],
        ['assess_risks', 'success'],
        ['generate_report', 'success'],
      ]);
      const [plan, risks, report] = record.steps.map((s) => s.result as any);
      expect(plan.milestones.map((m: { id: string; week: number }) => [m.id, m.week])).toEqual([
        ['M1', 2],
        ['M2', 4],
      ]);
      expect(plan.tasks).toHaveLength(6);
      // The risk step receives the plan: its description and its 6 tasks over 4 weeks.
      expect(risks).toMatchObject({ project_name: 'Apollo', risk_score: 83.33, total_risks: 2 });
      expect(risks.risks.map((r: { pattern: string }) => r.pattern)).toEqual([
        'tight_deadline',
        'new_technology',
      ]);
      // The report step receives the plan plus the risks.
      expect(report).toMatchObject({
        project_name: 'Apollo',
        report_date: WEDNESDAY.toISOString(),
        summary: {
          total_tasks: 6,
          completed_tasks: 0,
          in_progress_tasks: 0,
          not_started_tasks: 6,
          completion_percentage: 0,
        },
        upcoming_milestones: [{ name: 'Design', week: 2 }],
        risks_and_blockers: [{ id: 'R1', description: 'Potential schedule risk detected', severity: 'high' }],
        next_week_plan: ['Continue work on 0 in-progress tasks', 'Start 5 new tasks'],
      });
      expect(await b.store.getWorkflow('wf-1')).toEqual(record);
      const audit = await b.store.listAudit({ workflow_id: 'wf-1', limit: 10 });
      expect(audit.items.map((e) => [e.actor, e.action, e.from_status, e.to_status])).toEqual([
        ['alice', 'created', null, 'running'],
        ['system', 'completed', 'running', 'completed'],
      ]);
    });

    it('runs a workflow another module declares, found by discovery', async () => {
      const { record } = await b.engine.submit(
        { workflow_type: 'echo_twice', data: { name: 'X' } },
        { actor: 'a' },
      );
      expect(record.status).toBe('completed');
      expect(record.steps.map((s) => s.step)).toEqual(['generate_plan', 'update_plan']);
      expect(record.steps[1].result).toMatchObject({ name: 'X', echoed: true });
    });

    it('is reachable as a `workflow` message for a named requester, and refused without one', async () => {
      const orchestrator = b.ref.get(OrchestratorService);
      const message = {
        type: 'workflow',
        data: { workflow_type: 'project_initialization', data: projectData },
      };
      const { response, ...outcome } = await runWithContextFields({ actor: 'dana' }, () =>
        orchestrator.route(message),
      );
      expect(outcome).toEqual({ ok: true });
      expect(response.agent_id).toBe('orchestrator');
      const result = response.data as any;
      expect(result.workflow_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(result.status).toBe('completed');
      expect(result.requested_by).toBe('dana');

      // Fail closed: with nobody named, separation of duties could not hold.
      const anonymous = await orchestrator.route(message);
      expect(anonymous).toMatchObject({ ok: false, code: 'invalid_input' });
      expect(anonymous.response.error).toContain('A workflow needs a requester');
    });

    it('answers a redelivered `workflow` message with the same workflow', async () => {
      const orchestrator = b.ref.get(OrchestratorService);
      const message = {
        type: 'workflow',
        data: { workflow_type: 'project_initialization', data: projectData },
      };
      const send = () =>
        runWithContextFields({ actor: 'dana' }, () =>
          orchestrator.route(message, { idempotencyKey: 'broker:m-1' }),
        );
      const first = (await send()).response.data as any;
      const again = (await send()).response.data as any;
      expect(again.workflow_id).toBe(first.workflow_id);
      expect((await b.store.listWorkflows({ limit: 10 })).items).toHaveLength(1);
    });

    it('stops at the first failed step', async () => {
      const { record } = await b.engine.submit(
        { workflow_type: 'project_initialization', data: { goals: 'not a list' } },
        { actor: 'a' },
      );
      expect(record.status).toBe('failed');
      expect(record.steps).toEqual([
        {
          step: 'generate_plan',
          status: 'error',
          result: expect.stringMatching(/^Invalid data for generate_plan: goals: /),
        },
      ]);
    });

    it('does not run the report when the risk step fails', async () => {
      reconfigure(b.config, { ...RUN_UNASSESSED, agents: { risk_assessment_agent: { enabled: false } } });
      const { record } = await b.engine.submit(
        { workflow_type: 'project_initialization', data: projectData },
        { actor: 'a' },
      );
      expect(record.status).toBe('failed');
      expect(record.steps.map((s) => [s.step, s.status])).toEqual([
        ['generate_plan', 'success'],
        ['assess_risks', 'error'],
      ]);
      expect(record.steps[1].result).toBe('Agent not found: risk_assessment_agent');
    });

    it('refuses a workflow id that exists, and returns the same record for a repeated Idempotency-Key', async () => {
      const request = {
        workflow_type: 'project_initialization',
        data: { ...projectData, workflow_id: 'wf-same' },
      };
      await b.engine.submit(request, { actor: 'a' });
      await expect(b.engine.submit(request, { actor: 'a' })).rejects.toMatchObject({
        code: 'WORKFLOW_ALREADY_EXISTS',
      });

      const first = await b.engine.submit(
        { ...request, data: projectData },
        { actor: 'a', idempotencyKey: 'k1' },
      );
      const again = await b.engine.submit(
        { ...request, data: projectData },
        { actor: 'a', idempotencyKey: 'k1' },
      );
      expect(again).toEqual({ record: first.record, created: false });
      await expect(
        b.engine.submit({ ...request, data: { other: true } }, { actor: 'a', idempotencyKey: 'k1' }),
      ).rejects.toMatchObject({ code: 'WORKFLOW_IDEMPOTENCY_MISMATCH' });
      // Keys belong to their requester.
      expect(
        (await b.engine.submit({ ...request, data: projectData }, { actor: 'b', idempotencyKey: 'k1' }))
          .created,
      ).toBe(true);
    });

    it('rejects an unknown workflow type', async () => {
      await expect(
        b.engine.submit({ workflow_type: 'nope', data: {} }, { actor: 'a' }),
      ).rejects.toBeInstanceOf(UnknownWorkflowError);
      const routed = await runWithContextFields({ actor: 'dana' }, () =>
        b.ref.get(OrchestratorService).route({ type: 'workflow', data: { workflow_type: 'nope', data: {} } }),
      );
      expect(routed).toMatchObject({ ok: false, code: 'invalid_input' });
      expect(routed.response).toMatchObject({
        agent_id: 'orchestrator',
        status: 'error',
        data: null,
        error: 'Unknown workflow type: nope (known: project_initialization, echo_twice)',
      });
    });
  });
});
