// Plain parameterised SQL for sqlite, next to its postgres twin: two small dialect files are simpler
// than a query builder whose sqlite dialect doesn't speak node:sqlite. Shared logic (row mapping,
// hashing, cursors) lives in state.rows.ts / state.audit.ts.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DatabaseSync, SQLInputValue } from 'node:sqlite';
import { Injectable } from '@nestjs/common';
import { chainEntries, verifyChain, type ChainTail } from '../state.audit';
import { SqliteCheckpointer } from './sqlite.checkpointer';
import { loadSqlite } from './sqlite.driver';
import { BUSY_TIMEOUT_MS, sqliteError } from './sqlite.errors';
import { SqliteSerial, SqliteStateSql } from './sqlite.sql';
import { StateBackendProvider } from '../state.decorator';
import { applySqliteMigrations } from './sqlite.migrations';
import { StateError } from '../state.error';
import type {
  AuditEntry,
  AuditInput,
  AuditQuery,
  AuditVerification,
  NewWorkflowRecord,
  Page,
  StateBackend,
  StateBackendContext,
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
  newWorkflowParams,
  patchAssignments,
  toAuditEntry,
  toWorkflowRecord,
  WORKFLOW_COLUMNS,
  workflowPage,
} from '../state.rows';

/** How often the checkpoint thread moves the WAL into the database file. */
const CHECKPOINT_INTERVAL_MS = 1000;

const json = (v: unknown) => (typeof v === 'string' ? (JSON.parse(v) as unknown) : (v ?? null));
const row = (r: unknown) => toWorkflowRecord(r as Record<string, unknown>, json);

/**
 * The embedded store: one node:sqlite connection, WAL, synchronous=NORMAL, busy_timeout. node:sqlite
 * is synchronous, so every transaction runs start to COMMIT without yielding: in-process callers are
 * serialised for free, and BEGIN IMMEDIATE serialises writers across processes sharing the file.
 */
export class SqliteStateStore implements StateStore {
  readonly backend = 'sqlite';
  private db: DatabaseSync | null;
  private checkpointer: SqliteCheckpointer | null = null;
  // Every operation queues here, so a StateSql transaction never interleaves with the store's own.
  private readonly serial = new SqliteSerial();
  private readonly stateSql = new SqliteStateSql(() => this.conn, this.serial);

  private constructor(
    db: DatabaseSync,
    readonly path: string,
  ) {
    this.db = db;
  }

  /** Opens (creating the parent directory), sets the pragmas and applies pending migrations. */
  static open(path: string): SqliteStateStore {
    const { DatabaseSync } = loadSqlite();
    const memory = path === ':memory:';
    let db: DatabaseSync;
    try {
      if (!memory) mkdirSync(dirname(resolve(path)), { recursive: true });
      db = new DatabaseSync(memory ? path : resolve(path), { timeout: BUSY_TIMEOUT_MS });
      db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
      if (!memory) db.exec('PRAGMA journal_mode = WAL');
      // Checkpoints run on their own thread (SqliteCheckpointer), not inside a commit.
      if (!memory) db.exec('PRAGMA wal_autocheckpoint = 0');
      db.exec('PRAGMA synchronous = NORMAL');
      db.exec('PRAGMA foreign_keys = ON');
    } catch (err) {
      throw new StateError(
        'STATE_UNAVAILABLE',
        `Cannot open the sqlite database ${path}: ${(err as Error).message.split('\n')[0]}; make its directory writable or set state.sqlite.path (MIRA_STATE__SQLITE__PATH)`,
      );
    }
    const store = new SqliteStateStore(db, path);
    try {
      store.migrate();
    } catch (err) {
      db.close();
      throw err;
    }
    if (!memory)
      store.checkpointer = new SqliteCheckpointer(resolve(path), CHECKPOINT_INTERVAL_MS, BUSY_TIMEOUT_MS);
    return store;
  }

  private get conn(): DatabaseSync {
    if (!this.db)
      throw new StateError('STATE_CLOSED', 'The state store is closed (the service is shutting down)');
    return this.db;
  }

  /** BEGIN IMMEDIATE takes the write lock up front, so two writers never both read the same tail. */
  private tx<T>(what: string, fn: (db: DatabaseSync) => { commit: boolean; value: T }): T {
    const db = this.conn;
    try {
      db.exec('BEGIN IMMEDIATE');
    } catch (err) {
      throw sqliteError(err, what);
    }
    let result: { commit: boolean; value: T };
    try {
      result = fn(db);
    } catch (err) {
      db.exec('ROLLBACK');
      throw sqliteError(err, what);
    }
    try {
      db.exec(result.commit ? 'COMMIT' : 'ROLLBACK');
    } catch (err) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw sqliteError(err, what);
    }
    return result.value;
  }

  /** Versioned migrations in one write transaction: a second process waits, then finds them applied. */
  migrate(): void {
    try {
      this.tx('migration', (db) => {
        applySqliteMigrations(db);
        return { commit: true, value: undefined };
      });
    } catch (err) {
      const e = err as StateError;
      if (e.code === 'STATE_UNAVAILABLE') throw e;
      throw new StateError(
        'STATE_MIGRATION_FAILED',
        `Applying the state schema migrations to ${this.path} failed: ${e.message}; restore the database from a backup or point state.sqlite.path at a new file`,
      );
    }
  }

  private append(db: DatabaseSync, audit: AuditInput[]): void {
    if (audit.length === 0) return;
    // New links follow the recorded head, not the last row: a row deleted off the end stays a gap.
    const tail = db.prepare('SELECT seq, hash FROM audit_head WHERE id = 1').get() as ChainTail | undefined;
    const insert = db.prepare(
      `INSERT INTO audit (${AUDIT_COLUMNS.join(', ')}) VALUES (${AUDIT_COLUMNS.map(() => '?').join(', ')})`,
    );
    const entries = chainEntries(tail ?? null, audit);
    for (const e of entries) insert.run(...AUDIT_COLUMNS.map((c) => encodeColumn(c, e[c]) as SQLInputValue));
    const last = entries[entries.length - 1];
    db.prepare(
      'INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash',
    ).run(last.seq, last.hash);
  }

  private findByIdempotency(db: DatabaseSync, requestedBy: string, key: string): WorkflowRecord | null {
    const r = db
      .prepare('SELECT * FROM workflows WHERE requested_by = ? AND idempotency_key = ?')
      .get(requestedBy, key);
    return r ? row(r) : null;
  }

  async createWorkflow(
    record: NewWorkflowRecord,
    audit: AuditInput[],
  ): Promise<{ record: WorkflowRecord; created: boolean }> {
    return this.serial.run(async () => {
      const params = newWorkflowParams(record) as SQLInputValue[];
      return this.tx<{ record: WorkflowRecord; created: boolean }>('createWorkflow', (db) => {
        if (record.idempotency_key !== null) {
          const existing = this.findByIdempotency(db, record.requested_by, record.idempotency_key);
          if (existing) return { commit: false, value: { record: existing, created: false } };
        }
        db.prepare(
          `INSERT INTO workflows (${WORKFLOW_COLUMNS.join(', ')}) VALUES (${WORKFLOW_COLUMNS.map(() => '?').join(', ')})`,
        ).run(...params);
        this.append(db, audit);
        const created = row(
          db.prepare('SELECT * FROM workflows WHERE workflow_id = ?').get(record.workflow_id),
        );
        return { commit: true, value: { record: created, created: true } };
      });
    });
  }

  async getWorkflow(id: string): Promise<WorkflowRecord | null> {
    return this.serial.run(async () => {
      const r = this.conn.prepare('SELECT * FROM workflows WHERE workflow_id = ?').get(id);
      return r ? row(r) : null;
    });
  }

  async listWorkflows(query: WorkflowQuery): Promise<Page<WorkflowRecord>> {
    return this.serial.run(async () => {
      const limit = checkLimit(query.limit);
      const where: string[] = [];
      const params: SQLInputValue[] = [];
      if (query.status) {
        where.push('status = ?');
        params.push(query.status);
      }
      if (query.type) {
        where.push('workflow_type = ?');
        params.push(query.type);
      }
      const after = decodeWorkflowCursor(query.cursor);
      if (after) {
        where.push('(created_at < ? OR (created_at = ? AND workflow_id < ?))');
        params.push(after.created_at, after.created_at, after.workflow_id);
      }
      const rows = this.conn
        .prepare(
          `SELECT * FROM workflows ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY created_at DESC, workflow_id DESC LIMIT ?`,
        )
        .all(...params, limit + 1);
      return workflowPage(rows.map(row), limit);
    });
  }

  async updateWorkflow(
    id: string,
    expectedVersion: number,
    patch: WorkflowPatch,
    audit: AuditInput[],
  ): Promise<WorkflowRecord | null> {
    return this.serial.run(async () => {
      const sets = patchAssignments(patch);
      return this.tx('updateWorkflow', (db) => {
        const changed = db
          .prepare(
            `UPDATE workflows SET ${sets.map((s) => `${s.column} = ?`).join(', ')}, version = version + 1
           WHERE workflow_id = ? AND version = ?`,
          )
          .run(...(sets.map((s) => s.value) as SQLInputValue[]), id, expectedVersion);
        // Lost the race (or no such record): nothing is written, the audit included.
        if (Number(changed.changes) !== 1) return { commit: false, value: null };
        this.append(db, audit);
        return {
          commit: true,
          value: row(db.prepare('SELECT * FROM workflows WHERE workflow_id = ?').get(id)),
        };
      });
    });
  }

  private statusList(statuses: WorkflowStatus[]): string {
    return statuses.map(() => '?').join(', ');
  }

  async findExpired(statuses: WorkflowStatus[], now: string, limit: number): Promise<WorkflowRecord[]> {
    return this.serial.run(async () => {
      if (statuses.length === 0) return [];
      const rows = this.conn
        .prepare(
          `SELECT * FROM workflows WHERE status IN (${this.statusList(statuses)})
           AND expires_at IS NOT NULL AND expires_at <= ?
         ORDER BY expires_at ASC, workflow_id ASC LIMIT ?`,
        )
        .all(...statuses, iso(now), checkLimit(limit));
      return rows.map(row);
    });
  }

  async findUnleased(statuses: WorkflowStatus[], now: string, limit: number): Promise<WorkflowRecord[]> {
    return this.serial.run(async () => {
      if (statuses.length === 0) return [];
      const rows = this.conn
        .prepare(
          `SELECT * FROM workflows WHERE status IN (${this.statusList(statuses)})
           AND (lease_expires_at IS NULL OR lease_expires_at <= ?)
         ORDER BY updated_at ASC, workflow_id ASC LIMIT ?`,
        )
        .all(...statuses, iso(now), checkLimit(limit));
      return rows.map(row);
    });
  }

  async countByStatus(): Promise<Partial<Record<WorkflowStatus, number>>> {
    return this.serial.run(async () => {
      const rows = this.conn.prepare('SELECT status, COUNT(*) AS n FROM workflows GROUP BY status').all() as {
        status: WorkflowStatus;
        n: number;
      }[];
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    });
  }

  async listAudit(query: AuditQuery): Promise<Page<AuditEntry>> {
    return this.serial.run(async () => {
      const limit = checkLimit(query.limit);
      const after = decodeAuditCursor(query.cursor);
      const rows = query.workflow_id
        ? this.conn
            .prepare('SELECT * FROM audit WHERE workflow_id = ? AND seq > ? ORDER BY seq ASC LIMIT ?')
            .all(query.workflow_id, after, limit + 1)
        : this.conn
            .prepare('SELECT * FROM audit WHERE seq > ? ORDER BY seq ASC LIMIT ?')
            .all(after, limit + 1);
      return auditPage(
        rows.map((r) => toAuditEntry(r as Record<string, unknown>)),
        limit,
      );
    });
  }

  async verifyAudit(): Promise<AuditVerification> {
    return this.serial.run(async () => {
      const head = this.conn.prepare('SELECT seq, hash FROM audit_head WHERE id = 1').get() as
        ChainTail | undefined;
      return verifyChain(
        async (afterSeq, limit) =>
          this.conn
            .prepare('SELECT * FROM audit WHERE seq > ? ORDER BY seq ASC LIMIT ?')
            .all(afterSeq, limit)
            .map((r) => toAuditEntry(r as Record<string, unknown>)),
        head ? { seq: Number(head.seq), hash: head.hash } : null,
      );
    });
  }

  async revokeSession(sid: string, expiresAt: string, now: string): Promise<void> {
    return this.serial.run(async () => {
      try {
        this.tx('revokeSession', (db) => {
          db.prepare('DELETE FROM revoked_sessions WHERE expires_at <= ?').run(now);
          db.prepare(
            'INSERT INTO revoked_sessions (sid, expires_at) VALUES (?, ?) ON CONFLICT (sid) DO UPDATE SET expires_at = excluded.expires_at',
          ).run(sid, expiresAt);
          return { commit: true, value: undefined };
        });
      } catch (err) {
        throw sqliteError(err, 'revokeSession');
      }
    });
  }

  async isSessionRevoked(sid: string, now: string): Promise<boolean> {
    return this.serial.run(async () => {
      try {
        return (
          this.conn
            .prepare('SELECT 1 FROM revoked_sessions WHERE sid = ? AND expires_at > ?')
            .get(sid, now) !== undefined
        );
      } catch (err) {
        throw sqliteError(err, 'isSessionRevoked');
      }
    });
  }

  async ping(): Promise<void> {
    return this.serial.run(async () => {
      try {
        this.conn.prepare('SELECT 1').get();
      } catch (err) {
        throw sqliteError(err, 'ping');
      }
    });
  }

  /** Plain SQL on this connection, for module-owned tables (see StateSql). */
  sqlAccess(): SqliteStateSql {
    return this.stateSql;
  }

  async close(): Promise<void> {
    const db = this.db;
    this.db = null;
    await this.checkpointer?.stop();
    this.checkpointer = null;
    if (db?.isOpen) db.close();
  }
}

/** `state.backend: sqlite` (the default): a file under the working directory, or `:memory:`. */
@Injectable()
@StateBackendProvider('sqlite')
export class SqliteStateBackend implements StateBackend {
  async open({ settings }: StateBackendContext): Promise<StateStore> {
    return SqliteStateStore.open(settings.sqlite.path);
  }
}
