import { Injectable, Logger, Module, type Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { BrokerModule, MESSAGE_BROKER, type BrokerMessage, type MessageBroker } from '@mira/broker';
import { ConfigModule, ConfigStore, loadConfig } from '@mira/config';
import { Agent } from '../agent.decorator';
import type { AgentMessage, AgentResponse, MiraAgent } from '../agent.interface';
import { AgentRegistry } from '../agent.registry';
import { successResponse } from '../agent.response';
import { AgentsModule } from '../agents.module';
import { Clock } from '../clock.service';
import { OrchestratorService } from './orchestrator.service';
import { DEFAULT_ROUTING_RULES } from './routing.constants';
import { UnknownWorkflowError } from './workflow.interface';

/** An agent declared only here, in a module of the test: nothing in libs/agents knows it. */
@Injectable()
@Agent({ id: 'echo_agent', messageTypes: ['echo', 'generate_plan'], description: 'echoes' })
class EchoAgent implements MiraAgent {
  readonly seen: AgentMessage[] = [];
  process(message: AgentMessage): AgentResponse {
    this.seen.push(message);
    if (message.data.explode) throw new Error('boom');
    return successResponse('echo_agent', { echoed: message.data, type: message.type });
  }
}

@Module({ providers: [EchoAgent] })
class EchoModule {}

const WEDNESDAY = new Date('2026-11-18T09:00:00.000Z');

async function waitFor<T>(probe: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface Booted {
  ref: TestingModule;
  orchestrator: OrchestratorService;
  broker: MessageBroker;
  store: ConfigStore;
  registry: AgentRegistry;
}

async function boot(
  options: { overrides?: Record<string, unknown>; imports?: Type[] } = {},
): Promise<Booted> {
  const ref = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot({ file: null, env: {}, overrides: options.overrides }),
      BrokerModule,
      AgentsModule,
      ...(options.imports ?? []),
    ],
  })
    .overrideProvider(Clock)
    .useValue({ now: () => new Date(WEDNESDAY) })
    .compile();
  await ref.init();
  return {
    ref,
    orchestrator: ref.get(OrchestratorService),
    broker: ref.get<MessageBroker>(MESSAGE_BROKER),
    store: ref.get(ConfigStore),
    registry: ref.get(AgentRegistry),
  };
}

/** Swaps the live config snapshot (what a hot reload does). */
function reconfigure(store: ConfigStore, overrides: Record<string, unknown>): void {
  store.replace(loadConfig({ file: null, env: {}, overrides }));
}

describe('OrchestratorService', () => {
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

  describe('routing', () => {
    beforeEach(async () => {
      b = await boot();
    });

    it('holds every rule of DOMAIN.md', () => {
      expect(DEFAULT_ROUTING_RULES).toEqual({
        generate_plan: 'project_plan_agent',
        update_plan: 'project_plan_agent',
        assess_risks: 'risk_assessment_agent',
        update_risk: 'risk_assessment_agent',
        generate_report: 'status_reporter_agent',
        schedule_report: 'status_reporter_agent',
        assess_governance: 'governance_agent',
        check_human_validation: 'governance_agent',
      });
      expect(b.orchestrator.routingRules()).toEqual(DEFAULT_ROUTING_RULES);
    });

    it.each([
      ['generate_plan', {}, 'project_plan_agent'],
      ['update_plan', { plan: { a: 1 }, updates: { b: 2 } }, 'project_plan_agent'],
      ['assess_risks', {}, 'risk_assessment_agent'],
      ['update_risk', { risk: { id: 'R1' }, updates: { status: 'closed' } }, 'risk_assessment_agent'],
      ['generate_report', {}, 'status_reporter_agent'],
      ['schedule_report', {}, 'status_reporter_agent'],
      ['assess_governance', {}, 'governance_agent'],
      ['check_human_validation', {}, 'governance_agent'],
    ])('routes %s to %s', async (type, data, agentId) => {
      const { response, failure } = await b.orchestrator.route({ type, data });
      expect(failure).toBeNull();
      expect(response.status).toBe('success');
      expect(response.agent_id).toBe(agentId);
      expect(response.error).toBeNull();
    });

    it('answers an unknown type with "No routing rule for message type: <type>"', async () => {
      const routed = await b.orchestrator.route({ type: 'x', data: {} });
      expect(routed).toEqual({
        response: {
          agent_id: 'orchestrator',
          timestamp: expect.any(String),
          status: 'error',
          data: null,
          error: 'No routing rule for message type: x',
        },
        failure: 'no_route',
      });
      expect((await b.orchestrator.process({ type: 'x', data: {} })).error).toBe(
        'No routing rule for message type: x',
      );
    });

    it('answers "Agent not found" for an agent disabled in config, live', async () => {
      reconfigure(b.store, { agents: { project_plan_agent: { enabled: false } } });
      const routed = await b.orchestrator.route({ type: 'generate_plan', data: {} });
      expect(routed.failure).toBe('agent_not_found');
      expect(routed.response).toMatchObject({
        agent_id: 'orchestrator',
        status: 'error',
        data: null,
        error: 'Agent not found: project_plan_agent',
      });
      // Other agents are unaffected, and switching it back on restores routing.
      expect((await b.orchestrator.route({ type: 'assess_risks', data: {} })).failure).toBeNull();
      reconfigure(b.store, { agents: { project_plan_agent: { enabled: true } } });
      expect((await b.orchestrator.route({ type: 'generate_plan', data: {} })).failure).toBeNull();
    });

    it('marks bad input as invalid_input with the agent error', async () => {
      const routed = await b.orchestrator.route({ type: 'generate_plan', data: { goals: 'all' } });
      expect(routed.failure).toBe('invalid_input');
      expect(routed.response.agent_id).toBe('project_plan_agent');
      expect(routed.response.error).toMatch(/^Invalid data for generate_plan: goals: /);
    });

    it('lists the four built-in agents, enabled', () => {
      expect(b.registry.list().map((a) => [a.id, a.enabled, [...a.messageTypes]])).toEqual(
        expect.arrayContaining([
          ['project_plan_agent', true, ['generate_plan', 'update_plan']],
          ['risk_assessment_agent', true, ['assess_risks', 'update_risk']],
          ['status_reporter_agent', true, ['generate_report', 'schedule_report']],
          ['governance_agent', true, ['assess_governance', 'check_human_validation']],
        ]),
      );
      expect(b.registry.enabledCount()).toBe(b.registry.list().length);
    });

    it('adds routing rules at run time', async () => {
      await b.orchestrator.addRoutingRule('make_plan', 'project_plan_agent');
      expect(b.orchestrator.routingRules().make_plan).toBe('project_plan_agent');
      // Routed to the agent, which says it does not handle that type.
      const routed = await b.orchestrator.route({ type: 'make_plan', data: {} });
      expect(routed.response.agent_id).toBe('project_plan_agent');
      expect(routed.response.error).toBe('Agent project_plan_agent does not handle message type: make_plan');

      await b.orchestrator.addRoutingRule('nowhere', 'ghost_agent');
      expect((await b.orchestrator.route({ type: 'nowhere', data: {} })).response.error).toBe(
        'Agent not found: ghost_agent',
      );
      await expect(b.orchestrator.addRoutingRule('workflow', 'project_plan_agent')).rejects.toThrow(
        'Cannot route message type "workflow"',
      );
      await expect(b.orchestrator.addRoutingRule('', 'project_plan_agent')).rejects.toThrow();
    });

    it('schedules reports from the injected Clock', async () => {
      const { response } = await b.orchestrator.route({
        type: 'schedule_report',
        data: { day_of_week: 'wednesday' },
      });
      expect((response.data as { next_run: string }).next_run).toBe('2026-11-25T09:00:00.000Z');
    });
  });

  describe('an agent added by another module', () => {
    beforeEach(async () => {
      b = await boot({ imports: [EchoModule] });
    });

    it('is discovered, listed and routed without touching libs/agents', async () => {
      const echo = b.registry.list().find((a) => a.id === 'echo_agent');
      expect(echo).toMatchObject({ id: 'echo_agent', enabled: true, description: 'echoes' });
      expect(echo?.instance).toBeInstanceOf(EchoAgent);
      expect(b.registry.enabledCount()).toBe(5);
      expect(b.orchestrator.routingRules().echo).toBe('echo_agent');

      const { response, failure } = await b.orchestrator.route({ type: 'echo', data: { hi: 1 } });
      expect(failure).toBeNull();
      expect(response).toMatchObject({
        agent_id: 'echo_agent',
        status: 'success',
        data: { echoed: { hi: 1 }, type: 'echo' },
      });
    });

    it('does not take over a type already routed to another agent', async () => {
      expect(b.orchestrator.routingRules().generate_plan).toBe('project_plan_agent');
      expect((await b.orchestrator.route({ type: 'generate_plan', data: {} })).response.agent_id).toBe(
        'project_plan_agent',
      );
    });

    it('lets a runtime rule redirect a type to it', async () => {
      await b.orchestrator.addRoutingRule('generate_plan', 'echo_agent');
      expect((await b.orchestrator.route({ type: 'generate_plan', data: {} })).response.agent_id).toBe(
        'echo_agent',
      );
    });

    it('reports a throwing agent as agent_failed', async () => {
      const routed = await b.orchestrator.route({ type: 'echo', data: { explode: true } });
      expect(routed.failure).toBe('agent_failed');
      expect(routed.response).toMatchObject({
        agent_id: 'echo_agent',
        status: 'error',
        data: null,
        error: 'Processing echo failed: internal error',
      });
    });

    it('can be disabled in config like any other agent', async () => {
      reconfigure(b.store, { agents: { echo_agent: { enabled: false } } });
      expect((await b.orchestrator.route({ type: 'echo', data: {} })).response.error).toBe(
        'Agent not found: echo_agent',
      );
      expect(b.registry.enabledCount()).toBe(4);
    });
  });

  describe('workflows', () => {
    const projectData = {
      name: 'Apollo',
      description: 'An urgent new platform',
      goals: ['Design', 'Build'],
      duration_weeks: 4,
    };

    beforeEach(async () => {
      b = await boot();
    });

    it('runs project_initialization: plan -> risks -> report', async () => {
      const result = await b.orchestrator.runWorkflow({
        workflow_type: 'project_initialization',
        data: { ...projectData, workflow_id: 'wf-1' },
      });
      expect(result).toMatchObject({
        workflow_id: 'wf-1',
        workflow_type: 'project_initialization',
        status: 'completed',
        governance: null,
        risk_level: 'low',
        requires_human_validation: false,
      });
      expect(result.steps.map((s) => [s.step, s.status])).toEqual([
        ['generate_plan', 'success'],
        ['assess_risks', 'success'],
        ['generate_report', 'success'],
      ]);
      const [plan, risks, report] = result.steps.map((s) => s.result as any);
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
        summary: { total_tasks: 6, completed: 0, in_progress: 0, not_started: 6, completion_percentage: 0 },
        upcoming_milestones: [{ name: 'Design', week: 2 }],
        risks_and_blockers: [{ id: 'R1', description: 'Potential schedule risk detected', severity: 'high' }],
        next_week_plan: ['Continue work on 0 in-progress tasks', 'Start 5 new tasks'],
      });
    });

    it('is reachable as a `workflow` message and generates a workflow id when none is given', async () => {
      const { response, failure } = await b.orchestrator.route({
        type: 'workflow',
        data: { workflow_type: 'project_initialization', data: projectData },
      });
      expect(failure).toBeNull();
      expect(response.agent_id).toBe('orchestrator');
      expect(response.status).toBe('success');
      const result = response.data as any;
      expect(result.workflow_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(result.status).toBe('completed');
    });

    it('stops at the first failed step', async () => {
      const result = await b.orchestrator.runWorkflow({
        workflow_type: 'project_initialization',
        data: { goals: 'not a list' },
      });
      expect(result.status).toBe('failed');
      expect(result.steps).toEqual([
        {
          step: 'generate_plan',
          status: 'error',
          result: expect.stringMatching(/^Invalid data for generate_plan: goals: /),
        },
      ]);
    });

    it('does not run the report when the risk step fails', async () => {
      reconfigure(b.store, { agents: { risk_assessment_agent: { enabled: false } } });
      const result = await b.orchestrator.runWorkflow({
        workflow_type: 'project_initialization',
        data: projectData,
      });
      expect(result.status).toBe('failed');
      expect(result.steps.map((s) => [s.step, s.status])).toEqual([
        ['generate_plan', 'success'],
        ['assess_risks', 'error'],
      ]);
      expect(result.steps[1].result).toBe('Agent not found: risk_assessment_agent');
    });

    it('a broker refusing the pending_approval event surfaces as a BrokerError, not as bad input', async () => {
      await b.broker.drain(1000); // the broker now refuses new messages (BROKER_STOPPED)
      await expect(
        b.orchestrator.route({
          type: 'workflow',
          data: {
            workflow_type: 'project_initialization',
            data: {},
            governance_data: { financial_impact: 1e9 },
          },
        }),
      ).rejects.toMatchObject({ code: 'BROKER_STOPPED', retryable: true });
    });

    it('holds a workflow needing validation as pending_approval and publishes the event', async () => {
      const events: BrokerMessage[] = [];
      await b.broker.subscribe('governance.pending_approval', (m) => void events.push(m));
      const governance_data = { workflow_id: 'wf-gov', financial_impact: 50000 };
      const result = await b.orchestrator.runWorkflow({
        workflow_type: 'project_initialization',
        data: projectData,
        governance_data,
      });
      const assessment = {
        financial_impact: 50000,
        compliance_level: 'low',
        explainability_score: 1,
        risk_level: 'high',
        requires_human_validation: true,
        reasons: ['Financial impact $50000 exceeds threshold $10000'],
      };
      expect(result).toEqual({
        workflow_id: 'wf-gov',
        workflow_type: 'project_initialization',
        status: 'pending_approval',
        steps: [],
        governance: assessment,
        risk_level: 'high',
        requires_human_validation: true,
      });
      const event = await waitFor(() => events[0], 'the pending approval event');
      expect(event.data).toEqual({
        workflow_id: 'wf-gov',
        workflow_type: 'project_initialization',
        assessment,
        data: projectData,
        timestamp: expect.any(String),
      });
      const ts = (event.data as { timestamp: string }).timestamp;
      expect(new Date(ts).toISOString()).toBe(ts);
      expect(events).toHaveLength(1);
    });

    it('runs the steps when governance finds only medium risk without validation', async () => {
      const result = await b.orchestrator.runWorkflow({
        workflow_type: 'project_initialization',
        data: projectData,
        governance_data: { compliance_level: 'medium' },
      });
      expect(result.status).toBe('completed');
      expect(result.risk_level).toBe('medium');
      expect(result.requires_human_validation).toBe(false);
      expect(result.governance).toMatchObject({ reasons: ["Compliance level 'medium' requires review"] });
      expect(result.steps).toHaveLength(3);
    });

    it('uses the live governance thresholds', async () => {
      const run = () =>
        b.orchestrator.runWorkflow({
          workflow_type: 'project_initialization',
          data: projectData,
          governance_data: { financial_impact: 5000 },
        });
      expect((await run()).status).toBe('completed');
      reconfigure(b.store, { governance: { financial_threshold: 1000 } });
      expect((await run()).status).toBe('pending_approval');
    });

    it.each([
      ['the governance agent is disabled', { agents: { governance_agent: { enabled: false } } }, {}],
      ['the governance data is invalid', {}, { financial_impact: 'a lot' }],
    ])('goes on as risk low when the assessment fails (%s)', async (_why, overrides, governance_data) => {
      reconfigure(b.store, overrides);
      const result = await b.orchestrator.runWorkflow({
        workflow_type: 'project_initialization',
        data: projectData,
        governance_data: { workflow_id: 'wf-x', financial_impact: 99999, ...governance_data },
      });
      expect(result).toMatchObject({
        workflow_id: 'wf-x',
        status: 'completed',
        governance: null,
        risk_level: 'low',
        requires_human_validation: false,
      });
      expect(result.steps).toHaveLength(3);
      expect(errorLog).toHaveBeenCalledWith(
        expect.stringContaining('Governance assessment failed for workflow wf-x'),
      );
      expect(errorLog).toHaveBeenCalledWith(expect.stringContaining('continuing as risk low'));
    });

    it('rejects an unknown workflow type', async () => {
      await expect(b.orchestrator.runWorkflow({ workflow_type: 'nope', data: {} })).rejects.toBeInstanceOf(
        UnknownWorkflowError,
      );
      const routed = await b.orchestrator.route({
        type: 'workflow',
        data: { workflow_type: 'nope', data: {} },
      });
      expect(routed.failure).toBe('invalid_input');
      expect(routed.response).toMatchObject({
        agent_id: 'orchestrator',
        status: 'error',
        data: null,
        error: 'Unknown workflow type: nope (known: project_initialization)',
      });
      const missing = await b.orchestrator.route({ type: 'workflow', data: {} });
      expect(missing.response.error).toBe('Unknown workflow type: undefined (known: project_initialization)');
    });
  });

  describe('the broker path', () => {
    let responses: BrokerMessage<any>[];

    beforeEach(async () => {
      b = await boot({ imports: [EchoModule] });
      responses = [];
      await b.broker.subscribe('agent.response', (m) => void responses.push(m as BrokerMessage<any>));
    });
    const responseTo = (id: string) =>
      waitFor(() => responses.find((r) => r.data.message_id === id), `agent.response to ${id}`);

    it('answers a generate_plan message with agent.response carrying the message id and headers', async () => {
      const headers = { 'x-correlation-id': 'corr-123', 'x-tenant': 'acme' };
      const id = await b.broker.publish('generate_plan', { name: 'Via broker', goals: ['One'] }, headers);
      const answer = await responseTo(id);
      expect(answer.type).toBe('agent.response');
      expect(answer.headers).toMatchObject(headers);
      expect(answer.data).toEqual({
        message_id: id,
        message_type: 'generate_plan',
        response: expect.objectContaining({ agent_id: 'project_plan_agent', status: 'success', error: null }),
      });
      expect(answer.data.response.data).toMatchObject({
        name: 'Via broker',
        milestones: [{ id: 'M1', week: 12 }],
      });
    });

    it('answers a non-object, a workflow and an extra agent message', async () => {
      const bad = await b.broker.publish('generate_plan', 'just a string');
      expect((await responseTo(bad)).data.response).toMatchObject({
        agent_id: 'orchestrator',
        status: 'error',
        error: `Message ${bad} (generate_plan) has no data object`,
      });

      const wf = await b.broker.publish('workflow', { workflow_type: 'project_initialization', data: {} });
      expect((await responseTo(wf)).data.response).toMatchObject({
        agent_id: 'orchestrator',
        status: 'success',
        data: { status: 'completed' },
      });

      const echo = await b.broker.publish('echo', { via: 'broker' });
      expect((await responseTo(echo)).data.response).toMatchObject({
        agent_id: 'echo_agent',
        status: 'success',
      });
    });

    it('consumes types added at run time', async () => {
      await b.orchestrator.addRoutingRule('shout', 'echo_agent');
      const id = await b.broker.publish('shout', { loud: true });
      expect((await responseTo(id)).data.response).toMatchObject({
        agent_id: 'echo_agent',
        data: { echoed: { loud: true }, type: 'shout' },
      });
    });

    it('delivers each message to one orchestrator handler only', async () => {
      const echo = b.ref.get(EchoAgent);
      const ids = await Promise.all([1, 2, 3].map((n) => b.broker.publish('echo', { n })));
      await Promise.all(ids.map(responseTo));
      expect(echo.seen.map((m) => m.data.n)).toEqual([1, 2, 3]);
      expect(responses.filter((r) => ids.includes(r.data.message_id))).toHaveLength(3);
    });
  });
});
