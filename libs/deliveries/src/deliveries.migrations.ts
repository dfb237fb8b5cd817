import { Injectable } from '@nestjs/common';
import { StateMigrations, type ModuleMigration, type StateMigrationSource } from '@mira/state';

const TABLE = `
CREATE TABLE deliveries (
  id TEXT PRIMARY KEY,
  destination TEXT NOT NULL,
  kind TEXT NOT NULL,
  source TEXT NOT NULL,
  message TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  claimed_by TEXT,
  lease_until TEXT,
  last_error TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  delivered_at TEXT
);
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_source ON deliveries (source);
`;

export const DELIVERIES_MIGRATIONS: readonly ModuleMigration[] = [
  { version: 1, name: 'deliveries outbox', sqlite: TABLE, postgres: TABLE },
];

/** The outbox table, created in the state store (both backends) when it opens. */
@Injectable()
@StateMigrations('deliveries')
export class DeliveriesMigrations implements StateMigrationSource {
  migrations(): readonly ModuleMigration[] {
    return DELIVERIES_MIGRATIONS;
  }
}
