// Plain parameterised SQL for postgres, next to its sqlite twin: two small dialect files are simpler
// than a query builder whose sqlite dialect doesn't speak node:sqlite. Shared logic (row mapping,
// hashing, cursors) lives in state.rows.ts / state.audit.ts.
import { Injectable, Logger } from '@nestjs/common';
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { chainEntries, verifyChain, type ChainTail } from '../state.audit';
import { StateBackendProvider } from '../state.decorator';
import { applyPostgresMigrations, MIGRATION_LOCK } from './postgres.migrations';
import { sanitizeMessage, StateError } from '../state.error';
import { postgresError } from './postgres.errors';
import { PostgresStateSql } from './postgres.sql';
import type {
  AuditEntry,
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
  AUDIT_COLUMNS,
  auditPage,
  checkLimit,
  decodeAuditCursor,
  decodeWorkflowCursor,
  encodeColumn,
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

/** pg_advisory_xact_lock key ('mira' + 2) serialising audit appends (+ 1 is the migration lock). */
const AUDIT_LOCK = 1835627106;

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
 * The scale-out store: a pg.Pool with statement and connect timeouts. Every write that appends audit
 * takes pg_advisory_xact_lock(AUDIT_LOCK) first, so the chain stays linear across replicas and no
 * writer waits on a row lock while holding the audit lock of another.
 */
export class PostgresStateStore implements StateStore {
  readonly backend = 'postgres';
  private closed = false;
  private readonly logger = new Logger('StateStore');
  private stateSql: PostgresStateSql | null = null;

  private constructor(
    private readonly pool: Pool,
    private readonly secrets: (string | null)[],
  ) {
    // An idle client losing its server emits here; without a listener the process would crash.
    pool.on('error', (err) => this.logger.warn(`postgres idle connection lost: ${this.sanitize(err)}`));
  }

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
    // Loaded here so the default sqlite deployment never loads the driver.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pg = require('pg') as typeof import('pg');
    const pool = new pg.Pool({
      connectionString: url,
      max: settings.pool_max,
      statement_timeout: settings.statement_timeout_ms,
      connectionTimeoutMillis: settings.connect_timeout_ms,
      application_name: 'mira',
    });
    const store = new PostgresStateStore(pool, [url, password]);
    try {
      await store.migrate();
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw err;
    }
    return store;
  }

  private sanitize(err: unknown): string {
    return sanitizeMessage((err as Error)?.message ?? String(err), this.secrets);
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
      if (mapped.code === 'STATE_UNAVAILABLE') throw mapped;
      throw new StateError(
        'STATE_MIGRATION_FAILED',
        `Applying the state schema migrations failed: ${mapped.message}; fix the database (or restore it) and restart`,
      );
    } finally {
      if (locked) await c.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
      c.release();
    }
  }

  private async append(c: PoolClient, audit: AuditInput[]): Promise<void> {
    if (audit.length === 0) return;
    // New links follow the recorded head, not the last row: a row deleted off the end stays a gap.
    const tail = (await c.query<ChainTail>('SELECT seq, hash FROM audit_head WHERE id = 1')).rows[0];
    const entries = chainEntries(tail ? { seq: Number(tail.seq), hash: tail.hash } : null, audit);
    for (const e of entries) {
      await c.query(
        `INSERT INTO audit (${AUDIT_COLUMNS.join(', ')}) VALUES (${AUDIT_COLUMNS.map((col, i) => (col === 'at' ? `$${i + 1}::timestamptz` : `$${i + 1}`)).join(', ')})`,
        AUDIT_COLUMNS.map((col) => encodeColumn(col, e[col])),
      );
    }
    const last = entries[entries.length - 1];
    await c.query(
      'INSERT INTO audit_head (id, seq, hash) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash',
      [last.seq, last.hash],
    );
  }

  private async lockAudit(c: PoolClient, audit: AuditInput[]): Promise<void> {
    if (audit.length > 0) await c.query('SELECT pg_advisory_xact_lock($1)', [AUDIT_LOCK]);
  }

  async createWorkflow(
    record: NewWorkflowRecord,
    audit: AuditInput[],
  ): Promise<{ record: WorkflowRecord; created: boolean }> {
    const params = newWorkflowParams(record);
    return this.tx<{ record: WorkflowRecord; created: boolean }>('createWorkflow', async (c) => {
      await this.lockAudit(c, audit);
      // ON CONFLICT on the partial unique index: a concurrent duplicate waits for the winner's
      // commit and then inserts nothing, instead of failing.
      const inserted = await c.query(
        `INSERT INTO workflows (${WORKFLOW_COLUMNS.join(', ')})
         VALUES (${WORKFLOW_COLUMNS.map((col, i) => placeholder(col, i + 1)).join(', ')})
         ON CONFLICT (requested_by, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
         RETURNING *`,
        params,
      );
      if (inserted.rows.length === 0) {
        const existing = await c.query(
          'SELECT * FROM workflows WHERE requested_by = $1 AND idempotency_key = $2',
          [record.requested_by, record.idempotency_key],
        );
        return { commit: false, value: { record: row(existing.rows[0]), created: false } };
      }
      await this.append(c, audit);
      return { commit: true, value: { record: row(inserted.rows[0]), created: true } };
    });
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
    return this.tx('updateWorkflow', async (c) => {
      await this.lockAudit(c, audit);
      // A concurrent update of the same version waits on the row lock, then re-checks
      // `version = $n` against the committed row and matches nothing: exactly one wins.
      const updated = await c.query(
        `UPDATE workflows SET ${sets.map((s, i) => `${s.column} = ${placeholder(s.column, i + 1)}`).join(', ')},
           version = version + 1
         WHERE workflow_id = $${sets.length + 1} AND version = $${sets.length + 2}
         RETURNING *`,
        [...sets.map((s) => s.value), id, expectedVersion],
      );
      if (updated.rows.length !== 1) return { commit: false, value: null };
      await this.append(c, audit);
      return { commit: true, value: row(updated.rows[0]) };
    });
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

  async verifyAudit(): Promise<AuditVerification> {
    const [head] = await this.query('verifyAudit', 'SELECT seq, hash FROM audit_head WHERE id = 1', []);
    return verifyChain(
      async (afterSeq, limit) =>
        (
          await this.query('verifyAudit', 'SELECT * FROM audit WHERE seq > $1 ORDER BY seq ASC LIMIT $2', [
            afterSeq,
            limit,
          ])
        ).map(toAuditEntry),
      head ? { seq: Number(head.seq), hash: String(head.hash) } : null,
    );
  }

  async revokeSession(sid: string, expiresAt: string, now: string): Promise<void> {
    await this.query('revokeSession', 'DELETE FROM revoked_sessions WHERE expires_at <= $1::timestamptz', [
      now,
    ]);
    await this.query(
      'revokeSession',
      `INSERT INTO revoked_sessions (sid, expires_at) VALUES ($1, $2::timestamptz)
       ON CONFLICT (sid) DO UPDATE SET expires_at = EXCLUDED.expires_at`,
      [sid, expiresAt],
    );
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
