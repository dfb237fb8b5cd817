import { Inject, Injectable, Module, type OnModuleInit } from '@nestjs/common';
import { MESSAGE_BROKER, type MessageBroker } from '@mira/broker';
import { request, startTestApp, type TestApp } from './support/test-app';
import { defineApiSuite } from './support/api-suite';

defineApiSuite('memory', () => ({}));

describe('agents switched off in config', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { MIRA_AGENTS__RISK_ASSESSMENT_AGENT__ENABLED: 'false' } });
  });
  afterAll(() => t.close());

  it('answers "Agent not found" with a 404 and lists the agent as disabled', async () => {
    const res = await request(`${t.url}/api/v1/messages`, { body: { type: 'assess_risks', data: {} } });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ status: 'error', error: 'Agent not found: risk_assessment_agent' });
    const agents = await request(`${t.url}/api/v1/agents`);
    expect(agents.body.agents.find((a: { id: string }) => a.id === 'risk_assessment_agent').enabled).toBe(
      false,
    );
    const health = await request(`${t.url}/healthz`);
    expect(health.body.checks.agent_count).toBe(4); // the four others, roadmapping_agent included
  });

  it('a workflow stops at the disabled step', async () => {
    const res = await request(`${t.url}/api/v1/workflows`, {
      // Assessed low, so the steps run (unassessed work is held by default).
      body: {
        workflow_type: 'project_initialization',
        data: { goals: ['A'] },
        governance_data: { financial_impact: 0 },
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('failed');
    expect(res.body.steps.map((s: { status: string }) => s.status)).toEqual(['success', 'error']);
  });
});

@Injectable()
class GatedConsumer implements OnModuleInit {
  readonly seen: string[] = [];
  private release!: () => void;
  readonly gate = new Promise<void>((r) => (this.release = r));
  constructor(@Inject(MESSAGE_BROKER) private readonly broker: MessageBroker) {}
  async onModuleInit(): Promise<void> {
    await this.broker.subscribe('slow_work', async (m) => {
      await this.gate;
      this.seen.push(m.id);
    });
  }
  open(): void {
    this.release();
  }
}

@Module({ providers: [GatedConsumer] })
class GatedConsumerModule {}

describe('a full broker queue', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ overrides: { broker: { queue_size: 1 } }, imports: [GatedConsumerModule] });
  });
  afterAll(() => t.close());

  async function until(pred: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!(await pred())) {
      if (Date.now() > deadline) throw new Error('condition not reached');
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  it('refuses with 503 and a clear error instead of dropping, and loses nothing accepted', async () => {
    const broker = () => request(`${t.url}/healthz`).then((r) => r.body.checks.broker);
    const first = await request(`${t.url}/api/v1/events`, { body: { type: 'slow_work', data: { n: 1 } } });
    expect(first.status).toBe(202);
    await until(async () => (await broker()).in_flight === 1);
    const second = await request(`${t.url}/api/v1/events`, { body: { type: 'slow_work', data: { n: 2 } } });
    expect(second.status).toBe(202);
    const third = await request(`${t.url}/api/v1/events`, { body: { type: 'slow_work', data: { n: 3 } } });
    expect(third.status).toBe(503);
    expect(third.body).toMatchObject({ statusCode: 503, code: 'BROKER_QUEUE_FULL' });
    expect(third.body.message).toContain('broker.queue_size');
    expect(third.headers.get('retry-after')).toBe('1');

    const consumer = t.app.get(GatedConsumer);
    consumer.open();
    await until(async () => consumer.seen.length === 2);
    expect(consumer.seen).toEqual([first.body.id, second.body.id]);
    expect(await broker()).toMatchObject({ published: 2, failed: 0, queued: 0, in_flight: 0 });
  });
});
