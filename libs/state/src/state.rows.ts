import { StateError } from './state.error';
import { WORKFLOW_STATUSES } from './workflow.lifecycle';
import { dataHash, legacyActorId } from './state.identity';
import type {
  AuditEntry,
  NewWorkflowRecord,
  WorkflowPatch,
  WorkflowRecord,
  WorkflowStatus,
} from './state.interface';

// Shared by both dialects: column lists, row <-> record mapping, patch columns and cursors, so the
// two backend files hold only their SQL.

/** Columns holding JSON (TEXT in sqlite, JSONB in postgres). */
export const JSON_COLUMNS = new Set([
  'data',
  'governance',
  'reasons',
  'decisions',
  'steps',
  'summary',
  'policy',
  'details',
  'flag_variants',
]);
/** Columns holding instants (ISO TEXT in sqlite, timestamptz in postgres). */
export const TIME_COLUMNS = new Set(['created_at', 'updated_at', 'expires_at', 'lease_expires_at']);

/** Insert order of a workflow row. */
export const WORKFLOW_COLUMNS = [
  'workflow_id',
  'workflow_type',
  'status',
  'requested_by',
  'created_at',
  'updated_at',
  'data',
  'governance',
  'risk_level',
  'reasons',
  'approvals_required',
  'decisions',
  'expires_at',
  'steps',
  'version',
  'lease_owner',
  'lease_expires_at',
  'idempotency_key',
  'request_hash',
  'title',
  'summary',
  'requested_by_name',
  'data_hash',
  'policy',
  'flag_variants',
] as const;

export const PATCH_COLUMNS = [
  'status',
  'data',
  'data_hash',
  'policy',
  'governance',
  'risk_level',
  'reasons',
  'approvals_required',
  'decisions',
  'expires_at',
  'steps',
  'lease_owner',
  'lease_expires_at',
  'flag_variants',
  'updated_at',
] as const satisfies readonly (keyof WorkflowPatch)[];

export const AUDIT_COLUMNS = [
  'seq',
  'at',
  'actor',
  'action',
  'workflow_id',
  'from_status',
  'to_status',
  'comment',
  'correlation_id',
  'chain',
  'chain_seq',
  'key_id',
  'prev_hash',
  'hash',
  'actor_name',
  'details',
] as const;

/** Any instant (ISO string, Date) as ISO-8601 UTC with milliseconds; null stays null. */
export function iso(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const d = value instanceof Date ? value : new Date(value as string);
  if (Number.isNaN(d.getTime()))
    throw new StateError(
      'STATE_INVALID_INPUT',
      `"${String(value)}" is not a timestamp; pass an ISO-8601 string`,
    );
  return d.toISOString();
}

/** A value as the parameter for its column: JSON text for JSON columns, ISO text for instants. */
export function encodeColumn(column: string, value: unknown): unknown {
  if (JSON_COLUMNS.has(column)) return value === null || value === undefined ? null : JSON.stringify(value);
  if (TIME_COLUMNS.has(column)) return iso(value);
  return value === undefined ? null : value;
}

/** The parameters of a new row, in WORKFLOW_COLUMNS order. */
export function newWorkflowParams(record: NewWorkflowRecord): unknown[] {
  if (!WORKFLOW_STATUSES.includes(record.status))
    throw new StateError('STATE_INVALID_INPUT', `Unknown workflow status "${record.status}"`);
  const full: WorkflowRecord = {
    title: null,
    summary: null,
    flag_variants: {},
    ...record,
    updated_at: record.created_at,
    version: 1,
  };
  return WORKFLOW_COLUMNS.map((c) => encodeColumn(c, full[c]));
}

/** The patch's columns and parameters (undefined keys skipped); updated_at defaults to now. */
export function patchAssignments(
  patch: WorkflowPatch,
  now = new Date(),
): { column: string; value: unknown }[] {
  const withTime: WorkflowPatch = { ...patch, updated_at: patch.updated_at ?? now.toISOString() };
  if (withTime.status !== undefined && !WORKFLOW_STATUSES.includes(withTime.status))
    throw new StateError('STATE_INVALID_INPUT', `Unknown workflow status "${withTime.status}"`);
  return PATCH_COLUMNS.filter((c) => withTime[c] !== undefined).map((c) => ({
    column: c,
    value: encodeColumn(c, withTime[c]),
  }));
}

/** A row from either dialect: `json` decodes JSON columns (sqlite text; pg has already parsed JSONB). */
export function toWorkflowRecord(
  row: Record<string, unknown>,
  json: (v: unknown) => unknown,
): WorkflowRecord {
  const data = (json(row.data) ?? {}) as Record<string, unknown>;
  return {
    workflow_id: String(row.workflow_id),
    workflow_type: String(row.workflow_type),
    status: row.status as WorkflowStatus,
    requested_by: String(row.requested_by),
    requested_by_name: (row.requested_by_name as string | null) ?? String(row.requested_by),
    created_at: iso(row.created_at)!,
    updated_at: iso(row.updated_at)!,
    data,
    // Rows from before migration 5 have none: the hash of what is stored is what was approved.
    data_hash: (row.data_hash as string | null) ?? dataHash(data),
    policy: (json(row.policy) ?? null) as WorkflowRecord['policy'],
    governance: (json(row.governance) ?? null) as Record<string, unknown> | null,
    risk_level: String(row.risk_level),
    reasons: (json(row.reasons) ?? []) as string[],
    approvals_required: Number(row.approvals_required),
    decisions: ((json(row.decisions) ?? []) as WorkflowRecord['decisions']).map(withStableActor),
    expires_at: iso(row.expires_at),
    steps: (json(row.steps) ?? []) as WorkflowRecord['steps'],
    version: Number(row.version),
    lease_owner: (row.lease_owner as string | null) ?? null,
    lease_expires_at: iso(row.lease_expires_at),
    idempotency_key: (row.idempotency_key as string | null) ?? null,
    request_hash: (row.request_hash as string | null) ?? null,
    title: (row.title as string | null | undefined) ?? null,
    summary: (json(row.summary) ?? null) as WorkflowRecord['summary'],
    // Rows from before migration 7 chose no variant.
    flag_variants: (json(row.flag_variants) ?? {}) as WorkflowRecord['flag_variants'],
  };
}

/** A decision stored before ids existed names its actor by display name: give it the id rule 5 gives. */
function withStableActor(d: WorkflowRecord['decisions'][number]): WorkflowRecord['decisions'][number] {
  return d.actor_name === undefined ? { ...d, actor: legacyActorId(d.actor), actor_name: d.actor } : d;
}

export function toAuditEntry(row: Record<string, unknown>): AuditEntry {
  const details = typeof row.details === 'string' ? (JSON.parse(row.details) as unknown) : row.details;
  return {
    seq: Number(row.seq),
    at: iso(row.at)!,
    actor: String(row.actor),
    action: String(row.action),
    workflow_id: (row.workflow_id as string | null) ?? null,
    from_status: (row.from_status as string | null) ?? null,
    to_status: (row.to_status as string | null) ?? null,
    comment: (row.comment as string | null) ?? null,
    correlation_id: (row.correlation_id as string | null) ?? null,
    chain: (row.chain as string | null) ?? null,
    chain_seq: row.chain_seq === null || row.chain_seq === undefined ? null : Number(row.chain_seq),
    key_id: (row.key_id as string | null) ?? null,
    prev_hash: String(row.prev_hash),
    hash: String(row.hash),
    actor_name: (row.actor_name as string | null) ?? null,
    details: (details ?? null) as AuditEntry['details'],
  };
}

/** Position after the last workflow of a page (created_at desc, workflow_id desc). */
export interface WorkflowCursor {
  created_at: string;
  workflow_id: string;
}

export function encodeCursor(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decode(cursor: string): Record<string, unknown> {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (v && typeof v === 'object') return v as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw badCursor();
}

export function decodeWorkflowCursor(cursor: string | null | undefined): WorkflowCursor | null {
  if (!cursor) return null;
  const v = decode(cursor);
  if (typeof v.created_at !== 'string' || typeof v.workflow_id !== 'string') throw badCursor();
  return { created_at: iso(v.created_at)!, workflow_id: v.workflow_id };
}

export function decodeAuditCursor(cursor: string | null | undefined): number {
  if (!cursor) return 0;
  const v = decode(cursor);
  if (typeof v.seq !== 'number' || !Number.isInteger(v.seq)) throw badCursor();
  return v.seq;
}

/** Stores fetch limit + 1 rows: the extra one only says whether another page exists. */
export function workflowPage(rows: WorkflowRecord[], limit: number) {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return {
    items,
    next_cursor:
      rows.length > limit && last
        ? encodeCursor({ created_at: last.created_at, workflow_id: last.workflow_id })
        : null,
  };
}

export function auditPage(rows: AuditEntry[], limit: number) {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, next_cursor: rows.length > limit && last ? encodeCursor({ seq: last.seq }) : null };
}

export function checkLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw new StateError('STATE_INVALID_INPUT', `limit must be an integer 1..1000 (got ${limit})`);
  return limit;
}

/** A cursor this store did not hand out (or one mangled on the way). */
export function badCursor(): StateError {
  return new StateError(
    'STATE_INVALID_CURSOR',
    'The cursor is not one this store returned; pass next_cursor unchanged',
  );
}
