import { StateError } from './state.error';

/** One core schema migration of one dialect (versions 1..n, recorded in schema_migrations). */
export interface StateMigration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Migrations are forward only: a database that a newer release has migrated past what this code
 * knows is refused (the old code could misread or overwrite columns it does not know), never
 * "migrated back".
 */
export function refuseNewerSchema(applied: Iterable<number>, known: readonly StateMigration[]): void {
  const newest = Math.max(0, ...known.map((m) => m.version));
  const unknown = [...applied].filter((v) => v > newest).sort((a, b) => a - b);
  if (unknown.length > 0)
    throw new StateError(
      'STATE_MIGRATION_FAILED',
      `The state database has schema version ${unknown[unknown.length - 1]}, newer than this release knows (${newest}): it was written by a newer Mira. Migrations only run forward; run the newer release (or restore a backup taken before the upgrade, see docs/operations.md)`,
    );
}
