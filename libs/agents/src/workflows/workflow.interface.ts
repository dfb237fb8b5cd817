import type { WorkflowRecord, WorkflowSummaryField } from '@mira/state';
import type { JsonValue } from '@openfeature/server-sdk';
import type { AgentResponse } from '../agent.interface';

/** `{ workflow_type, data, governance_data? }`: what a client asks for. */
export interface WorkflowRequest {
  workflow_type: string;
  data: Record<string, unknown>;
  governance_data?: Record<string, unknown> | null;
}

/** The variant a flagged step runs under; `pinned` when it came from the record (a resumed run). */
export interface WorkflowStepFlagValue {
  /** Undefined when the flag is not defined (the step's fallback value applies). */
  readonly variant?: string;
  readonly value: JsonValue;
  readonly pinned: boolean;
}

/**
 * What has been computed so far while a workflow runs: its input, each finished step's result and
 * the flags asked so far (by flag key; the current step's flag included).
 */
export interface WorkflowStepContext {
  readonly data: Readonly<Record<string, unknown>>;
  readonly results: Readonly<Record<string, Record<string, unknown>>>;
  readonly flags?: Readonly<Record<string, WorkflowStepFlagValue>>;
}

/**
 * A flag a step asks before it runs (a new behaviour rolled out gradually). The engine evaluates it
 * with targetingKey = the workflow id and workflow_type, stores the variant on the record
 * (`flag_variants`) when the run is created, and a resumed run keeps that variant when the flag moves.
 */
export interface WorkflowStepFlag {
  readonly key: string;
  /** The value when the flag is not defined. */
  readonly fallback: JsonValue;
}

/**
 * One step: a message `type` routed like any other message, with its input built from the
 * workflow's data and earlier results. Steps are data the engine runs, so a workflow resumed
 * after approval runs exactly the steps it would have run without the gate.
 */
export interface WorkflowStepDefinition {
  /** The message type sent (and the step's name in the record). */
  readonly step: string;
  readonly input: (context: WorkflowStepContext) => Record<string, unknown>;
  /** Asked before the step runs; the step reads the answer in `context.flags[flag.key]`. */
  readonly flag?: WorkflowStepFlag;
}

/** Metadata of @Workflow(). */
export interface WorkflowOptions {
  type: string;
  description?: string;
}

/**
 * The contract of a provider marked @Workflow(): its steps, run in order while each succeeds, and
 * optionally how it describes itself to reviewers (stored on the record when it is created).
 */
export interface WorkflowDefinition {
  readonly steps: readonly WorkflowStepDefinition[];
  /** A short line saying what this run is about, e.g. the project's name. */
  title?(data: Readonly<Record<string, unknown>>): string;
  /** A few labelled fields a reviewer reads first. */
  summary?(data: Readonly<Record<string, unknown>>): WorkflowSummaryField[];
}

/** What a record stores about itself: see WorkflowRegistry.describe. */
export interface WorkflowDescription {
  title: string | null;
  summary: WorkflowSummaryField[] | null;
}

export interface WorkflowStep {
  step: string;
  status: AgentResponse['status'];
  result: unknown;
}

export type { Actor } from './workflow.actor';

export type { WorkflowStatus } from '@mira/state';

/** Record fields that stay inside the service (leases, concurrency, idempotency material). */
type InternalFields = 'version' | 'lease_owner' | 'lease_expires_at' | 'idempotency_key' | 'request_hash';

/** A workflow record as the API shows it, with the approval counts a reader needs. */
export type WorkflowView = Omit<WorkflowRecord, InternalFields | 'steps'> & {
  requires_human_validation: boolean;
  approvals: number;
  steps: WorkflowStep[];
};

/** A workflow in a list: the view without `data` and `steps`. */
export type WorkflowSummary = Omit<WorkflowView, 'data' | 'steps'>;

/** Kept for callers of the first API: a workflow result is its record's view. */
export type WorkflowResult = WorkflowView;

export { WORKFLOW_STATUSES } from './workflow.lifecycle';
