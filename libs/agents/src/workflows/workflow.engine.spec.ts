import { Injectable, Logger, Module, type Type } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { MESSAGE_BROKER, type BrokerMessage, type MessageBroker } from '@mira/broker';
import { ConfigStore, loadConfig } from '@mira/config';
import { runWithContextFields } from '@mira/logging';
import { STATE_STORE, type StateStore } from '@mira/state';
import { bootAgentsModule, waitFor } from '../agents.testing';
import { OrchestratorService } from '../orchestrator/orchestrator.service';
import { ApprovalService } from './approval.service';
import { Workflow } from './workflow.decorator';
import { WorkflowEngine } from './workflow.engine';
import { UnknownWorkflowError } from './workflow.error';
import type { WorkflowDefinition, WorkflowStepDefinition } from './workflow.interface';
import { WorkflowSweeper } from './workflow.sweeper';

const WEDNESDAY = new Date('2026-11-18T09:00:00.000Z');

/** A workflow declared only here, in a module of the test: the engine finds it by discovery. */
@Injectable()
@Workflow({ type: 'echo_twice' })
class EchoTwiceWorkflow implements WorkflowDefinition {
  readonly steps: readonly WorkflowStepDefinition[] = [
    { step: 'generate_plan', input: ({ data }) => ({ name: String(data.name), goals: ['One'] }) },
    {
      step: 'update_plan',
      input: ({ results }) => ({ plan: results.generate_plan, updates: { echoed: true } }),
    },
  ];
}

@Module({ providers: [EchoTwiceWorkflow] })
class EchoTwiceModule {}

interface Booted {
  ref: TestingModule;
  engine: WorkflowEngine;
  approvals: ApprovalService;
  broker: MessageBroker;
  config: ConfigStore;
  store: StateStore;
  clock: { now: () => Date; at: Date };
}

async function boot(
  options: { overrides?: Record<string, unknown>; imports?: Type[] } = {},
): Promise<Booted> {
  const clock = { at: new Date(WEDNESDAY), now: () => new Date(clock.at) };
  const ref = await bootAgentsModule({ clock: clock, ...options });
  return {
    ref,
    engine: ref.get(WorkflowEngine),
    approvals: ref.get(ApprovalService),
    broker: ref.get<MessageBroker>(MESSAGE_BROKER),
    config: ref.get(ConfigStore),
    store: ref.get<StateStore>(STATE_STORE),
    clock,
  };
}

function reconfigure(config: ConfigStore, overrides: Record<string, unknown>): void {
  config.replace(
    loadConfig({ file: null, env: {}, overrides: { state: { sqlite: { path: ':memory:' } }, ...overrides } }),
  );
}

const projectData = {
  name: 'Apollo',
  description: 'An urgent new platform',
  goals: ['Design', 'Build'],
  duration_weeks: 4,
};
const alice = { name: 'alice', roles: ['submitter'] };
const bob = { name: 'bob', roles: ['approver'] };
const carol = { name: 'carol', roles: ['approver'] };

describe('WorkflowEngine', () => {
  let b: Booted;
  let errorLog: jest.SpyInstance;

  beforeEach(() => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    errorLog = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });
  afterEach(async () => {
    await b?.ref.close();
    jest.restoreAllMocks();
  });

  describe('running', () => {
    beforeEach(async () => {
      b = await boot({ imports: [EchoTwiceModule] });
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
      reconfigure(b.config, { agents: { risk_assessment_agent: { enabled: false } } });
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

  describe('governance', () => {
    beforeEach(async () => {
      b = await boot();
    });

    it('holds a workflow needing validation as pending_approval and publishes the event', async () => {
      const events: BrokerMessage[] = [];
      await b.broker.subscribe('governance.pending_approval', (m) => void events.push(m));
      const { record } = await b.engine.submit(
        {
          workflow_type: 'project_initialization',
          data: projectData,
          governance_data: { workflow_id: 'wf-gov', financial_impact: 50000 },
        },
        { actor: 'alice' },
      );
      const assessment = {
        financial_impact: 50000,
        compliance_level: 'low',
        explainability_score: 1,
        risk_level: 'high',
        requires_human_validation: true,
        reasons: ['Financial impact $50000 exceeds threshold $10000'],
      };
      expect(record).toMatchObject({
        workflow_id: 'wf-gov',
        status: 'pending_approval',
        steps: [],
        governance: assessment,
        risk_level: 'high',
        reasons: assessment.reasons,
        approvals_required: 1,
        decisions: [],
        expires_at: new Date(WEDNESDAY.getTime() + 259200 * 1000).toISOString(),
      });
      const event = await waitFor(() => events[0], 'the pending approval event');
      expect(event.data).toMatchObject({
        workflow_id: 'wf-gov',
        workflow_type: 'project_initialization',
        risk_level: 'high',
        reasons: assessment.reasons,
        approvals_required: 1,
        expires_at: record.expires_at,
        assessment,
      });
    });

    it('runs the steps when governance finds only medium risk without validation', async () => {
      const { record } = await b.engine.submit(
        {
          workflow_type: 'project_initialization',
          data: projectData,
          governance_data: { compliance_level: 'MEDIUM' },
        },
        { actor: 'a' },
      );
      expect(record.status).toBe('completed');
      expect(record.risk_level).toBe('medium');
      expect(record.steps).toHaveLength(3);
    });

    it('uses the live governance thresholds', async () => {
      const run = async () =>
        (
          await b.engine.submit(
            {
              workflow_type: 'project_initialization',
              data: projectData,
              governance_data: { financial_impact: 5000 },
            },
            { actor: 'a' },
          )
        ).record.status;
      expect(await run()).toBe('completed');
      reconfigure(b.config, { governance: { financial_threshold: 1000 } });
      expect(await run()).toBe('pending_approval');
    });

    it.each([
      [{ financial_impact: '100000', compliance_level: 'critical' }, /governance_data\.financial_impact/],
      [{ financial_impact: -1 }, /governance_data\.financial_impact/],
      [
        { compliance_level: 'extreme' },
        /governance_data\.compliance_level: must be one of low, medium, high, critical/,
      ],
      [{ explainability_score: 1.5 }, /governance_data\.explainability_score/],
    ])(
      'refuses malformed governance_data %j naming the field, and runs nothing',
      async (governance_data, message) => {
        await expect(
          b.engine.submit(
            { workflow_type: 'project_initialization', data: projectData, governance_data },
            { actor: 'a' },
          ),
        ).rejects.toMatchObject({ code: 'WORKFLOW_INVALID_INPUT', message: expect.stringMatching(message) });
        expect((await b.store.listWorkflows({ limit: 10 })).items).toEqual([]);
      },
    );

    it('holds the workflow when the assessment cannot be made (governance agent disabled)', async () => {
      reconfigure(b.config, { agents: { governance_agent: { enabled: false } } });
      const { record } = await b.engine.submit(
        {
          workflow_type: 'project_initialization',
          data: projectData,
          governance_data: { financial_impact: 1 },
        },
        { actor: 'a' },
      );
      expect(record).toMatchObject({
        status: 'pending_approval',
        risk_level: 'high',
        governance: null,
        reasons: ['Governance assessment unavailable: Agent not found: governance_agent'],
        steps: [],
      });
      expect(errorLog).toHaveBeenCalledWith(expect.stringContaining('holding it for approval'));
    });
  });

  describe('approvals', () => {
    const held = async (overrides: Record<string, unknown> = {}) => {
      b = await boot({ overrides });
      const ran: BrokerMessage[] = [];
      await b.broker.subscribe(
        ['workflow.completed', 'workflow.rejected', 'workflow.expired'],
        (m) => void ran.push(m),
      );
      const { record } = await b.engine.submit(
        {
          workflow_type: 'project_initialization',
          data: projectData,
          governance_data: { financial_impact: 50000 },
        },
        { actor: alice.name },
      );
      return { id: record.workflow_id, ran };
    };

    it('needs the configured quorum of distinct approvers, then runs the steps once on the patched data', async () => {
      const { id, ran } = await held({ governance: { approvals_required: { high: 2 } } });
      const first = await b.approvals.decide(id, bob, {
        decision: 'approve',
        data_patch: { goals: ['Design'] },
      });
      expect(first.status).toBe('pending_approval');
      expect(first.data.goals).toEqual(['Design']);
      await expect(b.approvals.decide(id, bob, { decision: 'approve' })).rejects.toMatchObject({
        code: 'WORKFLOW_FORBIDDEN',
        message: expect.stringContaining('one approver counts once'),
      });
      const second = await b.approvals.decide(id, carol, { decision: 'approve', comment: 'ok' });
      expect(second.status).toBe('approved');
      await waitFor(() => ran.find((m) => m.type === 'workflow.completed'), 'the run');
      const done = await b.approvals.get(id);
      expect(done.status).toBe('completed');
      expect((done.steps[0].result as { milestones: unknown[] }).milestones).toHaveLength(1);
      expect(done.decisions.map((d) => [d.actor, d.decision, d.comment])).toEqual([
        ['bob', 'approve', null],
        ['carol', 'approve', 'ok'],
      ]);
      await expect(
        b.approvals.decide(id, { name: 'dave', roles: [] }, { decision: 'approve' }),
      ).rejects.toMatchObject({
        code: 'WORKFLOW_CONFLICT',
        currentStatus: 'completed',
      });
      const actions = (await b.store.listAudit({ workflow_id: id, limit: 20 })).items.map((e) => e.action);
      expect(actions).toEqual(['created', 'approve', 'approve', 'started', 'completed']);
      expect(await b.store.verifyAudit()).toMatchObject({ ok: true, entries: 5 });
    });

    it('refuses self-approval unless governance.allow_self_approval, and a rejection ends the workflow', async () => {
      const { id } = await held();
      await expect(
        b.approvals.decide(id, { ...alice, roles: ['admin'] }, { decision: 'approve' }),
      ).rejects.toMatchObject({
        code: 'WORKFLOW_FORBIDDEN',
        message: expect.stringContaining('Separation of duties'),
      });
      await expect(b.approvals.decide(id, bob, { decision: 'reject' })).rejects.toMatchObject({
        code: 'WORKFLOW_INVALID_INPUT',
      });
      const rejected = await b.approvals.decide(id, bob, { decision: 'reject', comment: 'too costly' });
      expect(rejected.status).toBe('rejected');
      expect(rejected.steps).toEqual([]);
    });

    it('lets the requester or an admin cancel, nobody else', async () => {
      const { id } = await held();
      await expect(b.approvals.cancel(id, bob)).rejects.toMatchObject({ code: 'WORKFLOW_FORBIDDEN' });
      expect((await b.approvals.cancel(id, alice)).status).toBe('cancelled');
      await expect(b.approvals.cancel(id, alice)).rejects.toMatchObject({ code: 'WORKFLOW_CONFLICT' });
    });

    it('expires a workflow left pending past its TTL, and a late decision is a conflict', async () => {
      const { id, ran } = await held({ governance: { approval_ttl_seconds: 60 } });
      b.clock.at = new Date(WEDNESDAY.getTime() + 61_000);
      await b.ref.get(WorkflowSweeper).sweep();
      expect((await b.approvals.get(id)).status).toBe('expired');
      await waitFor(() => ran.find((m) => m.type === 'workflow.expired'), 'the expiry event');
      await expect(b.approvals.decide(id, bob, { decision: 'approve' })).rejects.toMatchObject({
        currentStatus: 'expired',
      });
    });

    it('finishes a run whose replica stopped renewing its lease', async () => {
      b = await boot({ overrides: { governance: { lease_seconds: 1 } } });
      const now = WEDNESDAY.toISOString();
      await b.store.createWorkflow(
        {
          workflow_id: 'wf-orphan',
          workflow_type: 'project_initialization',
          status: 'running',
          requested_by: 'a',
          created_at: now,
          data: projectData,
          governance: null,
          risk_level: 'low',
          reasons: [],
          approvals_required: 0,
          decisions: [],
          expires_at: null,
          steps: [],
          lease_owner: 'a-dead-replica',
          lease_expires_at: new Date(WEDNESDAY.getTime() + 1000).toISOString(),
          idempotency_key: null,
          request_hash: null,
        },
        [],
      );
      await b.ref.get(WorkflowSweeper).sweep();
      expect((await b.approvals.get('wf-orphan')).status).toBe('running');
      b.clock.at = new Date(WEDNESDAY.getTime() + 1500);
      await b.ref.get(WorkflowSweeper).sweep();
      const done = await b.approvals.get('wf-orphan');
      expect(done.status).toBe('completed');
      expect(done.steps).toHaveLength(3);
      const audit = (await b.store.listAudit({ workflow_id: 'wf-orphan', limit: 10 })).items;
      expect(audit.map((e) => e.action)).toEqual(['recovered', 'completed']);
      expect(audit[0].comment).toBe('lease of a-dead-replica ran out');
    });
  });
});
