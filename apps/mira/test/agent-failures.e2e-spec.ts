import { Injectable, Module } from '@nestjs/common';
import { Agent, AgentError, BaseAgent, type AgentMessage, type MiraAgent } from '@mira/agents';
import { sample } from './support/prometheus';
import { request, startTestApp, type TestApp } from './support/test-app';

/** What a bug's message or stack would leak: none of it may reach a client. */
const INTERNALS = /db_password|TypeError|RangeError|at .*\(|\.ts:\d+|node_modules|stack/i;

/** A BaseAgent with a bug in one handler and a refusal in another. */
@Injectable()
@Agent({ id: 'buggy_agent', messageTypes: ['buggy_crash', 'buggy_refuse'] })
class BuggyAgent extends BaseAgent {
  protected readonly handlers = {
    buggy_crash: (data: { config?: { db_password: string } }) => data.config!.db_password.length,
    buggy_refuse: () => {
      throw new AgentError('AGENT_INVALID_INPUT', 'Invalid data for buggy_refuse: reason: Required');
    },
  };
}

/** An agent implementing the contract directly, throwing from process(). */
@Injectable()
@Agent({ id: 'raw_agent', messageTypes: ['raw_crash'] })
class RawAgent implements MiraAgent {
  process(_message: AgentMessage): never {
    throw new RangeError('index 42 out of range in /srv/mira/internal/table.ts:17');
  }
}

@Module({ providers: [BuggyAgent, RawAgent] })
class BuggyAgentsModule {}

describe('agent failures over HTTP (real app)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ imports: [BuggyAgentsModule] });
  });
  afterAll(() => t?.close());

  const send = (type: string, data: Record<string, unknown> = {}) =>
    request(`${t.url}/api/v1/messages`, { body: { type, data } });

  it.each([
    ['buggy_crash', 'buggy_agent'],
    ['raw_crash', 'raw_agent'],
  ])('an agent bug (%s) is a 500 whose body has no internals', async (type, agentId) => {
    const res = await send(type);
    expect(res.status).toBe(500);
    expect(res.body).toEqual({
      agent_id: agentId,
      timestamp: expect.any(String),
      status: 'error',
      data: null,
      error: `Processing ${type} failed: internal error`,
    });
    expect(res.text).not.toMatch(INTERNALS);
    expect(res.text).not.toContain('out of range');
    expect(res.text).not.toContain('undefined');
  });

  it('refused input is a 422 carrying the agent message: from a test agent and a built-in one', async () => {
    const refused = await send('buggy_refuse');
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({
      agent_id: 'buggy_agent',
      status: 'error',
      data: null,
      error: 'Invalid data for buggy_refuse: reason: Required',
    });
    const builtIn = await send('generate_plan', { goals: 'all of them' });
    expect(builtIn.status).toBe(422);
    expect(builtIn.body).toMatchObject({ agent_id: 'project_plan_agent', status: 'error', data: null });
    expect(builtIn.body.error).toMatch(/^Invalid data for generate_plan: goals: /);
  });

  it('counts each by its own outcome on /metrics', async () => {
    await send('buggy_crash');
    await send('buggy_refuse');
    const text = (await request(`${t.url}/metrics`)).text;
    const count = (type: string, outcome: string) =>
      sample(text, 'mira_agent_processing_duration_seconds_count', { agent: 'buggy_agent', type, outcome });
    expect(count('buggy_crash', 'agent_failed')).toBeGreaterThanOrEqual(1);
    expect(count('buggy_refuse', 'invalid_input')).toBeGreaterThanOrEqual(1);
    expect(count('buggy_crash', 'invalid_input')).toBeUndefined();
  });
});
