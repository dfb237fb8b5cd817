import type { BrokerMessage } from '@mira/broker';
import { waitFor, useQuietBoot } from '../agents.testing';
import { boot, EchoAgent, EchoModule, type Booted } from './orchestrator.testing';

describe('OrchestratorService', () => {
  let b: Booted;
  useQuietBoot(() => b);

  describe('the broker path (OrchestratorConsumer)', () => {
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

      // The requester travels in the x-mira-actor header (set from the caller's context on publish).
      const wf = await b.broker.publish(
        'workflow',
        // Assessed low, so it runs (unassessed work is held by default).
        { workflow_type: 'project_initialization', data: {}, governance_data: { financial_impact: 0 } },
        { 'x-mira-actor': 'dana' },
      );
      expect((await responseTo(wf)).data.response).toMatchObject({
        agent_id: 'orchestrator',
        status: 'success',
        data: { status: 'completed', requested_by: 'dana' },
      });
      const nobody = await b.broker.publish('workflow', {
        workflow_type: 'project_initialization',
        data: {},
      });
      expect((await responseTo(nobody)).data.response).toMatchObject({
        status: 'error',
        error: expect.stringContaining('A workflow needs a requester'),
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
