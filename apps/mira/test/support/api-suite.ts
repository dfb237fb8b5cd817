import { Inject, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { Agent, BaseAgent, PENDING_APPROVAL_EVENT, AGENT_RESPONSE_EVENT } from '@mira/agents';
import { MESSAGE_BROKER, type BrokerMessage, type MessageBroker } from '@mira/broker';
import { request, startTestApp, type TestApp } from './test-app';

/** An extension agent living in its own module: importing the module is all it takes. */
@Injectable()
@Agent({ id: 'echo_agent', messageTypes: ['echo'], description: 'Test extension agent' })
export class EchoAgent extends BaseAgent {
  protected readonly handlers = { echo: (data: Record<string, unknown>) => ({ echoed: data }) };
}

/** Records broker events the way a downstream consumer would subscribe to them. */
@Injectable()
export class EventRecorder implements OnModuleInit {
  readonly events: BrokerMessage[] = [];
  constructor(@Inject(MESSAGE_BROKER) private readonly broker: MessageBroker) {}
  async onModuleInit(): Promise<void> {
    await this.broker.subscribe(
      [PENDING_APPROVAL_EVENT, AGENT_RESPONSE_EVENT],
      (m) => void this.events.push(m),
      { group: 'test-recorder' },
    );
  }
  async waitFor(pred: (m: BrokerMessage) => boolean, timeoutMs = 10000): Promise<BrokerMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(pred);
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(
          `no matching event within ${timeoutMs} ms; saw ${this.events.map((e) => e.type).join(', ')}`,
        );
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

@Module({ providers: [EchoAgent, EventRecorder] })
export class ExtensionTestModule {}

/**
 * The foundation's API cases, reusable per transport: `defineApiSuite('memory', {})` or with
 * `{ broker: { transport: 'redis', redis: { url } } }` overrides (resolved lazily for servers started in beforeAll).
 */
export function defineApiSuite(label: string, overrides: () => Record<string, unknown>): void {
  describe(`HTTP API on the ${label} transport`, () => {
    let t: TestApp;
    let recorder: EventRecorder;

    beforeAll(async () => {
      t = await startTestApp({ overrides: overrides(), imports: [ExtensionTestModule] });
      recorder = t.app.get(EventRecorder);
    });
    afterAll(() => t?.close());

    it('POST /api/v1/messages generate_plan answers the envelope', async () => {
      const res = await request(`${t.url}/api/v1/messages`, {
        body: {
          type: 'generate_plan',
          data: { name: 'Apollo', goals: ['Design', 'Build', 'Launch'], duration_weeks: 10 },
        },
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ agent_id: 'project_plan_agent', status: 'success', error: null });
      expect(new Date(res.body.timestamp).toISOString()).toBe(res.body.timestamp);
      expect(res.body.data.milestones.map((m: { week: number }) => m.week)).toEqual([3, 6, 10]);
      expect(res.body.data.tasks).toHaveLength(9);
    });

    it('routes every built-in type to its agent', async () => {
      const cases: [string, Record<string, unknown>, string][] = [
        ['update_plan', { plan: { a: 1 }, updates: { b: 2 } }, 'project_plan_agent'],
        ['assess_risks', { name: 'X', description: 'urgent work' }, 'risk_assessment_agent'],
        ['update_risk', { risk: { id: 'R1' }, updates: { status: 'mitigated' } }, 'risk_assessment_agent'],
        ['generate_report', { name: 'X', tasks: [] }, 'status_reporter_agent'],
        ['schedule_report', { day_of_week: 'Monday' }, 'status_reporter_agent'],
        ['assess_governance', { financial_impact: 5 }, 'governance_agent'],
        ['check_human_validation', { financial_impact: 50000 }, 'governance_agent'],
      ];
      for (const [type, data, agent] of cases) {
        const res = await request(`${t.url}/api/v1/messages`, { body: { type, data } });
        expect({ type, status: res.status, agent: res.body.agent_id, s: res.body.status }).toEqual({
          type,
          status: 200,
          agent,
          s: 'success',
        });
      }
    });

    it('unknown message type is a 422 carrying the envelope error', async () => {
      const res = await request(`${t.url}/api/v1/messages`, { body: { type: 'launch_rocket', data: {} } });
      expect(res.status).toBe(422);
      expect(res.body).toMatchObject({
        status: 'error',
        data: null,
        error: expect.stringMatching(
          /^No routing rule for message type: launch_rocket; known types: (\w+, )*generate_plan, (\w+, )*workflow$/,
        ),
      });
    });

    it('agent input errors are a 422 naming the field', async () => {
      const res = await request(`${t.url}/api/v1/messages`, {
        body: { type: 'generate_plan', data: { goals: 'not-a-list' } },
      });
      expect(res.status).toBe(422);
      expect(res.body.error).toContain('goals');
    });

    it.each([
      ['missing type', { data: {} }, 'type'],
      ['missing data', { type: 'generate_plan' }, 'data'],
      ['type not a string', { type: 42, data: {} }, 'type'],
      ['data an array', { type: 'generate_plan', data: [] }, 'data'],
      ['data a string', { type: 'generate_plan', data: 'x' }, 'data'],
      ['body a list', [1, 2], ''],
    ])('malformed body (%s) is a 400 naming the field', async (_label, body, field) => {
      const res = await request(`${t.url}/api/v1/messages`, { body });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body.message)).toContain(field);
    });

    it('invalid JSON is a 400, not a 500', async () => {
      const res = await request(`${t.url}/api/v1/messages`, { raw: '{"type": "generate_plan", "data": {' });
      expect(res.status).toBe(400);
      expect(res.body.statusCode).toBe(400);
    });

    it('a body over the limit is a 413', async () => {
      const huge = JSON.stringify({
        type: 'generate_plan',
        data: { description: 'x'.repeat(1024 * 1024 + 10) },
      });
      const res = await request(`${t.url}/api/v1/messages`, { raw: huge });
      expect(res.status).toBe(413);
    });

    it('POST /api/v1/workflows runs project_initialization', async () => {
      const res = await request(`${t.url}/api/v1/workflows`, {
        body: {
          workflow_type: 'project_initialization',
          data: { name: 'Apollo', description: 'urgent and new', goals: ['A', 'B'], duration_weeks: 4 },
          // Assessed low, so it runs now (unassessed work is held by default).
          governance_data: { financial_impact: 0 },
        },
      });
      expect(res.status).toBe(200);
      expect(res.body.workflow_type).toBe('project_initialization');
      expect(res.body.status).toBe('completed');
      expect(res.body.steps.map((s: { step: string; status: string }) => [s.step, s.status])).toEqual([
        ['generate_plan', 'success'],
        ['assess_risks', 'success'],
        ['generate_report', 'success'],
      ]);
      expect(res.body.steps[1].result.total_risks).toBe(2);
      expect(res.body.steps[2].result.risks_and_blockers).toEqual([
        { id: 'R1', description: 'Potential schedule risk detected', severity: 'high' },
      ]);
    });

    it('a workflow needing approval is pending and its event reaches a subscriber', async () => {
      const res = await request(`${t.url}/api/v1/workflows`, {
        body: {
          workflow_type: 'project_initialization',
          data: { name: 'Big spend' },
          governance_data: {
            workflow_id: 'wf-approval-1',
            financial_impact: 250000,
            compliance_level: 'high',
          },
        },
      });
      expect(res.status).toBe(202);
      expect(res.headers.get('location')).toBe('/api/v1/workflows/wf-approval-1');
      expect(res.body).toMatchObject({
        status: 'pending_approval',
        risk_level: 'high',
        requires_human_validation: true,
        steps: [],
      });
      const event = await recorder.waitFor(
        (m) =>
          m.type === PENDING_APPROVAL_EVENT &&
          (m.data as { workflow_id?: string }).workflow_id === 'wf-approval-1',
      );
      expect(event.data).toMatchObject({
        workflow_type: 'project_initialization',
        data: { name: 'Big spend' },
        assessment: { risk_level: 'high', requires_human_validation: true },
      });
      expect(typeof (event.data as { timestamp: string }).timestamp).toBe('string');
    });

    it('unknown workflow type is a 422', async () => {
      const res = await request(`${t.url}/api/v1/workflows`, { body: { workflow_type: 'nope', data: {} } });
      expect(res.status).toBe(422);
      expect(res.body.error).toContain('Unknown workflow type: nope');
    });

    it('POST /api/v1/events is accepted (202 {id}) and answered as agent.response with the original id', async () => {
      const res = await request(`${t.url}/api/v1/events`, {
        body: { type: 'generate_plan', data: { name: 'Async', goals: ['G'] } },
      });
      expect(res.status).toBe(202);
      expect(typeof res.body.id).toBe('string');
      const reply = await recorder.waitFor(
        (m) =>
          m.type === AGENT_RESPONSE_EVENT && (m.data as { message_id?: string }).message_id === res.body.id,
      );
      expect(reply.data).toMatchObject({
        message_type: 'generate_plan',
        response: { agent_id: 'project_plan_agent', status: 'success' },
      });
    });

    it.each(['webhook.github', 'agent.response', 'governance.pending_approval'])(
      'POST /api/v1/events refuses the reserved type %s (400): clients cannot forge service events',
      async (type) => {
        const res = await request(`${t.url}/api/v1/events`, { body: { type, data: {} } });
        expect(res.status).toBe(400);
        expect(JSON.stringify(res.body.message)).toContain('reserved');
      },
    );

    it('GET /api/v1/agents lists built-in and extension agents', async () => {
      const res = await request(`${t.url}/api/v1/agents`);
      expect(res.status).toBe(200);
      const ids = res.body.agents.map((a: { id: string }) => a.id);
      expect(ids).toEqual(
        expect.arrayContaining([
          'project_plan_agent',
          'risk_assessment_agent',
          'status_reporter_agent',
          'governance_agent',
          'echo_agent',
        ]),
      );
      expect(res.body.agents.find((a: { id: string }) => a.id === 'echo_agent')).toMatchObject({
        message_types: ['echo'],
        enabled: true,
      });
    });

    it('an extension module agent is routed and counted on /healthz', async () => {
      const res = await request(`${t.url}/api/v1/messages`, {
        body: { type: 'echo', data: { hello: 'world' } },
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        agent_id: 'echo_agent',
        status: 'success',
        data: { echoed: { hello: 'world' } },
      });
      const health = await request(`${t.url}/healthz`);
      expect(health.status).toBe(200);
      expect(health.body.status).toBe('healthy');
      expect(health.body.checks.agent_count).toBe(6); // the five built in (roadmapping_agent included) and the module's
      expect(health.body.checks).toHaveProperty('configuration');
      expect(health.body.checks).toHaveProperty('broker');
      expect(health.body.checks.agents.enabled).toContain('echo_agent');
    });
  });
}
