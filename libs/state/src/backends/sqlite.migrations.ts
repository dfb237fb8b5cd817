import type { DatabaseSync } from 'node:sqlite';
import { refuseNewerSchema, type StateMigration } from '../state.migration';

/** The core schema on sqlite, forward only: never edit an applied one, add the next version. */
export const SQLITE_MIGRATIONS: readonly StateMigration[] = [
  {
    version: 1,
    name: 'workflows_and_audit',
    sql: `
      CREATE TABLE workflows (
        workflow_id TEXT PRIMARY KEY,
        workflow_type TEXT NOT NULL,
        status TEXT NOT NULL,
        requested_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        data TEXT NOT NULL,
        governance TEXT,
        risk_level TEXT NOT NULL,
        reasons TEXT NOT NULL,
        approvals_required INTEGER NOT NULL,
        decisions TEXT NOT NULL,
        expires_at TEXT,
        steps TEXT NOT NULL,
        version INTEGER NOT NULL,
        lease_owner TEXT,
        lease_expires_at TEXT,
        idempotency_key TEXT,
        request_hash TEXT
      );
      CREATE UNIQUE INDEX workflows_idempotency ON workflows (requested_by, idempotency_key)
        WHERE idempotency_key IS NOT NULL;
      CREATE INDEX workflows_created ON workflows (created_at DESC, workflow_id DESC);
      CREATE INDEX workflows_status_created ON workflows (status, created_at DESC, workflow_id DESC);
      CREATE INDEX workflows_status_expires ON workflows (status, expires_at);
      CREATE INDEX workflows_status_lease ON workflows (status, lease_expires_at);
      CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        workflow_id TEXT,
        from_status TEXT,
        to_status TEXT,
        comment TEXT,
        correlation_id TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
      );
      CREATE INDEX audit_workflow ON audit (workflow_id, seq);
    `,
  },
  {
    version: 2,
    name: 'audit_head',
    // The chain's last link, written with every append: entries cut off the end are detectable.
    sql: `
      CREATE TABLE audit_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL);
      INSERT INTO audit_head (id, seq, hash) SELECT 1, seq, hash FROM audit ORDER BY seq DESC LIMIT 1;
    `,
  },
  {
    version: 3,
    name: 'revoked_sessions',
    sql: `
      CREATE TABLE revoked_sessions (sid TEXT PRIMARY KEY, expires_at TEXT NOT NULL);
      CREATE INDEX revoked_sessions_expires ON revoked_sessions (expires_at);
    `,
  },
  {
    version: 4,
    name: 'keyed_audit_chains',
    // As on postgres (one keyed chain per workflow, heads in audit_chains); the '#seq' row is the
    // last seq handed out, so a row deleted off the end never has its seq reused.
    sql: `
      ALTER TABLE audit ADD COLUMN chain TEXT;
      ALTER TABLE audit ADD COLUMN chain_seq INTEGER;
      ALTER TABLE audit ADD COLUMN key_id TEXT;
      CREATE TABLE audit_chains (
        chain TEXT PRIMARY KEY,
        chain_seq INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        first_seq INTEGER NOT NULL,
        link TEXT NOT NULL,
        key_id TEXT
      );
      INSERT INTO audit_chains (chain, chain_seq, seq, first_seq, link, key_id)
        SELECT '#seq', 0, MAX(COALESCE((SELECT MAX(seq) FROM audit), 0), COALESCE((SELECT seq FROM audit_head), 0)), 0, '', NULL;
      `,
  },
  {
    version: 5,
    name: 'stable_identities_data_hash_policy',
    // Actors become stable ids (display name kept beside them): system and anonymous stay, a
    // position-named plain key (key-N) is key:key-N, any other old name legacy:<name> (its source
    // is unknown). Audit rows keep their actor: rewriting them would break the chain they are in.
    // Decisions inside the JSON are mapped the same way when read (state.rows.ts).
    sql: `
      ALTER TABLE workflows ADD COLUMN requested_by_name TEXT;
      ALTER TABLE workflows ADD COLUMN data_hash TEXT;
      ALTER TABLE workflows ADD COLUMN policy TEXT;
      ALTER TABLE audit ADD COLUMN actor_name TEXT;
      ALTER TABLE audit ADD COLUMN details TEXT;
      UPDATE workflows SET requested_by_name = requested_by,
        requested_by = CASE
          WHEN requested_by IN ('system', 'anonymous') THEN requested_by
          WHEN requested_by GLOB 'key-[0-9]*' AND requested_by NOT GLOB 'key-*[^0-9]*' THEN 'key:' || requested_by
          ELSE 'legacy:' || requested_by
        END;
      `,
  },
  {
    version: 6,
    name: 'workflow_title_summary',
    // Stored so a list shows what each workflow is about without reading its data.
    sql: `
      ALTER TABLE workflows ADD COLUMN title TEXT;
      ALTER TABLE workflows ADD COLUMN summary TEXT;
    `,
  },
  {
    version: 7,
    name: 'workflow_flag_variants',
    // The flag variants a run chose (flag key -> variant), so a resumed run keeps them. Older
    // rows read as {} (state.rows.ts): they ran before any step asked a flag.
    sql: `
      ALTER TABLE workflows ADD COLUMN flag_variants TEXT;
    `,
  },
];

/** Applies the pending core migrations; the caller holds the write transaction (BEGIN IMMEDIATE). */
export function applySqliteMigrations(db: DatabaseSync): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)',
  );
  const applied = new Set(
    (db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map(
      (r) => r.version,
    ),
  );
  refuseNewerSchema(applied, SQLITE_MIGRATIONS);
  for (const m of SQLITE_MIGRATIONS) {
    if (applied.has(m.version)) continue;
    db.exec(m.sql);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
      m.version,
      m.name,
      new Date().toISOString(),
    );
  }
}
