import { StateError } from './state.error';
import type { OwnedMigrations, ScriptStateSql } from './state.sql';

/** pg_advisory_xact_lock key ('mira' + 3): replicas starting together apply each module migration once. */
const MODULE_MIGRATION_LOCK = 1835627107;

const LEDGER = {
  sqlite:
    'CREATE TABLE IF NOT EXISTS module_migrations (owner TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (owner, version))',
  postgres:
    'CREATE TABLE IF NOT EXISTS module_migrations (owner text NOT NULL, version integer NOT NULL, name text NOT NULL, applied_at text NOT NULL, PRIMARY KEY (owner, version))',
};

/** Owners unique, versions exactly 1..n in order, both dialects given: anything else fails the start. */
export function checkModuleMigrations(owned: readonly OwnedMigrations[]): void {
  const seen = new Set<string>();
  for (const { owner, migrations } of owned) {
    if (!/^[a-z][a-z0-9_.-]*$/.test(owner))
      throw invalid(`@StateMigrations owner "${owner}" must be lower-case letters, digits, '_', '.', '-'`);
    if (seen.has(owner))
      throw invalid(
        `two @StateMigrations providers use the owner "${owner}"; give each module its own owner`,
      );
    seen.add(owner);
    migrations.forEach((m, i) => {
      if (m.version !== i + 1)
        throw invalid(
          `@StateMigrations('${owner}') migration #${i + 1} has version ${m.version}; versions must be 1, 2, 3, ... in order (never renumber an applied one)`,
        );
      if (!m.name || !m.sqlite?.trim() || !m.postgres?.trim())
        throw invalid(
          `@StateMigrations('${owner}') migration ${m.version} needs a name and SQL for both sqlite and postgres`,
        );
    });
  }
}

function invalid(message: string): StateError {
  return new StateError('STATE_MIGRATION_FAILED', message);
}

/**
 * Applies the pending module migrations, each in its own transaction with its (owner, version)
 * row: a migration is applied once and entirely, or not at all. Forward only.
 */
export async function applyModuleMigrations(
  sql: ScriptStateSql,
  owned: readonly OwnedMigrations[],
): Promise<void> {
  checkModuleMigrations(owned);
  for (const { owner, migrations } of owned) {
    for (const m of migrations) {
      try {
        await sql.transaction(async (tx) => {
          // The lock first, then the ledger: a second replica waits and then finds the row.
          if (tx.dialect === 'postgres')
            await tx.query('SELECT pg_advisory_xact_lock($1)', [MODULE_MIGRATION_LOCK]);
          await tx.script(LEDGER[tx.dialect]);
          const done = await tx.query('SELECT 1 FROM module_migrations WHERE owner = $1 AND version = $2', [
            owner,
            m.version,
          ]);
          if (done.length > 0) return;
          await tx.script(tx.dialect === 'sqlite' ? m.sqlite : m.postgres);
          await tx.execute(
            'INSERT INTO module_migrations (owner, version, name, applied_at) VALUES ($1, $2, $3, $4)',
            [owner, m.version, m.name, new Date().toISOString()],
          );
        });
      } catch (err) {
        const e = err as StateError;
        if (e.code === 'STATE_UNAVAILABLE') throw e;
        throw new StateError(
          'STATE_MIGRATION_FAILED',
          `Applying migration ${m.version} (${m.name}) of @StateMigrations('${owner}') failed: ${e.message}; fix that migration's SQL (nothing of it was applied) and restart`,
        );
      }
    }
  }
}
