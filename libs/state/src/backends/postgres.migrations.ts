import type { PoolClient } from 'pg';
import { refuseNewerSchema, type StateMigration } from '../state.migration';

/** pg_advisory_lock key ('mira' + 1) held by the migration run. */
export const MIGRATION_LOCK = 1835627105;

/** The core schema on postgres, forward only: never edit an applied one, add the next version. */
export const POSTGRES_MIGRATIONS: readonly StateMigration[] = [
  {
    version: 1,
    name: 'workflows_and_audit',
    sql: `
      CREATE TABLE workflows (
        workflow_id text PRIMARY KEY,
        workflow_type text NOT NULL,
        status text NOT NULL,
        requested_by text NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        data jsonb NOT NULL,
        governance jsonb,
        risk_level text NOT NULL,
        reasons jsonb NOT NULL,
        approvals_required integer NOT NULL,
        decisions jsonb NOT NULL,
        expires_at timestamptz,
        steps jsonb NOT NULL,
        version integer NOT NULL,
        lease_owner text,
        lease_expires_at timestamptz,
        idempotency_key text,
        request_hash text
      );
      CREATE UNIQUE INDEX workflows_idempotency ON workflows (requested_by, idempotency_key)
        WHERE idempotency_key IS NOT NULL;
      CREATE INDEX workflows_created ON workflows (created_at DESC, workflow_id DESC);
      CREATE INDEX workflows_status_created ON workflows (status, created_at DESC, workflow_id DESC);
      CREATE INDEX workflows_status_expires ON workflows (status, expires_at);
      CREATE INDEX workflows_status_lease ON workflows (status, lease_expires_at);
      CREATE TABLE audit (
        seq bigint PRIMARY KEY,
        at timestamptz NOT NULL,
        actor text NOT NULL,
        action text NOT NULL,
        workflow_id text,
        from_status text,
        to_status text,
        comment text,
        correlation_id text,
        prev_hash text NOT NULL,
        hash text NOT NULL
      );
      CREATE INDEX audit_workflow ON audit (workflow_id, seq);
    `,
  },
  {
    version: 2,
    name: 'audit_head',
    // The chain's last link, written with every append: entries cut off the end are detectable.
    sql: `
      CREATE TABLE audit_head (id integer PRIMARY KEY CHECK (id = 1), seq bigint NOT NULL, hash text NOT NULL);
      INSERT INTO audit_head (id, seq, hash) SELECT 1, seq, hash FROM audit ORDER BY seq DESC LIMIT 1;
    `,
  },
  {
    version: 3,
    name: 'revoked_sessions',
    sql: `
      CREATE TABLE revoked_sessions (sid text PRIMARY KEY, expires_at timestamptz NOT NULL);
      CREATE INDEX revoked_sessions_expires ON revoked_sessions (expires_at);
    `,
  },
  {
    version: 4,
    name: 'keyed_audit_chains',
    // One keyed chain per workflow (no global lock): entries gain their chain, position and key id;
    // audit_chains holds each chain's head; seq comes from a sequence. 0.1.0's rows stay as they are
    // (key_id null), verified as before up to audit_head, which is frozen from here on.
    sql: `
      ALTER TABLE audit ADD COLUMN chain text, ADD COLUMN chain_seq bigint, ADD COLUMN key_id text;
      CREATE TABLE audit_chains (
        chain text PRIMARY KEY,
        chain_seq bigint NOT NULL,
        seq bigint NOT NULL,
        first_seq bigint NOT NULL,
        link text NOT NULL,
        key_id text
      );
      CREATE SEQUENCE audit_seq;
      SELECT setval('audit_seq', GREATEST((SELECT MAX(seq) FROM audit), (SELECT seq FROM audit_head), 0) + 1, false);
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
      ALTER TABLE workflows ADD COLUMN requested_by_name text;
      ALTER TABLE workflows ADD COLUMN data_hash text;
      ALTER TABLE workflows ADD COLUMN policy jsonb;
      ALTER TABLE audit ADD COLUMN actor_name text;
      ALTER TABLE audit ADD COLUMN details jsonb;
      UPDATE workflows SET requested_by_name = requested_by,
        requested_by = CASE
          WHEN requested_by IN ('system', 'anonymous') THEN requested_by
          WHEN requested_by ~ '^key-[0-9]+$' THEN 'key:' || requested_by
          ELSE 'legacy:' || requested_by
        END;
      `,
  },
  {
    version: 6,
    name: 'workflow_title_summary',
    // Stored so a list shows what each workflow is about without reading its data.
    sql: `
      ALTER TABLE workflows ADD COLUMN title text;
      ALTER TABLE workflows ADD COLUMN summary jsonb;
    `,
  },
  {
    version: 7,
    name: 'workflow_flag_variants',
    // The flag variants a run chose (flag key -> variant), so a resumed run keeps them. Older
    // rows read as {} (state.rows.ts): they ran before any step asked a flag.
    sql: `
      ALTER TABLE workflows ADD COLUMN flag_variants jsonb;
    `,
  },
];

/** Applies the pending core migrations, each in its own transaction; the caller holds MIGRATION_LOCK. */
export async function applyPostgresMigrations(c: PoolClient): Promise<void> {
  await c.query(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)',
  );
  const applied = new Set(
    (await c.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version),
  );
  refuseNewerSchema(applied, POSTGRES_MIGRATIONS);
  for (const m of POSTGRES_MIGRATIONS) {
    if (applied.has(m.version)) continue;
    await c.query('BEGIN');
    try {
      await c.query(m.sql);
      await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, now())', [
        m.version,
        m.name,
      ]);
      await c.query('COMMIT');
    } catch (err) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }
}
