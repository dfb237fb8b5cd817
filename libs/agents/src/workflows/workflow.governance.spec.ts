import { Logger } from '@nestjs/common';
import type { BrokerMessage } from '@mira/broker';
import { waitFor } from '../agents.testing';
import { boot, projectData, reconfigure, WEDNESDAY, type Booted } from './workflow.engine.testing';

describe('WorkflowEngine governance', () => {
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

  describe('review policy (governance.policies)', () => {
    const submit = (governance_data?: Record<string, unknown>) =>
      b.engine.submit(
        { workflow_type: 'project_initialization', data: projectData, governance_data },
        { actor: 'key:alice', actorName: 'alice' },
      );

    it('holds unassessed work at risk high by default, with the policy on the record', async () => {
      b = await boot({ overrides: { governance: { approvals_required: { high: 2 } } } });
      const { record } = await submit();
      expect(record).toMatchObject({
        status: 'pending_approval',
        risk_level: 'high',
        governance: null,
        reasons: ['No governance assessment (policy default)'],
        approvals_required: 2,
        requested_by: 'key:alice',
        requested_by_name: 'alice',
        policy: {
          name: 'default',
          when_unassessed: 'hold',
          minimum_risk: 'low',
          approvals_required: { low: 1, medium: 1, high: 2 },
        },
      });
    });

    it('runs unassessed work of a type whose policy says run; other types stay held', async () => {
      b = await boot({
        overrides: { governance: { policies: { project_initialization: { when_unassessed: 'run' } } } },
      });
      const { record } = await submit();
      expect(record).toMatchObject({
        status: 'completed',
        risk_level: 'low',
        policy: { name: 'project_initialization' },
      });
    });

    it('raises a low assessment to minimum_risk, and a floor of high holds with the policy quorum', async () => {
      b = await boot({
        overrides: {
          governance: {
            policies: { project_initialization: { minimum_risk: 'medium' } },
          },
        },
      });
      const medium = (await submit({ financial_impact: 0 })).record;
      expect(medium).toMatchObject({ status: 'completed', risk_level: 'medium' });
      expect(medium.reasons).toContain(
        'Risk raised from low to medium (policy project_initialization, minimum_risk)',
      );
      reconfigure(b.config, {
        governance: {
          policies: { project_initialization: { minimum_risk: 'high', approvals_required: { high: 3 } } },
        },
      });
      const high = (await submit({ financial_impact: 0 })).record;
      expect(high).toMatchObject({ status: 'pending_approval', risk_level: 'high', approvals_required: 3 });
    });
  });
});
