export { StateModule } from './state.module';
export { StateService } from './state.service';
export { STATE_STORE, STATE_HEALTH_NAME, AUDIT_GENESIS_HASH } from './state.constants';
export { STATE_MODULE_OPTIONS } from './state.module-definition';
export { StateBackendProvider, StateMigrations } from './state.decorator';
export { StateError, type StateErrorCode } from './state.error';
export { auditHash, auditLink, canonicalEntry } from './state.audit';
export {
  auditKeyring,
  DEVELOPMENT_AUDIT_KEY,
  DEVELOPMENT_KEYRING,
  type AuditKey,
  type AuditKeyring,
} from './state.audit-keys';
export { WORKFLOW_STATUSES, FINAL_STATUSES, countApprovals } from './workflow.lifecycle';
export { StateHealthIndicator } from './state.health';
export { StateShutdownHook, STATE_SHUTDOWN_PRIORITY } from './state.shutdown';
export { SqliteStateBackend, SqliteStateStore } from './backends/sqlite.backend';
export { PostgresStateBackend, PostgresStateStore } from './backends/postgres.backend';
export type {
  WorkflowStatus,
  WorkflowStepRecord,
  WorkflowDecision,
  WorkflowPolicy,
  WorkflowRecord,
  WorkflowSummaryField,
  NewWorkflowRecord,
  AuditInput,
  AuditEntry,
  AuditHead,
  Page,
  WorkflowQuery,
  AuditQuery,
  AuditVerification,
  WorkflowPatch,
  StateStore,
  StateBackend,
  StateBackendContext,
  StateSettings,
  StateModuleOptions,
} from './state.interface';
export { stateConfig, stateSchema } from './state.config';
export type {
  SqlDialect,
  SqlRunner,
  StateSql,
  ModuleMigration,
  StateMigrationSource,
  OwnedMigrations,
  ScriptRunner,
  ScriptStateSql,
} from './state.sql';
export { openSqliteStateSql, openPostgresStateSql, type OpenedStateSql } from './state.sql-open';
export { SYSTEM_ID, legacyActorId, canonicalJson, dataHash } from './state.identity';
