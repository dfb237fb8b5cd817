import { Inject, Injectable, Logger } from '@nestjs/common';
import { MESSAGE_BROKER, type MessageBroker } from '@mira/broker';
import { currentCorrelationId } from '@mira/logging';
import {
  STATE_STORE,
  SYSTEM_ID,
  type AuditInput,
  type NewWorkflowRecord,
  type StateStore,
  type WorkflowPatch,
  type WorkflowQuery,
  type WorkflowRecord,
} from '@mira/state';
import { Clock } from '../clock.service';
import { WorkflowError } from './workflow.error';

/** The actor of what the service does by itself (expiry, resuming, recovery). */
export const SYSTEM_ACTOR = SYSTEM_ID;

/** What happened, for the audit chain; the journal adds when, which workflow and the correlation id. */
export interface JournalEntry {
  /** Stable id of who acts. */
  actor: string;
  /** Their display name (the id itself for `system`). */
  actorName?: string;
  action: string;
  from: string | null;
  to: string | null;
  comment?: string | null;
  /** What the action carried (a data patch and the hashes around it, the policy). */
  details?: Record<string, unknown> | null;
}

/**
 * The workflows' record and voice: reads, conditional changes with their audit entry (in one store
 * transaction), and the events announced after a change. The engine and ApprovalService both write
 * through it, so neither needs the other.
 */
@Injectable()
export class WorkflowJournal {
  // The engine's context, as before the journal existed: log queries keep finding these lines.
  private readonly logger = new Logger('WorkflowEngine');

  constructor(
    @Inject(STATE_STORE) private readonly store: StateStore,
    @Inject(MESSAGE_BROKER) private readonly broker: MessageBroker,
    private readonly clock: Clock,
  ) {}

  find(id: string): Promise<WorkflowRecord | null> {
    return this.store.getWorkflow(id);
  }

  /** find(), or WORKFLOW_NOT_FOUND. */
  async get(id: string): Promise<WorkflowRecord> {
    const record = await this.store.getWorkflow(id);
    if (!record) throw new WorkflowError('WORKFLOW_NOT_FOUND', `Workflow ${id} not found`);
    return record;
  }

  list(query: WorkflowQuery): ReturnType<StateStore['listWorkflows']> {
    return this.store.listWorkflows(query);
  }

  /** Inserts a new record with its first audit entry (see StateStore.createWorkflow for idempotency). */
  create(record: NewWorkflowRecord, entry: JournalEntry, now: Date) {
    return this.store.createWorkflow(record, this.audit(record.workflow_id, entry, now));
  }

  /**
   * Applies `patch` (updated_at = now) if the record is still at its version, with its audit entry in
   * the same transaction; null when another change won.
   */
  transition(
    record: WorkflowRecord,
    patch: WorkflowPatch,
    entry: JournalEntry,
    now: Date,
  ): Promise<WorkflowRecord | null> {
    return this.store.updateWorkflow(
      record.workflow_id,
      record.version,
      { ...patch, updated_at: now.toISOString() },
      this.audit(record.workflow_id, entry, now),
    );
  }

  /** Moves a running workflow's lease on (no audit: a renewal is not an event of the workflow). */
  extendLease(record: WorkflowRecord, leaseExpiresAt: string): Promise<WorkflowRecord | null> {
    return this.store.updateWorkflow(
      record.workflow_id,
      record.version,
      { lease_expires_at: leaseExpiresAt },
      [],
    );
  }

  /** Events after a state change are notifications: the record is the truth, so a refusal is logged. */
  async announce(type: string, data: Record<string, unknown>): Promise<boolean> {
    try {
      await this.broker.publish(type, { ...data, timestamp: this.clock.now().toISOString() });
      return true;
    } catch (err) {
      this.logger.warn(
        `Could not publish ${type} for workflow ${String(data.workflow_id)}: ${(err as Error).message}`,
      );
      return false;
    }
  }

  /** One audit entry (the store chains and hashes it in the same transaction as the change). */
  private audit(workflowId: string, entry: JournalEntry, at: Date): AuditInput[] {
    return [
      {
        at: at.toISOString(),
        actor: entry.actor,
        actor_name: entry.actorName ?? entry.actor,
        details: entry.details ?? null,
        action: entry.action,
        workflow_id: workflowId,
        from_status: entry.from,
        to_status: entry.to,
        comment: entry.comment ?? null,
        correlation_id: currentCorrelationId() ?? null,
      },
    ];
  }
}
