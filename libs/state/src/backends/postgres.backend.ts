// Plain parameterised SQL for postgres, next to its sqlite twin: two small dialect files are simpler
// than a query builder whose sqlite dialect doesn't speak node:sqlite. Shared logic (row mapping,
// hashing, cursors) lives in state.rows.ts / state.audit.ts.
import { Injectable } from '@nestjs/common';
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { DEVELOPMENT_KEYRING, type AuditKeyring } from '../state.audit-keys';
import { PostgresAudit } from './postgres.audit';
import { StateBackendProvider } from '../state.decorator';
import { applyPostgresMigrations, MIGRATION_LOCK } from './postgres.migrations';
import { StateError } from '../state.error';
import { postgresError } from './postgres.errors';
import { createStatePool } from './postgres.pool';
import { PostgresStateSql } from './postgres.sql';
import type {
  AuditEntry,
  AuditHead,
  AuditInput,
  AuditQuery,
  AuditVerification,
  NewWorkflowRecord,
  Page,
  StateBackend,
  StateBackendContext,
  StateSettings,
  StateStore,
  WorkflowPatch,
  WorkflowQuery,
  WorkflowRecord,
  WorkflowStatus,
} from '../state.interface';
import {
  auditPage,
  checkLimit,
  decodeAuditCursor,
  decodeWorkflowCursor,
  iso,
  JSON_COLUMNS,
  newWorkflowParams,
  patchAssignments,
  TIME_COLUMNS,
  toAuditEntry,
  toWorkflowRecord,
  WORKFLOW_COLUMNS,
  workflowPage,
} from '../state.rows';

// pg has already parsed JSONB; timestamptz arrives as Date and is turned into ISO by the mapper.
const row = (r: QueryResultRow) => toWorkflowRecord(r, (v) => v ?? null);

/** `$n` with the cast its column needs (JSON text -> jsonb, ISO text -> timestamptz). */
function placeholder(column: string, n: number): string {
  if (JSON_COLUMNS.has(column)) return `$${n}::jsonb`;
  if (TIME_COLUMNS.has(column)) return `$${n}::timestamptz`;
  return `$${n}`;
}

interface Tx<T> {
  commit: boolean;
  value: T;
}

/**
 * The scale-out store: a pg.Pool with statement and connect timeouts. No global lock: each workflow
 * is its own keyed audit chain, written in the same statement as the workflow (see PostgresAudit).
 */
export class PostgresStateStore implements StateStore {
  readonly backend = 'postgres';
  private closed = false;
  private stateSql: PostgresStateSql | null = null;
  private keys: AuditKeyring = DEVELOPMENT_KEYRING;
  private readonly audit = new PostgresAudit(
    (what, text, values) => this.query(what, text, values),
    () => this.keys,
  );

  private constructor(
    private readonly pool: Pool,
    private readonly secrets: (string | null)[],
  ) {}

  /** Connects (pool), then applies pending migrations under a session advisory lock. */
  static async open(settings: StateSettings['postgres']): Promise<PostgresStateStore> {
    const url = settings.url;
    if (!url)
      throw new StateError(
        'STATE_INVALID_CONFIG',
        'state.backend is postgres but state.postgres.url is not set; set it (MIRA_STATE__POSTGRES__URL, may be a secret:// reference)',
      );
    let password: string | null;
    try {
      password = decodeURIComponent(new URL(url).password) || null;
    } catch {
      throw new StateError(
        'STATE_INVALID_CONFIG',
        'state.postgres.url is not a valid URL; use postgres://user:password@host:5432/database',
      );
    }
    const pool = createStatePool(settings, [url, password]);
    const store = new PostgresStateStore(pool, [url, password]);
    try {
      await store.migrate();
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
    return store;
  }

  private async client(what: string): Promise<PoolClient> {
    if (this.closed)
      throw new StateError('STATE_CLOSED', 'The state store is closed (the service is shutting down)');
    try {
      return await this.pool.connect();
    } catch (err) {
      throw postgresError(err, what, this.secrets);
    }
  }

  private async query<R extends QueryResultRow>(
    what: string,
    text: string,
    values: unknown[] = [],
  ): Promise<R[]> {
    const c = await this.client(what);
    try {
      return (await c.query<R>(text, values)).rows;
    } catch (err) {
      throw postgresError(err, what, this.secrets);
    } finally {
      c.release();
    }
  }

  private async tx<T>(what: string, fn: (c: PoolClient) => Promise<Tx<T>>): Promise<T> {
    const c = await this.client(what);
    let broken: Error | undefined;
    try {
      await c.query('BEGIN');
      const result = await fn(c);
      await c.query(result.commit ? 'COMMIT' : 'ROLLBACK');
      return result.value;
    } catch (err) {
      await c.query('ROLLBACK').catch((e: Error) => (broken = e));
      throw postgresError(err, what, this.secrets);
    } finally {
      // A client whose ROLLBACK failed is in an unknown state: destroy it rather than reuse it.
      c.release(broken);
    }
  }

  async migrate(): Promise<void> {
    const c = await this.client('migration');
    let locked = false;
    try {
      // Session lock: a second replica starting at the same time waits here, then finds all applied.
      await c.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      locked = true;
      await applyPostgresMigrations(c);
    } catch (err) {
      const mapped = postgresError(err, 'migration', this.secrets);
      if (mapped.code === 'STATE_UNAVAILABLE' || mapped.code === 'STATE_MIGRATION_FAILED') throw mapped;
      throw new StateError(
        'STATE_MIGRATION_FAILED',
        `Applying the state schema migrations failed: ${mapped.message}; fix the database (or restore it) and restart`,
      );
    } finally {
      if (locked) await c.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
      c.release();
    }
  }

  useAuditKeys(keys: AuditKeyring): void {
    this.keys = keys;
  }

  async createWorkflow(
    record: NewWorkflowRecord,
    audit: AuditInput[],
  ): Promise<{ record: WorkflowRecord; created: boolean }> {
    const params = newWorkflowParams(record);
    // ON CONFLICT on the partial unique index: a concurrent duplicate waits for the winner's
    // commit and then inserts nothing (and appends nothing), instead of failing.
    const insert = `INSERT INTO workflows (${WORKFLOW_COLUMNS.join(', ')})
         VALUES (${WORKFLOW_COLUMNS.map((col, i) => placeholder(col, i + 1)).join(', ')})
         ON CONFLICT (requested_by, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
         RETURNING *`;
    const inserted = await this.audit.write(
      'createWorkflow',
      insert,
      params,
      record.workflow_id,
      audit,
      true,
    );
    if (inserted) return { record: row(inserted), created: true };
    const [existing] = await this.query(
      'createWorkflow',
      'SELECT * FROM workflows WHERE requested_by = $1 AND idempotency_key = $2',
      [record.requested_by, record.idempotency_key],
    );
    return { record: row(existing), created: false };
  }

  async getWorkflow(id: string): Promise<WorkflowRecord | null> {
    const rows = await this.query('getWorkflow', 'SELECT * FROM workflows WHERE workflow_id = $1', [id]);
    return rows[0] ? row(rows[0]) : null;
  }

  async listWorkflows(query: WorkflowQuery): Promise<Page<WorkflowRecord>> {
    const limit = checkLimit(query.limit);
    const where: string[] = [];
    const params: unknown[] = [];
    const p = (v: unknown) => `$${params.push(v)}`;
    if (query.status) where.push(`status = ${p(query.status)}`);
    if (query.type) where.push(`workflow_type = ${p(query.type)}`);
    const after = decodeWorkflowCursor(query.cursor);
    if (after) {
      const at = p(after.created_at);
      where.push(
        `(created_at < ${at}::timestamptz OR (created_at = ${at}::timestamptz AND workflow_id < ${p(after.workflow_id)}))`,
      );
    }
    const rows = await this.query(
      'listWorkflows',
      `SELECT * FROM workflows ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at DESC, workflow_id DESC LIMIT ${p(limit + 1)}`,
      params,
    );
    return workflowPage(rows.map(row), limit);
  }

  async updateWorkflow(
    id: string,
    expectedVersion: number,
    patch: WorkflowPatch,
    audit: AuditInput[],
  ): Promise<WorkflowRecord | null> {
    const sets = patchAssignments(patch);
    // A concurrent update of the same version waits on the row lock, then re-checks
    // `version = $n` against the committed row and matches nothing: exactly one wins, and only the
    // winner's audit entries are written (the CTEs depend on the update's row).
    const updated = await this.audit.write(
      'updateWorkflow',
      `UPDATE workflows SET ${sets.map((s, i) => `${s.column} = ${placeholder(s.column, i + 1)}`).join(', ')},
           version = version + 1
         WHERE workflow_id = $${sets.length + 1} AND version = $${sets.length + 2}
         RETURNING *`,
      [...sets.map((s) => s.value), id, expectedVersion],
      id,
      audit,
      false,
    );
    return updated ? row(updated) : null;
  }

  async findExpired(statuses: WorkflowStatus[], now: string, limit: number): Promise<WorkflowRecord[]> {
    if (statuses.length === 0) return [];
    const rows = await this.query(
      'findExpired',
      `SELECT * FROM workflows WHERE status = ANY($1::text[])
         AND expires_at IS NOT NULL AND expires_at <= $2::timestamptz
       ORDER BY expires_at ASC, workflow_id ASC LIMIT $3`,
      [statuses, iso(now), checkLimit(limit)],
    );
    return rows.map(row);
  }

  async oldestIn(statuses: WorkflowStatus[], limit: number): Promise<WorkflowRecord[]> {
    if (statuses.length === 0) return [];
    const rows = await this.query(
      'oldestIn',
      `SELECT * FROM workflows WHERE status = ANY($1::text[])
       ORDER BY created_at ASC, workflow_id ASC LIMIT $2`,
      [statuses, checkLimit(limit)],
    );
    return rows.map(row);
  }

  async findUnleased(statuses: WorkflowStatus[], now: string, limit: number): Promise<WorkflowRecord[]> {
    if (statuses.length === 0) return [];
    const rows = await this.query(
      'findUnleased',
      `SELECT * FROM workflows WHERE status = ANY($1::text[])
         AND (lease_expires_at IS NULL OR lease_expires_at <= $2::timestamptz)
       ORDER BY updated_at ASC, workflow_id ASC LIMIT $3`,
      [statuses, iso(now), checkLimit(limit)],
    );
    return rows.map(row);
  }

  async countByStatus(): Promise<Partial<Record<WorkflowStatus, number>>> {
    const rows = await this.query<{ status: WorkflowStatus; n: string }>(
      'countByStatus',
      'SELECT status, COUNT(*) AS n FROM workflows GROUP BY status',
    );
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
  }

  async listAudit(query: AuditQuery): Promise<Page<AuditEntry>> {
    const limit = checkLimit(query.limit);
    const after = decodeAuditCursor(query.cursor);
    const rows = query.workflow_id
      ? await this.query(
          'listAudit',
          'SELECT * FROM audit WHERE workflow_id = $1 AND seq > $2 ORDER BY seq ASC LIMIT $3',
          [query.workflow_id, after, limit + 1],
        )
      : await this.query('listAudit', 'SELECT * FROM audit WHERE seq > $1 ORDER BY seq ASC LIMIT $2', [
          after,
          limit + 1,
        ]);
    return auditPage(rows.map(toAuditEntry), limit);
  }

  async auditHead(): Promise<AuditHead | null> {
    return this.audit.head();
  }

  /** In one REPEATABLE READ snapshot, so concurrent appends never look like a truncation. */
  async verifyAudit(): Promise<AuditVerification> {
    return this.tx('verifyAudit', async (c) => {
      await c.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const value = await this.audit.verify(async (what, text, values) => {
        try {
          return (await c.query(text, values)).rows;
        } catch (err) {
          throw postgresError(err, what, this.secrets);
        }
      });
      return { commit: true, value };
    });
  }

  async revokeSession(sid: string, expiresAt: string, now: string): Promise<void> {
    // One transaction: the clean-up of expired rows never commits without the revocation.
    await this.tx('revokeSession', async (c) => {
      await c.query('DELETE FROM revoked_sessions WHERE expires_at <= $1::timestamptz', [now]);
      await c.query(
        `INSERT INTO revoked_sessions (sid, expires_at) VALUES ($1, $2::timestamptz)
         ON CONFLICT (sid) DO UPDATE SET expires_at = EXCLUDED.expires_at`,
        [sid, expiresAt],
      );
      return { commit: true, value: undefined };
    });
  }

  async isSessionRevoked(sid: string, now: string): Promise<boolean> {
    const rows = await this.query(
      'isSessionRevoked',
      'SELECT 1 FROM revoked_sessions WHERE sid = $1 AND expires_at > $2::timestamptz',
      [sid, now],
    );
    return rows.length > 0;
  }

  async ping(): Promise<void> {
    await this.query('ping', 'SELECT 1');
  }

  /** Plain SQL on this pool, for module-owned tables (see StateSql). */
  sqlAccess(): PostgresStateSql {
    return (this.stateSql ??= new PostgresStateSql({
      client: (what) => this.client(what),
      error: (err, what) => postgresError(err, what, this.secrets),
    }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/** `state.backend: postgres`: several replicas share one database. */
@Injectable()
@StateBackendProvider('postgres')
export class PostgresStateBackend implements StateBackend {
  async open({ settings }: StateBackendContext): Promise<StateStore> {
    return PostgresStateStore.open(settings.postgres);
  }
}
