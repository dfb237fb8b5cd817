import type { MiraConfig } from '@mira/config';
import type { ScriptStateSql } from './state.sql';
import type { AuditKeyring } from './state.audit-keys';

export type { WorkflowStatus } from './workflow.lifecycle';
import type { WorkflowStatus } from './workflow.lifecycle';

export interface WorkflowStepRecord {
  step: string;
  status: string;
  result: unknown;
}

export interface WorkflowDecision {
  /** Stable id (`key:<name>`, `oidc:<issuer-host>:<sub>`, `system`). */
  actor: string;
  /** Display name beside the id. */
  actor_name?: string;
  decision: 'approve' | 'reject';
  comment: string | null;
  data_patch?: Record<string, unknown> | null;
  /** data_hash of the data this decision approved (after its own data_patch). */
  data_hash?: string;
  /** An approval of data that a later data_patch changed: visible, no longer counted. */
  dismissed?: boolean;
  at: string;
}

/** One labelled fact a workflow type shows about its input (`unit`: an ISO currency code or a word). */
export interface WorkflowSummaryField {
  label: string;
  value: string | number | boolean;
  unit?: string;
}

/** The review policy that applied to a workflow (governance.policies.<type> or default). */
export interface WorkflowPolicy {
  name: string;
  when_unassessed: 'hold' | 'run';
  minimum_risk: 'low' | 'medium' | 'high';
  approvals_required: { low: number; medium: number; high: number };
}

export interface WorkflowRecord {
  workflow_id: string;
  workflow_type: string;
  status: WorkflowStatus;
  /** The requester's stable id; every rule compares this. */
  requested_by: string;
  /** What the workflow is about, from its type's title(data); null for records made before it existed. */
  title: string | null;
  /** A few labelled fields from its type's summary(data); null when the type gives none. */
  summary: WorkflowSummaryField[] | null;
  /** The requester's display name. */
  requested_by_name: string;
  /** ISO-8601 UTC with milliseconds. */
  created_at: string;
  updated_at: string;
  data: Record<string, unknown>;
  /** SHA-256 of the canonical JSON of `data` (see dataHash). */
  data_hash: string;
  /** The effective review policy (null on records made before policies existed). */
  policy: WorkflowPolicy | null;
  governance: Record<string, unknown> | null;
  risk_level: string;
  reasons: string[];
  approvals_required: number;
  decisions: WorkflowDecision[];
  expires_at: string | null;
  steps: WorkflowStepRecord[];
  /** Optimistic-concurrency counter: starts at 1, +1 on every successful update. */
  version: number;
  /** Which replica runs the steps and until when its claim holds (null when nobody does). */
  lease_owner: string | null;
  lease_expires_at: string | null;
  idempotency_key: string | null;
  request_hash: string | null;
  /**
   * The flag variants its steps run under (flag key -> variant), chosen when the run is created
   * or first claimed, so a resumed run keeps them when the flag moves; {} when no step asks a flag.
   */
  flag_variants: Record<string, string>;
}

/** updated_at = created_at, version = 1; title and summary default to null, flag_variants to {}. */
export type NewWorkflowRecord = Omit<
  WorkflowRecord,
  'version' | 'updated_at' | 'title' | 'summary' | 'flag_variants'
> &
  Partial<Pick<WorkflowRecord, 'title' | 'summary' | 'flag_variants'>>;

/** What a caller gives; seq, prev_hash and hash are assigned by the store inside the transaction. */
export interface AuditInput {
  at: string;
  /** Stable id of who acted. */
  actor: string;
  /** Display name beside it (null on entries made before ids existed). */
  actor_name?: string | null;
  /** What the action carried, e.g. { data_patch, data_hash_before, data_hash_after, policy }. */
  details?: Record<string, unknown> | null;
  action: string;
  workflow_id: string | null;
  from_status: string | null;
  to_status: string | null;
  comment: string | null;
  correlation_id: string | null;
}

/** actor_name and details are always present (null when none) on entries a store returns. */
export interface AuditEntry extends AuditInput {
  /** Global order (gaps possible on postgres: a rolled-back write skips its numbers). */
  seq: number;
  /** The chain the entry links into (its workflow); null on entries written before the keyed chain. */
  chain: string | null;
  /** Position in its chain, from 1 without gaps; null on legacy entries. */
  chain_seq: number | null;
  /** Which audit key linked it (governance.audit.key_id); null on legacy (unkeyed SHA-256) entries. */
  key_id: string | null;
  prev_hash: string;
  /** The link: HMAC-SHA256 under the key `key_id` names (SHA-256 on legacy entries). */
  hash: string;
}

export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** Newest first (created_at desc, workflow_id desc as tiebreak); the cursor is opaque. */
export interface WorkflowQuery {
  status?: WorkflowStatus;
  type?: string;
  limit: number;
  cursor?: string | null;
}

/** Oldest first (seq asc). */
export interface AuditQuery {
  workflow_id?: string;
  limit: number;
  cursor?: string | null;
}

/** What the anchor publishes: the newest entry's seq and link, and where it sits. */
export interface AuditHead {
  seq: number;
  link: string;
  chain: string | null;
  chain_seq: number | null;
  key_id: string | null;
  /**
   * PostgreSQL: the count of each chain-ledger stripe ('<key id>:<n>'). An auditor checks that no
   * count ever goes down from one anchor to the next (a stripe put back to an earlier copy).
   */
  ledger?: Record<string, number>;
}

export interface AuditVerification {
  ok: boolean;
  entries: number;
  first_bad_seq?: number;
  /**
   * Why not ok: `tampered` (an entry does not match its link), `truncated` (a chain does not end at
   * its recorded head), `unknown_key` (an entry names a key id not configured) or `key_mismatch` (a
   * configured key id holds another key than the one that linked): the last two mean "not
   * verifiable with these keys", not proof of tampering.
   */
  reason?: 'tampered' | 'truncated' | 'unknown_key' | 'key_mismatch';
  key_id?: string;
}

export type WorkflowPatch = Partial<
  Pick<
    WorkflowRecord,
    | 'status'
    | 'data'
    | 'data_hash'
    | 'policy'
    | 'governance'
    | 'risk_level'
    | 'reasons'
    | 'approvals_required'
    | 'decisions'
    | 'expires_at'
    | 'steps'
    | 'lease_owner'
    | 'lease_expires_at'
    | 'flag_variants'
    | 'updated_at'
  >
>;

export interface StateStore {
  /** 'sqlite' | 'postgres' | ... */
  readonly backend: string;
  /**
   * Inserts the record and appends the audit entries, in one transaction. When idempotency_key is
   * set and a record with the same (requested_by, idempotency_key) exists, inserts nothing and
   * returns { record: existing, created: false }.
   */
  createWorkflow(
    record: NewWorkflowRecord,
    audit: AuditInput[],
  ): Promise<{ record: WorkflowRecord; created: boolean }>;
  getWorkflow(id: string): Promise<WorkflowRecord | null>;
  listWorkflows(query: WorkflowQuery): Promise<Page<WorkflowRecord>>;
  /**
   * Conditional update: applies `patch` only if the stored version equals expectedVersion (and bumps
   * it), appending the audit entries in the SAME transaction. Returns the updated record, or null
   * when the version no longer matches (someone else won) or the record does not exist.
   */
  updateWorkflow(
    id: string,
    expectedVersion: number,
    patch: WorkflowPatch,
    audit: AuditInput[],
  ): Promise<WorkflowRecord | null>;
  /** Records in `statuses` whose expires_at <= now, oldest first, at most limit. */
  findExpired(statuses: WorkflowStatus[], now: string, limit: number): Promise<WorkflowRecord[]>;
  /** Records in `statuses` whose lease is free (lease_expires_at null or <= now), oldest updated first. */
  findUnleased(statuses: WorkflowStatus[], now: string, limit: number): Promise<WorkflowRecord[]>;
  countByStatus(): Promise<Partial<Record<WorkflowStatus, number>>>;
  listAudit(query: AuditQuery): Promise<Page<AuditEntry>>;
  /** Walks the whole chain in seq order recomputing every link; reports the first bad entry (gaps included). */
  verifyAudit(): Promise<AuditVerification>;
  /** The newest entry (highest seq), published as the anchor; null when the trail is empty. */
  auditHead(): Promise<AuditHead | null>;
  /** The keys that link new entries and verify old ones (a development key until this is called). */
  useAuditKeys?(keys: AuditKeyring): void;
  /**
   * Records in `statuses`, oldest created first, at most limit (e.g. the oldest pending approval).
   */
  oldestIn(statuses: WorkflowStatus[], limit: number): Promise<WorkflowRecord[]>;
  /**
   * Marks a sign-in session id as ended (logout) until `expiresAt` (ISO), when the session would
   * have expired anyway; marks already past `now` are purged on the way. Idempotent.
   */
  revokeSession(sid: string, expiresAt: string, now: string): Promise<void>;
  /** Whether a session id carries a revocation mark that has not expired at `now`. */
  isSessionRevoked(sid: string, now: string): Promise<boolean>;
  /** Cheap round trip for health checks. */
  ping(): Promise<void>;
  /** Plain SQL for module-owned tables; a backend without it cannot host @StateMigrations modules. */
  sqlAccess?(): ScriptStateSql;
  close(): Promise<void>;
}

/** The `state` config section. */
export type StateSettings = MiraConfig['state'];

/** What a backend gets to open its store. */
export interface StateBackendContext {
  settings: StateSettings;
  /** The audit chain's keys (read at every append, so a keyring registered later applies). */
  auditKeys?: () => AuditKeyring;
}

/**
 * A pluggable backend: a provider marked `@StateBackendProvider('<name>')` that opens a store for
 * `state.backend: <name>` (connect, migrate). Any module can add one without editing libs/state.
 */
export interface StateBackend {
  open(context: StateBackendContext): Promise<StateStore>;
}

export interface StateModuleOptions {
  /**
   * The `state` section, or a function read at module init: fromConfig() passes a function so
   * secret:// references (e.g. state.postgres.url) are already resolved when the store connects.
   */
  settings: StateSettings | (() => StateSettings);
}
