import { auditContract } from './state.contract-audit.testing';
import { auditKeysContract } from './state.contract-audit-keys.testing';
import { auditAttacksContract } from './state.contract-audit-attacks.testing';
import { identityContract } from './state.contract-identity.testing';
import { workflowContract } from './state.contract-workflows.testing';
import { bareRecord } from './state.engines.testing';
import type { AuditInput, NewWorkflowRecord, StateStore } from './state.interface';
import { dataHash } from './state.identity';

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

/** What the contract's parts see of the running test. */
export interface ContractContext {
  /** The target's name (sqlite (file), postgres, ...). */
  name: string;
  current(): { db: ContractDatabase; store: StateStore };
  extra: StateStore[];
}

export interface ContractTarget {
  /** A new, empty database (nothing migrated yet). */
  newDatabase(): Promise<ContractDatabase>;
}

let counter = 0;
const T0 = Date.parse('2026-03-01T10:00:00.000Z');
export const at = (minutes: number) => new Date(T0 + minutes * 60000).toISOString();

export function newRecord(overrides: Partial<NewWorkflowRecord> = {}): NewWorkflowRecord {
  counter++;
  return bareRecord({
    workflow_id: `wf-${process.pid}-${counter}`,
    created_at: at(counter),
    data: { name: 'Apollo', goals: ['Design', 'Build'], nested: { budget: 50000 } },
    data_hash: dataHash({ name: 'Apollo', goals: ['Design', 'Build'], nested: { budget: 50000 } }),
    policy: {
      name: 'default',
      when_unassessed: 'hold',
      minimum_risk: 'low',
      approvals_required: { low: 1, medium: 1, high: 2 },
    },
    governance: { financial_impact: 50000, requires_human_validation: true },
    reasons: ['financial impact 50000 over 10000'],
    approvals_required: 2,
    expires_at: at(counter + 60 * 72),
    ...overrides,
  });
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

/** A workflow whose chain holds `n` audit entries (created, then n - 1 updates); returns its id. */
export async function seedChain(store: StateStore, n: number): Promise<string> {
  const input = newRecord();
  await store.createWorkflow(input, [auditFor(input.workflow_id)]);
  for (let v = 1; v < n; v++)
    await store.updateWorkflow(input.workflow_id, v, { risk_level: `r${v}` }, [
      auditFor(input.workflow_id, 'workflow.updated', { comment: `step ${v}` }),
    ]);
  return input.workflow_id;
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

    const context: ContractContext = { name, current: () => ({ db, store }), extra };
    workflowContract(context);
    auditContract(context);
    auditKeysContract(context);
    auditAttacksContract(context);
    identityContract(context);
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
        { version: 4 },
        { version: 5 },
        { version: 6 },
        { version: 7 },
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
