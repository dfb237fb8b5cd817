import type { Counter, Histogram } from 'prom-client';
import type { MessageTypeLabels } from '@mira/broker';
import { BoundedLabel, OTHER_LABEL, type MetricsService } from '@mira/metrics';

/** Outcome label of agent processing: bounded to these values. */
export type AgentOutcome =
  'success' | 'error' | 'invalid_input' | 'agent_failed' | 'no_route' | 'agent_not_found';

const OUTCOMES: readonly AgentOutcome[] = [
  'success',
  'error',
  'invalid_input',
  'agent_failed',
  'no_route',
  'agent_not_found',
];
const WORKFLOW_STATUSES = ['completed', 'failed', 'pending_approval', 'rejected'];

/**
 * The agent observer hook: the orchestrator reports each routed message and each workflow
 * outcome here. Agent ids come from code (@Agent) but are still capped, to stay bounded.
 * Provided through metricsCollector (AgentsModule): null in an app without MetricsService, and
 * the orchestrator and the workflow engine then skip timing altogether.
 */
export class AgentMetrics {
  private readonly duration: Histogram<'agent' | 'type' | 'outcome'>;
  private readonly workflows: Counter<'workflow_type' | 'status'>;
  private readonly agents = new BoundedLabel(64);
  private readonly workflowTypes = new BoundedLabel(16);
  private readonly outcomes = new BoundedLabel(0, OUTCOMES);
  private readonly statuses = new BoundedLabel(0, WORKFLOW_STATUSES);

  constructor(
    metrics: MetricsService,
    private readonly types: MessageTypeLabels,
  ) {
    this.duration = metrics.histogram({
      name: 'mira_agent_processing_duration_seconds',
      help: 'Agent processing duration in seconds, by agent, message type and outcome',
      labelNames: ['agent', 'type', 'outcome'],
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30],
    });
    this.workflows = metrics.counter({
      name: 'mira_workflows_total',
      help: 'Workflow outcomes, by workflow type and status (completed, failed, pending_approval, rejected)',
      labelNames: ['workflow_type', 'status'],
    });
  }

  /** Message types that get their own label value (the routing table and published events). */
  registerMessageTypes(types: Iterable<string>): void {
    this.types.register(types);
  }

  /** One routed message: agent id ("orchestrator" when none was reached), type, outcome, seconds. */
  observeAgent(agent: string, type: string, outcome: AgentOutcome, seconds: number): void {
    this.duration.observe(
      {
        agent: this.agents.value(agent),
        // Unrouted types are user input: only registered ones become label values.
        type: this.types.isRegistered(type) ? type : OTHER_LABEL,
        outcome: this.outcomes.value(outcome),
      },
      seconds,
    );
  }

  /** Registers workflow types that get their own label value. */
  registerWorkflowTypes(types: Iterable<string>): void {
    this.workflowTypes.allow(types);
  }

  observeWorkflow(workflowType: string, status: string): void {
    this.workflows.inc({
      workflow_type: this.workflowTypes.isKnown(workflowType) ? workflowType : OTHER_LABEL,
      status: this.statuses.value(status),
    });
  }
}
