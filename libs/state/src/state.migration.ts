/** One core schema migration of one dialect (versions 1..n, recorded in schema_migrations). */
export interface StateMigration {
  version: number;
  name: string;
  sql: string;
}
