import { Injectable, Logger } from '@nestjs/common';
import { inSpan } from '../agents.tracing';
import { ConfigStore } from '@mira/config';
import { runWithContextFields } from '@mira/logging';
import type { WorkflowDecision, WorkflowPatch, WorkflowQuery, WorkflowRecord } from '@mira/state';
import { Clock } from '../clock.service';
import { ApprovalMetrics, type ApprovalOutcome } from './approval.metrics';
import { ApprovalRebinding } from './approval.rebinding';
import { isSameActor } from './workflow.actor';
import { countApprovals, OUTCOME_EVENTS } from './workflow.lifecycle';
import { SYSTEM_ACTOR, WorkflowJournal } from './workflow.journal';
import { WorkflowError } from './workflow.error';
import type { Actor, WorkflowStatus } from './workflow.interface';

/** Published when a decision leaves the workflow pending (an approval short of the quorum). */
export const WORKFLOW_DECIDED_EVENT = 'workflow.decided';

export interface DecisionInput {
  decision: 'approve' | 'reject';
  comment?: string | null;
  data_patch?: Record<string, unknown> | null;
}

/** Conditional updates lose to a concurrent change at most this often before giving up. */
const MAX_ATTEMPTS = 5;

/**
 * Human decisions on held workflows. Every change is a conditional update of the record (its
 * version) with its audit entry in the same transaction, so of two approvers racing for the last
 * vote, on any replicas, exactly one wins and the other gets a conflict naming the new status.
 */
@Injectable()
export class ApprovalService {
  private readonly logger = new Logger('Approvals');

  constructor(
    private readonly journal: WorkflowJournal,
    private readonly config: ConfigStore,
    private readonly clock: Clock,
    private readonly metrics: ApprovalMetrics,
    private readonly rebind: ApprovalRebinding,
  ) {}

  /** For the controller, which reads through here until it injects WorkflowJournal itself. */
  get(id: string): Promise<WorkflowRecord> {
    return this.journal.get(id);
  }

  list(query: WorkflowQuery): ReturnType<WorkflowJournal['list']> {
    return this.journal.list(query);
  }

  /** Approve (optionally editing the input with a JSON merge patch) or reject (with a comment). */
  decide(id: string, actor: Actor, input: DecisionInput): Promise<WorkflowRecord> {
    return runWithContextFields({ workflow_id: id }, () =>
      inSpan(
        `mira.approval.${input.decision}`,
        { 'mira.workflow.id': id, 'mira.approval.decision': input.decision },
        () => this.decideNow(id, actor, input),
      ),
    );
  }

  /** The requester (or an admin) withdraws a workflow that is still waiting. */
  cancel(id: string, actor: Actor, comment: string | null = null): Promise<WorkflowRecord> {
    return runWithContextFields({ workflow_id: id }, () =>
      this.transition(id, (record) => {
        // The exact id: a legacy name match must not grant a right (see isSameActor).
        if (record.requested_by !== actor.id && !actor.roles.includes('admin'))
          throw new WorkflowError(
            'WORKFLOW_FORBIDDEN',
            `Only the requester (${record.requested_by_name}, ${record.requested_by}) or an admin may cancel workflow ${id}`,
          );
        return { to: 'cancelled', patch: {}, action: 'cancel', comment, actor };
      }),
    );
  }

  /** Expires a workflow whose approval window has passed (the sweeper calls this; actor `system`). */
  async expire(record: WorkflowRecord): Promise<WorkflowRecord | null> {
    const now = this.clock.now();
    const expired = await this.journal.transition(
      record,
      { status: 'expired' },
      { actor: SYSTEM_ACTOR, action: 'expire', from: record.status, to: 'expired' },
      now,
    );
    if (expired) await this.settled(expired, 'expire', now);
    return expired;
  }

  private async decideNow(id: string, actor: Actor, input: DecisionInput): Promise<WorkflowRecord> {
    const comment = input.comment?.trim() || null;
    if (input.decision === 'reject' && !comment)
      throw new WorkflowError('WORKFLOW_INVALID_INPUT', 'comment: a rejection must say why');
    const patchInput = input.decision === 'approve' ? (input.data_patch ?? null) : null;
    // A patched workflow is re-assessed (async, so before the conditional update's plan).
    const reassessed = patchInput ? await this.rebind.reassess(await this.get(id)) : null;
    return this.transition(id, (record) => {
      const allowSelf = this.config.get('governance').allow_self_approval;
      if (input.decision === 'approve' && isSameActor(record.requested_by, actor) && !allowSelf)
        throw new WorkflowError(
          'WORKFLOW_FORBIDDEN',
          `Separation of duties: ${actor.name} (${actor.id}) requested workflow ${id} and cannot approve it (governance.allow_self_approval is off)`,
        );
      if (
        input.decision === 'approve' &&
        record.decisions.some((d) => d.decision === 'approve' && !d.dismissed && isSameActor(d.actor, actor))
      )
        throw new WorkflowError(
          'WORKFLOW_FORBIDDEN',
          `${actor.name} (${actor.id}) has already approved workflow ${id}: one approver counts once`,
        );
      const decision: WorkflowDecision = {
        actor: actor.id,
        actor_name: actor.name,
        decision: input.decision,
        comment,
        at: this.clock.now().toISOString(),
        data_hash: record.data_hash,
      };
      if (input.decision === 'reject')
        return {
          to: 'rejected',
          patch: { decisions: [...record.decisions, decision] },
          action: 'reject',
          comment,
          actor,
        };
      const bound = patchInput ? this.rebind.apply(record, patchInput, decision, reassessed) : null;
      const patch: WorkflowPatch = bound?.patch ?? { decisions: [...record.decisions, decision] };
      const required = patch.approvals_required ?? record.approvals_required;
      const to: WorkflowStatus =
        countApprovals(patch.decisions ?? []) >= required ? 'approved' : 'pending_approval';
      return { to, patch, action: 'approve', comment, actor, details: bound?.details ?? null };
    });
  }

  /**
   * Reads the record, checks it still waits, applies the change conditionally, and retries when
   * another change slipped in between (a vote that did not decide the outcome).
   */
  private async transition(
    id: string,
    plan: (record: WorkflowRecord) => {
      to: WorkflowStatus;
      patch: WorkflowPatch;
      action: ApprovalOutcome;
      comment: string | null;
      actor: Actor;
      details?: Record<string, unknown> | null;
    },
  ): Promise<WorkflowRecord> {
    for (let attempt = 1; ; attempt++) {
      const record = await this.get(id);
      const now = this.clock.now();
      if (
        record.status === 'pending_approval' &&
        record.expires_at &&
        Date.parse(record.expires_at) <= now.getTime()
      )
        await this.expire(record);
      else if (record.status === 'pending_approval') {
        const step = plan(record);
        const updated = await this.journal.transition(
          record,
          { ...step.patch, status: step.to },
          {
            actor: step.actor.id,
            actorName: step.actor.name,
            action: step.action,
            from: record.status,
            to: step.to,
            comment: step.comment,
            details: step.details ?? null,
          },
          now,
        );
        if (updated) {
          this.logger.log(`Workflow ${id}: ${step.action} by ${step.actor.id} -> ${step.to}`);
          if (step.to !== 'pending_approval' || step.action !== 'approve')
            await this.settled(updated, step.action, now);
          else {
            this.metrics.decision('approve');
            // A vote short of the quorum changes what reviewers see (approvals): announce it too.
            await this.journal.announce(WORKFLOW_DECIDED_EVENT, {
              workflow_id: updated.workflow_id,
              workflow_type: updated.workflow_type,
              status: updated.status,
              actor: step.actor,
            });
          }
          return updated;
        }
        if (attempt < MAX_ATTEMPTS) continue;
      }
      const current = await this.get(id);
      if (current.status === 'pending_approval' && attempt < MAX_ATTEMPTS) continue;
      if (current.status === 'pending_approval')
        throw new WorkflowError(
          'WORKFLOW_CONFLICT',
          `Workflow ${id} is being decided by others at this moment: retry the decision`,
          current.status,
        );
      throw new WorkflowError(
        'WORKFLOW_CONFLICT',
        `Workflow ${id} is ${current.status}: only a pending_approval workflow accepts decisions`,
        current.status,
      );
    }
  }

  /** Metrics and the event of an outcome; an approval also hands the run to the runner group. */
  private async settled(record: WorkflowRecord, action: ApprovalOutcome, now: Date): Promise<void> {
    this.metrics.decision(action);
    if (record.status !== 'pending_approval') this.metrics.settled(record.status, record.created_at, now);
    const event = OUTCOME_EVENTS[record.status];
    if (!event) return;
    const last = record.decisions.at(-1);
    // If the approval event cannot be published, the sweeper finds the approved record and runs it.
    await this.journal.announce(event, {
      workflow_id: record.workflow_id,
      workflow_type: record.workflow_type,
      status: record.status,
      actor: action === 'expire' ? SYSTEM_ACTOR : (last?.actor ?? null),
    });
  }
}
