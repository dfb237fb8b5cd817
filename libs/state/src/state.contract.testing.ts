import { AUDIT_GENESIS_HASH } from './state.constants';
import { auditHash } from './state.audit';
import { StateError } from './state.error';
import type { AuditInput, NewWorkflowRecord, StateStore, WorkflowStatus } from './state.interface';

/**
 * THE store contract: every backend runs this same suite against a real database (sqlite file and
 * :memory:, a real PostgreSQL). Spec helper, not exported from index.ts.
 */
export interface ContractDatabase {
  /** Opens a store on this database (connect + migrations); may be called again when `shared`. */
  open(): Promise<StateStore>;
  /** Raw SQL on the same database: tampering and schema checks only the test may do. */
  sql(text: string): Promise<Record<string, unknown>[]>;
  /** Several stores (connections, pools) can open this database at once. */
  shared: boolean;
  drop?(): Promise<void>;
}

export interface ContractTarget {
  /** A new, empty database (nothing migrated yet). */
  newDatabase(): Promise<ContractDatabase>;
}

let counter = 0;
const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60000).toISOString();

export function newRecord(overrides: Partial<NewWorkflowRecord> = {}): NewWorkflowRecord {
  counter++;
  return {
    workflow_id: `wf-${process.pid}-${counter}`,
    workflow_type: 'project_initialization',
    status: 'pending_approval',
    requested_by: 'alice',
    created_at: at(counter),
    data: { name: 'Apollo', goals: ['Design', 'Build'], nested: { budget: 50000 } },
    governance: { financial_impact: 50000, requires_human_validation: true },
    risk_level: 'high',
    reasons: ['financial impact 50000 over 10000'],
    approvals_required: 2,
    decisions: [],
    expires_at: at(counter + 60 * 72),
    steps: [],
    lease_owner: null,
    lease_expires_at: null,
    idempotency_key: null,
    request_hash: null,
    ...overrides,
  };
}

export function auditFor(
  workflowId: string | null,
  action = 'workflow.created',
  extra: Partial<AuditInput> = {},
): AuditInput {
  return {
    at: new Date().toISOString(),
    actor: 'alice',
    action,
    workflow_id: workflowId,
    from_status: null,
    to_status: 'pending_approval',
    comment: null,
    correlation_id: 'corr-1',
    ...extra,
  };
}

export function defineStateStoreContract(name: string, target: ContractTarget): void {
  describe(`StateStore contract: ${name}`, () => {
    let db: ContractDatabase;
    let store: StateStore;
    const extra: StateStore[] = [];

    beforeEach(async () => {
      db = await target.newDatabase();
      store = await db.open();
    });

    afterEach(async () => {
      for (const s of [store, ...extra.splice(0)]) await s?.close();
      await db?.drop?.();
    });

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
          steps: [{ step: 'generate_plan', status: 'completed', result: { milestones: [1, 2] } }],
          decisions: [
            {
              actor: 'bob',
              decision: 'approve',
              comment: 'ok',
              data_patch: { a: null },
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
        expect(store.backend).toBe(name.split(' ')[0]);
      });

      it('keeps null governance, null expiry and empty lists as such; an unknown id is null', async () => {
        const input = newRecord({ governance: null, expires_at: null, reasons: [], data: {} });
        await store.createWorkflow(input, []);
        expect(await store.getWorkflow(input.workflow_id)).toMatchObject({
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
        if (db.shared)
          for (let i = 0; i < 2; i++) stores.push(await db.open().then((s) => (extra.push(s), s)));
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
        expect((await all({ status: 'pending_approval' }, 2)).ids).toEqual([
          'L-g',
          'L-f',
          'L-d',
          'L-c',
          'L-a',
        ]);
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
        const decision = { actor: 'bob', decision: 'approve' as const, comment: null, at: at(500) };
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
              decisions: [{ actor: who, decision: 'approve', comment: who, at: at(10) }],
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

    describe('audit chain', () => {
      async function seedChain(n: number) {
        const input = newRecord();
        await store.createWorkflow(input, [auditFor(input.workflow_id)]);
        for (let v = 1; v < n; v++)
          await store.updateWorkflow(input.workflow_id, v, { risk_level: `r${v}` }, [
            auditFor(input.workflow_id, 'workflow.updated', { comment: `step ${v}` }),
          ]);
        return input.workflow_id;
      }

      it('links entries from the genesis hash; seq, prev_hash and hash are assigned by the store', async () => {
        const id = await seedChain(3);
        await store.createWorkflow(newRecord(), [
          auditFor(null, 'system.note'),
          auditFor(null, 'system.note2'),
        ]);
        const entries = (await store.listAudit({ limit: 100 })).items;
        expect(entries.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
        expect(entries[0].prev_hash).toBe(AUDIT_GENESIS_HASH);
        entries.forEach((e, i) => {
          const { hash, ...rest } = e;
          expect(hash).toBe(auditHash(rest));
          if (i > 0) expect(e.prev_hash).toBe(entries[i - 1].hash);
        });
        expect(entries[1]).toMatchObject({
          workflow_id: id,
          action: 'workflow.updated',
          comment: 'step 1',
          correlation_id: 'corr-1',
        });
        expect(await store.verifyAudit()).toEqual({ ok: true, entries: 5 });
      });

      it('lists oldest first, by workflow and in pages', async () => {
        const id = await seedChain(4);
        await seedChain(2);
        const mine = (await store.listAudit({ workflow_id: id, limit: 100 })).items;
        expect(mine.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
        const p1 = await store.listAudit({ limit: 4 });
        expect(p1.items.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
        const p2 = await store.listAudit({ limit: 4, cursor: p1.next_cursor });
        expect(p2.items.map((e) => e.seq)).toEqual([5, 6]);
        expect(p2.next_cursor).toBeNull();
        const w1 = await store.listAudit({ workflow_id: id, limit: 3 });
        expect(
          (await store.listAudit({ workflow_id: id, limit: 3, cursor: w1.next_cursor })).items.map(
            (e) => e.seq,
          ),
        ).toEqual([4]);
      });

      it('an entry altered with SQL is reported as the first bad seq', async () => {
        await seedChain(5);
        expect(await store.verifyAudit()).toEqual({ ok: true, entries: 5 });
        await db.sql("UPDATE audit SET comment = 'nothing to see' WHERE seq = 3");
        expect(await store.verifyAudit()).toEqual({ ok: false, entries: 3, first_bad_seq: 3 });
      });

      it('a deleted entry (a gap in seq) is detected at the entry after it', async () => {
        await seedChain(5);
        await db.sql('DELETE FROM audit WHERE seq = 2');
        expect(await store.verifyAudit()).toEqual({ ok: false, entries: 2, first_bad_seq: 3 });
      });

      it('a rewritten chain tail (hash recomputed without prev link) is detected', async () => {
        await seedChain(3);
        await db.sql("UPDATE audit SET prev_hash = '" + 'f'.repeat(64) + "' WHERE seq = 2");
        expect((await store.verifyAudit()).first_bad_seq).toBe(2);
      });

      it('entries cut off the end are detected against the recorded head, and later appends keep the gap', async () => {
        await seedChain(5);
        await db.sql('DELETE FROM audit WHERE seq >= 4');
        expect(await store.verifyAudit()).toEqual({ ok: false, entries: 3, first_bad_seq: 4 });
        // A new link follows the recorded head (seq 6), so the truncation cannot be papered over.
        await seedChain(1);
        expect((await store.verifyAudit()).first_bad_seq).toBe(6);
        await db.sql('DELETE FROM audit');
        expect(await store.verifyAudit()).toEqual({ ok: false, entries: 0, first_bad_seq: 1 });
      });

      it('an empty chain verifies', async () => {
        expect(await store.verifyAudit()).toEqual({ ok: true, entries: 0 });
      });
    });

    describe('findExpired / findUnleased / countByStatus', () => {
      it('findExpired: given statuses whose expires_at <= now, oldest first, at most limit', async () => {
        const mk = (id: string, status: WorkflowStatus, expires: string | null) =>
          store.createWorkflow(newRecord({ workflow_id: id, status, expires_at: expires }), []);
        await mk('x1', 'pending_approval', at(10));
        await mk('x2', 'pending_approval', at(5));
        await mk('x3', 'pending_approval', at(20)); // exactly now: expired
        await mk('x4', 'pending_approval', at(21)); // not yet
        await mk('x5', 'approved', at(1)); // other status
        await mk('x6', 'pending_approval', null); // never expires
        const now = at(20);
        expect((await store.findExpired(['pending_approval'], now, 10)).map((r) => r.workflow_id)).toEqual([
          'x2',
          'x1',
          'x3',
        ]);
        expect((await store.findExpired(['pending_approval'], now, 2)).map((r) => r.workflow_id)).toEqual([
          'x2',
          'x1',
        ]);
        expect(
          (await store.findExpired(['pending_approval', 'approved'], now, 10)).map((r) => r.workflow_id),
        ).toEqual(['x5', 'x2', 'x1', 'x3']);
        expect(await store.findExpired([], now, 10)).toEqual([]);
      });

      it('findUnleased: lease null or expired, oldest updated first', async () => {
        const mk = (id: string, status: WorkflowStatus, minute: number, lease: string | null) =>
          store.createWorkflow(
            newRecord({
              workflow_id: id,
              status,
              created_at: at(minute),
              lease_owner: lease ? 'r1' : null,
              lease_expires_at: lease,
            }),
            [],
          );
        await mk('u1', 'approved', 3, null);
        await mk('u2', 'running', 1, at(30)); // lease expired at now
        await mk('u3', 'running', 2, at(31)); // still held
        await mk('u4', 'approved', 0, at(10));
        await mk('u5', 'pending_approval', 0, null); // other status
        const now = at(30);
        expect(
          (await store.findUnleased(['approved', 'running'], now, 10)).map((r) => r.workflow_id),
        ).toEqual(['u4', 'u2', 'u1']);
        expect((await store.findUnleased(['approved', 'running'], now, 1)).map((r) => r.workflow_id)).toEqual(
          ['u4'],
        );
        // Taking the lease (a conditional update) removes it from the list.
        await store.updateWorkflow(
          'u4',
          1,
          { lease_owner: 'r2', lease_expires_at: at(90), updated_at: at(29) },
          [],
        );
        expect(
          (await store.findUnleased(['approved', 'running'], now, 10)).map((r) => r.workflow_id),
        ).toEqual(['u2', 'u1']);
      });

      it('countByStatus counts every status present', async () => {
        expect(await store.countByStatus()).toEqual({});
        for (const s of [
          'pending_approval',
          'pending_approval',
          'completed',
          'rejected',
          'pending_approval',
        ] as const)
          await store.createWorkflow(newRecord({ status: s }), []);
        expect(await store.countByStatus()).toEqual({ pending_approval: 3, completed: 1, rejected: 1 });
      });
    });

    describe('revoked sessions (inbox logout)', () => {
      it('remembers a revoked session id until its mark expires, and purges expired marks', async () => {
        expect(await store.isSessionRevoked('sid-1', at(0))).toBe(false);
        await store.revokeSession('sid-1', at(3600), at(0));
        await store.revokeSession('sid-1', at(3600), at(0)); // idempotent
        expect(await store.isSessionRevoked('sid-1', at(10))).toBe(true);
        expect(await store.isSessionRevoked('sid-2', at(10))).toBe(false);
        expect(await store.isSessionRevoked('sid-1', at(3600))).toBe(false);
        await store.revokeSession('sid-2', at(7200), at(3601));
        expect(await db.sql('SELECT sid FROM revoked_sessions')).toEqual([{ sid: 'sid-2' }]);
      });
    });

    describe('migrations and lifecycle', () => {
      it('records each migration once; reopening applies nothing twice and keeps the data', async () => {
        const input = newRecord();
        await store.createWorkflow(input, [auditFor(input.workflow_id)]);
        const rows = await db.sql('SELECT version, name, applied_at FROM schema_migrations ORDER BY version');
        expect(rows.length).toBeGreaterThanOrEqual(1);
        expect(rows[0]).toMatchObject({ version: 1, name: 'workflows_and_audit' });
        expect(rows[1]).toMatchObject({ version: 2, name: 'audit_head' });
        expect(rows[2]).toMatchObject({ version: 3, name: 'revoked_sessions' });
        if (db.shared) {
          const again = await db.open();
          extra.push(again);
          expect(await again.getWorkflow(input.workflow_id)).toMatchObject({
            workflow_id: input.workflow_id,
          });
          expect(await db.sql('SELECT version FROM schema_migrations')).toHaveLength(rows.length);
        }
      });

      it('ping answers; a closed store refuses with STATE_CLOSED', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
        await store.close();
        await expect(store.getWorkflow('x')).rejects.toMatchObject({ code: 'STATE_CLOSED' });
        await store.close(); // idempotent
      });
    });
  });
}

/** Several stores opening one new database at once: the migration runs once, all of them work. */
export function defineConcurrentMigrationTest(name: string, target: ContractTarget): void {
  it(`${name}: stores opening one new database concurrently migrate it once and all work`, async () => {
    const db = await target.newDatabase();
    const stores = await Promise.all(Array.from({ length: 4 }, () => db.open()));
    try {
      // Each migration recorded exactly once, whoever won the race.
      expect(await db.sql('SELECT version FROM schema_migrations ORDER BY version')).toEqual([
        { version: 1 },
        { version: 2 },
        { version: 3 },
      ]);
      await Promise.all(
        stores.map((s, i) => s.createWorkflow(newRecord({ workflow_id: `m-${i}` }), [auditFor(`m-${i}`)])),
      );
      for (const s of stores) expect((await s.listWorkflows({ limit: 10 })).items).toHaveLength(4);
      expect(await stores[0].verifyAudit()).toEqual({ ok: true, entries: 4 });
    } finally {
      for (const s of stores) await s.close();
      await db.drop?.();
    }
  });
}
