import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { trace } from '@opentelemetry/api';
import { Inject, Injectable, Logger, type OnApplicationBootstrap, Optional } from '@nestjs/common';
import { MESSAGE_BROKER, type BrokerMessage, type MessageBroker } from '@mira/broker';
import { ConfigStore } from '@mira/config';
import { runWithContextFields, setContextFields } from '@mira/logging';
import { dataHash, StateError, type NewWorkflowRecord, type WorkflowRecord } from '@mira/state';
import { AgentMetrics } from '../agent.metrics';
import { AgentRegistry } from '../agent.registry';
import { governancePolicyFor } from '../governance.policy';
import { inSpan } from '../agents.tracing';
import { Clock } from '../clock.service';
import { OrchestratorService } from '../orchestrator/orchestrator.service';
import {
  APPROVED_EVENT,
  PENDING_APPROVAL_EVENT,
  WORKFLOW_COMPLETED_EVENT,
  WORKFLOW_FAILED_EVENT,
  WORKFLOW_RUNNER_GROUP,
} from '../orchestrator/routing.constants';
import { GovernanceGate } from './governance.gate';
import { WorkflowDisabledError } from './workflow.error';
import { WorkflowFlags } from './workflow.flags';
import type {
  WorkflowRequest,
  WorkflowStep,
  WorkflowStepContext,
  WorkflowStepFlagValue,
} from './workflow.interface';
import { SYSTEM_ACTOR, WorkflowJournal, type JournalEntry } from './workflow.journal';
import { leaseUntil, WorkflowLease } from './workflow.lease';
import { WorkflowRegistry } from './workflow.registry';
import { displayNameOf } from './workflow.actor';
import { applyPolicy } from './workflow.policy';
import {
  hashRequest,
  sameRequest,
  validateGovernanceData,
  workflowExists,
  workflowIdOf,
} from './workflow-request';
import { workflowView } from './workflow.view';

export interface SubmitOptions {
  /** Who asks: a stable id (`key:<name>`, `oidc:<issuer-host>:<sub>`), never a credential. */
  actor: string;
  /** Their display name (derived from the id when not given). */
  actorName?: string;
  /** A retry with the same key (and the same body) returns the same workflow. */
  idempotencyKey?: string | null;
}

export interface SubmitResult {
  record: WorkflowRecord;
  /** False when an Idempotency-Key matched an earlier request. */
  created: boolean;
}

/**
 * Runs workflows as durable records. A workflow is created `running` (or `pending_approval`
 * when governance says a person must decide), its steps run under a lease held by this replica,
 * and it ends `completed` or `failed`. Approved workflows are resumed from the broker by any
 * replica; a replica that dies mid-run leaves a lease that runs out, and the sweeper of another
 * replica finishes the workflow (see WorkflowSweeper).
 */
@Injectable()
export class WorkflowEngine implements OnApplicationBootstrap {
  private readonly logger = new Logger('WorkflowEngine');
  /** This replica's name on the leases it takes. */
  readonly instanceId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

  constructor(
    private readonly workflows: WorkflowRegistry,
    private readonly orchestrator: OrchestratorService,
    private readonly config: ConfigStore,
    private readonly clock: Clock,
    private readonly journal: WorkflowJournal,
    private readonly gate: GovernanceGate,
    private readonly lease: WorkflowLease,
    private readonly stepFlags: WorkflowFlags,
    private readonly agents: AgentRegistry,
    @Inject(MESSAGE_BROKER) private readonly broker: MessageBroker,
    @Optional() @Inject(AgentMetrics) private readonly metrics: AgentMetrics | null = null,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.orchestrator.useWorkflowRunner((request, actor, idempotencyKey) =>
      this.submit(request, { actor, idempotencyKey }).then(({ record }) => workflowView(record)),
    );
    this.metrics?.registerWorkflowTypes(this.workflows.types());
    this.metrics?.registerMessageTypes([
      PENDING_APPROVAL_EVENT,
      APPROVED_EVENT,
      WORKFLOW_COMPLETED_EVENT,
      WORKFLOW_FAILED_EVENT,
    ]);
    // One replica of the group takes each approval and runs the steps.
    await this.broker.subscribe(
      APPROVED_EVENT,
      (m) => this.onApproved(m as BrokerMessage<{ workflow_id?: string }>),
      {
        group: WORKFLOW_RUNNER_GROUP,
      },
    );
  }

  /** Validates, assesses governance, stores the record and runs the steps unless a person must decide. */
  submit(request: WorkflowRequest, options: SubmitOptions): Promise<SubmitResult> {
    const type = String(request?.workflow_type);
    return inSpan(`mira.workflow ${type}`, { 'mira.workflow.type': type }, () =>
      this.submitNow(request, options),
    );
  }

  private async submitNow(request: WorkflowRequest, options: SubmitOptions): Promise<SubmitResult> {
    const type = request?.workflow_type;
    let definition: ReturnType<WorkflowRegistry['get']>;
    try {
      // The kill switch (flag workflow.<type>.enabled), here so no caller of submit can miss it.
      if (!this.agents.isWorkflowEnabled(String(type))) throw new WorkflowDisabledError(String(type));
      definition = this.workflows.get(String(type));
    } catch (err) {
      this.metrics?.observeWorkflow(String(type), 'rejected');
      throw err;
    }
    const data = request.data ?? {};
    const governanceData = validateGovernanceData(request.governance_data);
    const workflowId = workflowIdOf(request);
    setContextFields({ workflow_id: workflowId });
    trace.getActiveSpan()?.setAttribute('mira.workflow.id', workflowId);

    // A retry with the same key finds the first record when it is inserted (the store's unique
    // key on requester + Idempotency-Key), so two concurrent retries cannot both run.
    const requestHash = options.idempotencyKey ? hashRequest(request) : null;

    // The operator's policy for this type decides what an unassessed or low assessment means.
    const governance = this.config.get('governance');
    const policy = governancePolicyFor(governance, type);
    const verdict = governanceData ? await this.gate.assess(workflowId, governanceData) : null;
    const outcome = applyPolicy(policy, verdict);
    // Read after the assessment, so a new run's lease starts whole.
    const now = this.clock.now();
    const leaseMs = this.leaseMs();
    const held = outcome.held;
    const status = held ? 'pending_approval' : 'running';
    const actorName = options.actorName ?? displayNameOf(options.actor);
    const hash = dataHash(data);
    const { record, created } = await this.create(
      {
        workflow_id: workflowId,
        workflow_type: type,
        status,
        requested_by: options.actor,
        requested_by_name: actorName,
        ...this.workflows.describe(type, data),
        created_at: now.toISOString(),
        data,
        data_hash: hash,
        policy,
        governance: verdict?.assessment ?? null,
        risk_level: outcome.riskLevel,
        reasons: outcome.reasons,
        approvals_required: outcome.approvalsRequired,
        decisions: [],
        expires_at: held
          ? new Date(now.getTime() + governance.approval_ttl_seconds * 1000).toISOString()
          : null,
        steps: [],
        lease_owner: held ? null : this.instanceId,
        lease_expires_at: held ? null : leaseUntil(now, leaseMs),
        idempotency_key: options.idempotencyKey ?? null,
        request_hash: requestHash,
        // Pinned now, so a run that waits for approval keeps the variants it was reviewed under.
        flag_variants: this.stepFlags.pin(definition, { workflow_id: workflowId, workflow_type: type }, {}),
      },
      {
        actor: options.actor,
        actorName,
        action: 'created',
        from: null,
        to: status,
        details: { policy: policy.name, data_hash: hash },
      },
      now,
    );
    if (!created) return { record: sameRequest(record, requestHash), created: false };

    if (held) {
      this.metrics?.observeWorkflow(type, 'pending_approval');
      this.logger.warn(`Workflow ${workflowId} (${type}) is pending human approval`);
      // The record is committed: a refused event must not tell the client to retry (it would
      // create a second workflow). Approvers find it in the store whatever happens to the event.
      await this.journal.announce(PENDING_APPROVAL_EVENT, {
        workflow_id: workflowId,
        workflow_type: type,
        risk_level: record.risk_level,
        reasons: record.reasons,
        approvals_required: record.approvals_required,
        expires_at: record.expires_at,
        requested_by: record.requested_by,
        requested_by_name: record.requested_by_name,
        policy: record.policy,
        data_hash: record.data_hash,
        assessment: record.governance,
        data,
      });
      return { record, created: true };
    }
    return { record: await this.runSteps(record, leaseMs), created: true };
  }

  /**
   * Claims an approved workflow (or one whose runner's lease ran out) and runs its steps. Any
   * number of replicas may call this for the same workflow: the conditional update lets one run it.
   */
  async resume(workflowId: string): Promise<WorkflowRecord | null> {
    const record = await this.journal.find(workflowId);
    if (!record) return null;
    const now = this.clock.now();
    const abandoned =
      record.status === 'running' &&
      (record.lease_expires_at === null || Date.parse(record.lease_expires_at) <= now.getTime());
    if (record.status !== 'approved' && !abandoned) return record;
    if (!this.workflows.types().includes(record.workflow_type)) {
      // Its module is gone: claiming it would only fail again on every sweep.
      this.logger.error(
        `Workflow ${workflowId} (${record.workflow_type}) cannot run: no @Workflow provider declares that type`,
      );
      return record;
    }
    const leaseMs = this.leaseMs();
    const claimed = await this.journal.transition(
      record,
      {
        // Records from before a step asked its flag get their variants on their first claim.
        flag_variants: this.stepFlags.pin(
          this.workflows.get(record.workflow_type),
          record,
          record.flag_variants,
        ),
        status: 'running',
        lease_owner: this.instanceId,
        lease_expires_at: leaseUntil(now, leaseMs),
        // A run taken over starts again from the first step: steps are pure functions of the data.
        steps: [],
      },
      {
        actor: SYSTEM_ACTOR,
        action: abandoned ? 'recovered' : 'started',
        from: record.status,
        to: 'running',
        comment: abandoned ? `lease of ${record.lease_owner ?? 'unknown'} ran out` : null,
      },
      now,
    );
    if (!claimed) return this.journal.find(workflowId);
    if (abandoned)
      this.logger.warn(`Workflow ${workflowId}: taking over a run whose replica stopped renewing its lease`);
    return runWithContextFields({ workflow_id: workflowId }, () =>
      inSpan(
        `mira.workflow.resume ${claimed.workflow_type}`,
        { 'mira.workflow.id': workflowId, 'mira.workflow.type': claimed.workflow_type },
        () => this.runSteps(claimed, leaseMs),
      ),
    );
  }

  /**
   * Runs the definition's steps on the record's data while this replica holds the lease (of
   * `leaseMs`, fixed for the run so a reload cannot make it lapse under a live runner).
   */
  private async runSteps(record: WorkflowRecord, leaseMs: number): Promise<WorkflowRecord> {
    const definition = this.workflows.get(record.workflow_type);
    let current = record;
    const lease = this.lease.keep(
      leaseMs,
      () => current,
      (r) => (current = r),
    );
    const steps: WorkflowStep[] = [];
    const variants = { ...record.flag_variants };
    try {
      const results: Record<string, Record<string, unknown>> = {};
      const flags: Record<string, WorkflowStepFlagValue> = {};
      for (const step of definition.steps) {
        if (step.flag) {
          const choice = this.stepFlags.forStep(step.flag, record, variants[step.flag.key]);
          flags[step.flag.key] = choice;
          if (choice.variant !== undefined) variants[step.flag.key] = choice.variant;
        }
        const context: WorkflowStepContext = { data: record.data, results, flags };
        const { response } = await inSpan(
          `mira.workflow.step ${step.step}`,
          {
            'mira.workflow.id': record.workflow_id,
            'mira.workflow.type': record.workflow_type,
            'mira.workflow.step': step.step,
          },
          () => this.orchestrator.route({ type: step.step, data: step.input(context) }),
        );
        steps.push({
          step: step.step,
          status: response.status,
          result: response.status === 'success' ? response.data : response.error,
        });
        if (response.status !== 'success') break;
        results[step.step] = response.data as Record<string, unknown>;
      }
    } catch (err) {
      // A step that throws (its input builder, say) fails the workflow instead of leaving it
      // running for the sweeper to retry forever.
      const failed = definition.steps[steps.length]?.step ?? 'unknown';
      this.logger.error(`Workflow ${record.workflow_id}: step ${failed} threw: ${(err as Error).message}`);
      steps.push({ step: failed, status: 'error', result: `Step ${failed} failed: internal error` });
    } finally {
      await lease.stop();
    }
    const ok = steps.length === definition.steps.length && steps.every((s) => s.status === 'success');
    const status = ok ? 'completed' : 'failed';
    const now = this.clock.now();
    const finish = (r: WorkflowRecord) =>
      this.journal.transition(
        r,
        { status, steps, flag_variants: variants, lease_owner: null, lease_expires_at: null },
        { actor: SYSTEM_ACTOR, action: status, from: 'running', to: status },
        now,
      );
    let done = await finish(current);
    if (!done) {
      // A renewal may have committed without us seeing its answer: still ours, so finish it.
      const latest = await this.journal.find(current.workflow_id);
      if (latest?.status === 'running' && latest.lease_owner === this.instanceId) done = await finish(latest);
      if (!done) {
        // Our lease ran out and another replica took the run over: its result is the one that counts.
        this.logger.warn(
          `Workflow ${current.workflow_id}: lost its lease while running; another replica finishes it`,
        );
        return latest ?? current;
      }
    }
    this.metrics?.observeWorkflow(done.workflow_type, status);
    await this.journal.announce(status === 'completed' ? WORKFLOW_COMPLETED_EVENT : WORKFLOW_FAILED_EVENT, {
      workflow_id: done.workflow_id,
      workflow_type: done.workflow_type,
      status,
    });
    return done;
  }

  private async onApproved(message: BrokerMessage<{ workflow_id?: string }>): Promise<void> {
    const id = message.data?.workflow_id;
    if (typeof id !== 'string') return;
    await this.resume(id);
  }

  private async create(record: NewWorkflowRecord, entry: JournalEntry, now: Date): Promise<SubmitResult> {
    try {
      return await this.journal.create(record, entry, now);
    } catch (err) {
      // The id a client chose is taken (the store's primary key said so, in the same round trip).
      if (err instanceof StateError && err.code === 'STATE_CONFLICT')
        throw workflowExists(record.workflow_id);
      throw err;
    }
  }

  private leaseMs(): number {
    return this.config.get('governance').lease_seconds * 1000;
  }
}
