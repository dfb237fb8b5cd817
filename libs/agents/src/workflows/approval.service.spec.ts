import type { BrokerMessage } from '@mira/broker';
import { dataHash } from '@mira/state';
import { waitFor, useQuietBoot } from '../agents.testing';
import { WorkflowSweeper } from './workflow.sweeper';
import {
  alice,
  bob,
  boot,
  createOrphanedRun,
  carol,
  projectData,
  reconfigure,
  WEDNESDAY,
  type Booted,
} from './workflow.engine.testing';

describe('ApprovalService', () => {
  let b: Booted;
  useQuietBoot(() => b);

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
        { actor: alice.id, actorName: alice.name },
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
        ['key:bob', 'approve', null],
        ['key:carol', 'approve', 'ok'],
      ]);
      await expect(
        b.approvals.decide(id, { id: 'key:dave', name: 'dave', roles: [] }, { decision: 'approve' }),
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
      await createOrphanedRun(b, {
        workflow_id: 'wf-orphan',
        data: projectData,
        lease_expires_at: new Date(WEDNESDAY.getTime() + 1000).toISOString(),
      });
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

  describe('approvals bound to the data they approved', () => {
    const dave = { id: 'key:dave', name: 'dave', roles: ['approver'] };
    const submit = async (governance: Record<string, unknown>, governance_data: Record<string, unknown>) => {
      b = await boot({ overrides: { governance } });
      const { record } = await b.engine.submit(
        { workflow_type: 'project_initialization', data: projectData, governance_data },
        { actor: alice.id, actorName: alice.name },
      );
      return record;
    };

    it('a data_patch dismisses earlier approvals, counts once for the new data, and is audited with both hashes', async () => {
      const record = await submit({ approvals_required: { high: 2 } }, { financial_impact: 50000 });
      expect(record.data_hash).toBe(dataHash(projectData));
      const first = await b.approvals.decide(record.workflow_id, bob, { decision: 'approve' });
      expect(first.decisions[0]).toMatchObject({
        actor: 'key:bob',
        actor_name: 'bob',
        data_hash: record.data_hash,
      });
      const patched = await b.approvals.decide(record.workflow_id, carol, {
        decision: 'approve',
        data_patch: { goals: ['Design'] },
      });
      const after = dataHash({ ...projectData, goals: ['Design'] });
      expect(patched).toMatchObject({ status: 'pending_approval', data_hash: after });
      expect(patched.decisions.map((d) => [d.actor, d.dismissed ?? false, d.data_hash])).toEqual([
        ['key:bob', true, record.data_hash],
        ['key:carol', false, after],
      ]);
      const audit = (await b.store.listAudit({ workflow_id: record.workflow_id, limit: 10 })).items;
      expect(audit.at(-1)).toMatchObject({
        actor: 'key:carol',
        actor_name: 'carol',
        details: {
          data_patch: { goals: ['Design'] },
          data_hash_before: record.data_hash,
          data_hash_after: after,
        },
      });
      // Bob sees the new data and approves it: quorum of the new data.
      const again = await b.approvals.decide(record.workflow_id, bob, { decision: 'approve' });
      expect(again.status).toBe('approved');
    });

    it('refuses a patch touching what governance assessed, naming the keys', async () => {
      const record = await submit({}, { financial_impact: 50000 });
      await expect(
        b.approvals.decide(record.workflow_id, bob, {
          decision: 'approve',
          data_patch: { financial_impact: 1, goals: [] },
        }),
      ).rejects.toMatchObject({
        code: 'WORKFLOW_FORBIDDEN',
        message: expect.stringContaining('financial_impact'),
      });
      expect((await b.approvals.get(record.workflow_id)).decisions).toEqual([]);
    });

    it('re-assesses a patched workflow: a higher risk needs the higher quorum', async () => {
      const quorum = { approvals_required: { medium: 2, high: 3 } };
      const record = await submit(quorum, { financial_impact: 5000, compliance_level: 'high' });
      expect(record).toMatchObject({ risk_level: 'medium', approvals_required: 2 });
      await b.approvals.decide(record.workflow_id, bob, { decision: 'approve' });
      // The operator tightens the threshold (applies live): judged now, this work is high risk.
      reconfigure(b.config, { governance: { ...quorum, financial_threshold: 1000 } });
      const patched = await b.approvals.decide(record.workflow_id, carol, {
        decision: 'approve',
        data_patch: { goals: ['Design'] },
      });
      expect(patched).toMatchObject({
        status: 'pending_approval',
        risk_level: 'high',
        approvals_required: 3,
      });
      expect(patched.reasons).toContain('Financial impact $5000 exceeds threshold $1000');
      const next = await b.approvals.decide(record.workflow_id, bob, { decision: 'approve' });
      expect(next.status).toBe('pending_approval');
      expect((await b.approvals.decide(record.workflow_id, dave, { decision: 'approve' })).status).toBe(
        'approved',
      );
    });
  });
});
