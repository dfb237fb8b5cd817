import { StateError } from './state.error';
import type { AuditInput, StateStore, WorkflowStatus } from './state.interface';
import {
  at,
  auditFor,
  newRecord,
  type ContractContext,
  type ContractDatabase,
} from './state.contract.testing';

/** Records: create, idempotent create, list, conditional update (part of THE store contract, see state.contract.testing.ts). */
export function workflowContract(t: ContractContext): void {
  let db: ContractDatabase;
  let store: StateStore;
  beforeEach(() => {
    ({ db, store } = t.current());
  });
  const extra = t.extra;
  const auditCount = async () => (await store.listAudit({ limit: 1000 })).items.length;

  describe('create and get', () => {
    it('round-trips every field, starts at version 1 with updated_at = created_at, ISO-8601 UTC with ms', async () => {
      const input = newRecord({
        created_at: '2026-01-02T03:04:05Z',
        expires_at: '2026-01-05T03:04:05+00:00',
        lease_owner: 'replica-a',
        lease_expires_at: '2026-01-02T03:05:05.123Z',
        idempotency_key: 'key-1',
        request_hash: 'abc123',
        title: 'Apollo cutover',
        summary: [{ label: 'Budget', value: 1250000, unit: 'USD' }],
        flag_variants: { 'agent.risk_assessment.rules': 'v2', 'workflow.beta.step': 'on' },
        steps: [{ step: 'generate_plan', status: 'completed', result: { milestones: [1, 2] } }],
        decisions: [
          {
            actor: 'key:bob',
            actor_name: 'bob',
            decision: 'approve',
            comment: 'ok',
            data_patch: { a: null },
            data_hash: 'a'.repeat(64),
            dismissed: true,
            at: '2026-01-02T04:00:00.000Z',
          },
        ],
      });
      const { record, created } = await store.createWorkflow(input, [auditFor(input.workflow_id)]);
      expect(created).toBe(true);
      const expected = {
        ...input,
        created_at: '2026-01-02T03:04:05.000Z',
        updated_at: '2026-01-02T03:04:05.000Z',
        expires_at: '2026-01-05T03:04:05.000Z',
        version: 1,
      };
      expect(record).toEqual(expected);
      expect(await store.getWorkflow(input.workflow_id)).toEqual(expected);
      expect(store.backend).toBe(t.name.split(' ')[0]);
    });

    it('keeps null governance, null expiry and empty lists as such; an unknown id is null', async () => {
      const input = newRecord({ governance: null, expires_at: null, reasons: [], data: {} });
      await store.createWorkflow(input, []);
      expect(await store.getWorkflow(input.workflow_id)).toMatchObject({
        title: null,
        summary: null,
        flag_variants: {},
        governance: null,
        expires_at: null,
        reasons: [],
        data: {},
        lease_owner: null,
      });
      expect(await store.getWorkflow('no-such-workflow')).toBeNull();
    });

    it('a second record with the same workflow_id is a STATE_CONFLICT and writes no audit', async () => {
      const input = newRecord();
      await store.createWorkflow(input, [auditFor(input.workflow_id)]);
      await expect(store.createWorkflow(input, [auditFor(input.workflow_id)])).rejects.toMatchObject({
        name: 'StateError',
        code: 'STATE_CONFLICT',
      });
      expect(await auditCount()).toBe(1);
    });
  });

  describe('idempotent create', () => {
    it('same (requested_by, idempotency_key) returns the existing record with created:false and appends nothing', async () => {
      const first = newRecord({ idempotency_key: 'k1', request_hash: 'h1' });
      await store.createWorkflow(first, [auditFor(first.workflow_id)]);
      const again = newRecord({ idempotency_key: 'k1', request_hash: 'h2' });
      const result = await store.createWorkflow(again, [auditFor(again.workflow_id)]);
      expect(result.created).toBe(false);
      expect(result.record.workflow_id).toBe(first.workflow_id);
      expect(result.record.request_hash).toBe('h1');
      expect(await store.getWorkflow(again.workflow_id)).toBeNull();
      expect(await auditCount()).toBe(1);

      // The key is scoped to the requester; records without a key never collide.
      const other = newRecord({ idempotency_key: 'k1', requested_by: 'carol' });
      expect((await store.createWorkflow(other, [])).created).toBe(true);
      expect((await store.createWorkflow(newRecord(), [])).created).toBe(true);
      expect((await store.createWorkflow(newRecord(), [])).created).toBe(true);
    });

    it('concurrent duplicates: exactly one is created, every caller gets the winner, one audit entry', async () => {
      const stores = [store];
      if (db.shared) for (let i = 0; i < 2; i++) stores.push(await db.open().then((s) => (extra.push(s), s)));
      const attempts = Array.from({ length: 8 }, (_, i) =>
        newRecord({ idempotency_key: 'same-key', requested_by: 'dave', data: { attempt: i } }),
      );
      const results = await Promise.all(
        attempts.map((r, i) => stores[i % stores.length].createWorkflow(r, [auditFor(r.workflow_id)])),
      );
      const winners = results.filter((r) => r.created);
      expect(winners).toHaveLength(1);
      const winnerId = winners[0].record.workflow_id;
      expect(results.every((r) => r.record.workflow_id === winnerId)).toBe(true);
      expect(await auditCount()).toBe(1);
      expect((await store.verifyAudit()).ok).toBe(true);
    });
  });

  describe('listWorkflows', () => {
    async function seed() {
      const base = Date.parse('2026-04-01T00:00:00.000Z');
      const specs: [string, WorkflowStatus, string, number][] = [
        ['a', 'pending_approval', 'project_initialization', 0],
        ['b', 'completed', 'project_initialization', 1],
        ['c', 'pending_approval', 'risk_review', 2],
        // d and e share created_at: workflow_id desc breaks the tie.
        ['d', 'pending_approval', 'project_initialization', 3],
        ['e', 'rejected', 'project_initialization', 3],
        ['f', 'pending_approval', 'risk_review', 4],
        ['g', 'pending_approval', 'project_initialization', 5],
      ];
      for (const [id, status, type, minute] of specs)
        await store.createWorkflow(
          newRecord({
            workflow_id: `L-${id}`,
            status,
            workflow_type: type,
            created_at: new Date(base + minute * 60000).toISOString(),
          }),
          [],
        );
    }

    async function all(query: { status?: WorkflowStatus; type?: string }, limit: number) {
      const ids: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await store.listWorkflows({ ...query, limit, cursor });
        expect(page.items.length).toBeLessThanOrEqual(limit);
        ids.push(...page.items.map((r) => r.workflow_id));
        cursor = page.next_cursor;
        pages++;
      } while (cursor && pages < 20);
      return { ids, pages };
    }

    it('pages newest first (created_at desc, workflow_id desc) with an opaque cursor', async () => {
      await seed();
      const first = await store.listWorkflows({ limit: 3 });
      expect(first.items.map((r) => r.workflow_id)).toEqual(['L-g', 'L-f', 'L-e']);
      expect(typeof first.next_cursor).toBe('string');
      expect(await all({}, 3)).toEqual({
        ids: ['L-g', 'L-f', 'L-e', 'L-d', 'L-c', 'L-b', 'L-a'],
        pages: 3,
      });
      expect((await all({}, 7)).pages).toBe(1);
      expect((await store.listWorkflows({ limit: 7 })).next_cursor).toBeNull();
    });

    it('filters by status and type, also across pages', async () => {
      await seed();
      expect((await all({ status: 'pending_approval' }, 2)).ids).toEqual(['L-g', 'L-f', 'L-d', 'L-c', 'L-a']);
      expect((await all({ type: 'risk_review' }, 1)).ids).toEqual(['L-f', 'L-c']);
      expect((await all({ status: 'pending_approval', type: 'project_initialization' }, 2)).ids).toEqual([
        'L-g',
        'L-d',
        'L-a',
      ]);
      expect((await store.listWorkflows({ status: 'expired', limit: 5 })).items).toEqual([]);
    });

    it('refuses a cursor it did not make', async () => {
      await expect(store.listWorkflows({ limit: 5, cursor: 'not-a-cursor' })).rejects.toMatchObject({
        code: 'STATE_INVALID_CURSOR',
      });
    });
  });

  describe('updateWorkflow (conditional on version)', () => {
    it('applies the patch, bumps the version, sets updated_at and appends the audit entries', async () => {
      const input = newRecord();
      await store.createWorkflow(input, [auditFor(input.workflow_id)]);
      const decision = {
        actor: 'key:bob',
        actor_name: 'bob',
        decision: 'approve' as const,
        comment: null,
        data_hash: 'b'.repeat(64),
        dismissed: false,
        at: at(500),
      };
      const updated = await store.updateWorkflow(
        input.workflow_id,
        1,
        {
          status: 'approved',
          decisions: [decision],
          data: { name: 'Apollo', goals: ['Design'] },
          lease_owner: 'r1',
          lease_expires_at: at(501),
        },
        [
          auditFor(input.workflow_id, 'workflow.approved', {
            actor: 'bob',
            from_status: 'pending_approval',
            to_status: 'approved',
          }),
        ],
      );
      expect(updated).toMatchObject({
        status: 'approved',
        version: 2,
        decisions: [decision],
        data: { name: 'Apollo', goals: ['Design'] },
        lease_owner: 'r1',
        lease_expires_at: at(501),
        risk_level: 'high',
      });
      expect(Date.parse(updated!.updated_at)).toBeGreaterThan(Date.parse(input.created_at));
      expect(await store.getWorkflow(input.workflow_id)).toEqual(updated);
      const explicit = await store.updateWorkflow(
        input.workflow_id,
        2,
        { updated_at: at(600), lease_owner: null },
        [],
      );
      expect(explicit).toMatchObject({ version: 3, updated_at: at(600), lease_owner: null });
      // Migration 7: the variants a run pins are written with a patch too (JSON round trip).
      const pinned = await store.updateWorkflow(
        input.workflow_id,
        3,
        { flag_variants: { 'a.flag': 'v2' } },
        [],
      );
      expect(pinned).toMatchObject({ version: 4, flag_variants: { 'a.flag': 'v2' } });
      expect((await store.getWorkflow(input.workflow_id))?.flag_variants).toEqual({ 'a.flag': 'v2' });
      const audit = (await store.listAudit({ workflow_id: input.workflow_id, limit: 10 })).items;
      expect(audit.map((e) => e.action)).toEqual(['workflow.created', 'workflow.approved']);
    });

    it('a stale version or an unknown id returns null and changes nothing', async () => {
      const input = newRecord();
      await store.createWorkflow(input, [auditFor(input.workflow_id)]);
      await store.updateWorkflow(input.workflow_id, 1, { risk_level: 'medium' }, []);
      expect(
        await store.updateWorkflow(input.workflow_id, 1, { status: 'rejected' }, [
          auditFor(input.workflow_id, 'x'),
        ]),
      ).toBeNull();
      expect(
        await store.updateWorkflow('missing', 1, { status: 'rejected' }, [auditFor('missing', 'x')]),
      ).toBeNull();
      expect(await store.getWorkflow(input.workflow_id)).toMatchObject({
        status: 'pending_approval',
        risk_level: 'medium',
        version: 2,
      });
      expect(await auditCount()).toBe(1);
    });

    it('two concurrent updates with the same expected version: exactly one wins, only its audit lands', async () => {
      const input = newRecord();
      await store.createWorkflow(input, [auditFor(input.workflow_id)]);
      const other = db.shared ? await db.open().then((s) => (extra.push(s), s)) : store;
      const contenders = ['approve', 'reject', 'approve2', 'reject2'].map((who, i) =>
        (i % 2 ? other : store).updateWorkflow(
          input.workflow_id,
          1,
          {
            status: who.startsWith('approve') ? 'approved' : 'rejected',
            decisions: [{ actor: who, actor_name: who, decision: 'approve', comment: who, at: at(10) }],
          },
          [auditFor(input.workflow_id, `decided.${who}`, { actor: who })],
        ),
      );
      const results = await Promise.all(contenders);
      const won = results.filter((r) => r !== null);
      expect(won).toHaveLength(1);
      const stored = await store.getWorkflow(input.workflow_id);
      expect(stored).toEqual(won[0]);
      expect(stored!.version).toBe(2);
      const actions = (await store.listAudit({ limit: 10 })).items.map((e) => e.action);
      expect(actions).toEqual(['workflow.created', `decided.${stored!.decisions[0].actor}`]);
      expect((await store.verifyAudit()).ok).toBe(true);
    });

    it('an update whose audit append fails is rolled back as a whole', async () => {
      const input = newRecord();
      await store.createWorkflow(input, [auditFor(input.workflow_id)]);
      const broken = { ...auditFor(input.workflow_id, 'x'), actor: null } as unknown as AuditInput;
      await expect(
        store.updateWorkflow(input.workflow_id, 1, { status: 'approved' }, [broken]),
      ).rejects.toBeInstanceOf(StateError);
      expect(await store.getWorkflow(input.workflow_id)).toMatchObject({
        status: 'pending_approval',
        version: 1,
      });
      expect(await auditCount()).toBe(1);
      // And a create whose audit fails leaves no record behind.
      const second = newRecord();
      await expect(store.createWorkflow(second, [broken])).rejects.toBeInstanceOf(StateError);
      expect(await store.getWorkflow(second.workflow_id)).toBeNull();
    });
  });
}
