import { Inject, Injectable, Logger, type OnApplicationBootstrap, Optional } from '@nestjs/common';
import { currentCorrelation, runWithContextFields } from '@mira/logging';
import { AgentMetrics } from '../agent.metrics';
import { inSpan, markOutcome } from '../agents.tracing';
import type { AgentMessage, AgentResponse, RouteFailureCode, RouteResult } from '../agent.interface';
import { AgentRegistry } from '../agent.registry';
import { errorResponse, successResponse } from '../agent.response';
import {
  AGENT_RESPONSE_EVENT,
  ORCHESTRATOR_ID,
  PENDING_APPROVAL_EVENT,
  WORKFLOW_MESSAGE_TYPE,
} from './routing.constants';
import { WorkflowDisabledError, WorkflowError } from '../workflows/workflow.error';
import type { WorkflowRequest } from '../workflows/workflow.interface';

/** Runs a `workflow` message for `actor` (the workflow engine registers itself). */
export type WorkflowRunner = (
  request: WorkflowRequest,
  actor: string,
  idempotencyKey: string | null,
) => Promise<unknown>;

export interface RouteOptions {
  /** For a `workflow` message: a redelivery with the same key returns the same workflow. */
  idempotencyKey?: string;
}

/** Told of each message type routed at run time (the broker consumer starts consuming it). */
export type RoutingRuleListener = (type: string) => Promise<void>;

function failed(code: RouteFailureCode, response: AgentResponse<never>): RouteResult {
  return { ok: false, code, message: response.error ?? code, response };
}

/**
 * Routes messages to agents by type and runs multi-step workflows. The routing table is the
 * agents' own @Agent metadata (AgentRegistry); rules added at run time take precedence over it.
 */
@Injectable()
export class OrchestratorService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Orchestrator');
  private readonly runtimeRules = new Map<string, string>();
  private readonly ruleListeners: RoutingRuleListener[] = [];
  private workflowRunner: WorkflowRunner | null = null;

  constructor(
    private readonly registry: AgentRegistry,
    @Optional() @Inject(AgentMetrics) private readonly metrics: AgentMetrics | null = null,
  ) {}

  onApplicationBootstrap(): void {
    // Only these types (and workflows) become metric label values; anything else counts as "other".
    this.metrics?.registerMessageTypes([
      ...this.routedTypes(),
      WORKFLOW_MESSAGE_TYPE,
      AGENT_RESPONSE_EVENT,
      PENDING_APPROVAL_EVENT,
    ]);
  }

  /** The workflow engine hands itself in here, so the orchestrator does not depend on it. */
  useWorkflowRunner(runner: WorkflowRunner): void {
    this.workflowRunner = runner;
  }

  /** Called for every rule added from now on; addRoutingRule waits for the listeners. */
  onRoutingRuleAdded(listener: RoutingRuleListener): void {
    this.ruleListeners.push(listener);
  }

  /** Adds or replaces a rule at run time; the type is consumed from the broker from now on. */
  async addRoutingRule(type: string, agentId: string): Promise<void> {
    if (!type || type === WORKFLOW_MESSAGE_TYPE)
      throw new Error(`Cannot route message type "${type}" to an agent`);
    this.runtimeRules.set(type, agentId);
    this.metrics?.registerMessageTypes([type]);
    await Promise.all(this.ruleListeners.map((listener) => listener(type)));
  }

  routingRules(): Record<string, string> {
    return {
      ...Object.fromEntries(this.registry.declaredRoutes()),
      ...Object.fromEntries(this.runtimeRules),
    };
  }

  /** Every type routed to an agent (without `workflow`). */
  routedTypes(): string[] {
    return Object.keys(this.routingRules());
  }

  /** What a caller may send: every routed type and `workflow`, sorted (named in the no-route error). */
  knownTypes(): string[] {
    return [...this.routedTypes(), WORKFLOW_MESSAGE_TYPE].sort();
  }

  /** Processes a message and answers with an envelope (never throws for bad input). */
  async process(message: AgentMessage): Promise<AgentResponse> {
    return (await this.route(message)).response;
  }

  route(message: AgentMessage, options: RouteOptions = {}): Promise<RouteResult> {
    return inSpan(`mira.route ${message.type}`, { 'mira.message.type': message.type }, () =>
      this.routeMeasured(message, options),
    );
  }

  private async routeMeasured(message: AgentMessage, options: RouteOptions): Promise<RouteResult> {
    if (!this.metrics) return this.routeMessage(message, options);
    const started = performance.now();
    const routed = await this.routeMessage(message, options);
    this.metrics.observeAgent(
      routed.response.agent_id,
      message.type,
      routed.ok ? 'success' : routed.code,
      (performance.now() - started) / 1000,
    );
    return routed;
  }

  private async routeMessage(message: AgentMessage, options: RouteOptions): Promise<RouteResult> {
    if (message.type === WORKFLOW_MESSAGE_TYPE) return this.runWorkflow(message, options);
    const agentId = this.runtimeRules.get(message.type) ?? this.registry.agentFor(message.type);
    if (!agentId)
      return failed(
        'no_route',
        errorResponse(
          ORCHESTRATOR_ID,
          `No routing rule for message type: ${message.type}; known types: ${this.knownTypes().join(', ')}`,
        ),
      );
    const agent = this.registry.get(agentId, { message_type: message.type });
    if (!agent)
      return failed('agent_not_found', errorResponse(ORCHESTRATOR_ID, `Agent not found: ${agentId}`));
    let response: AgentResponse;
    try {
      // The agent's log lines carry its id (a nested context, gone when it returns).
      response = await runWithContextFields({ agent_id: agentId }, () =>
        inSpan(
          `mira.agent ${agentId}`,
          { 'mira.agent.id': agentId, 'mira.message.type': message.type },
          async () => {
            const answer = await agent.process(message);
            markOutcome(answer.status);
            return answer;
          },
        ),
      );
    } catch (err) {
      this.logger.error(
        `Agent ${agentId} threw while processing ${message.type}: ${(err as Error).message}`,
        (err as Error).stack,
      );
      // The detail is in the log line above; the client gets no internals.
      return failed(
        'agent_failed',
        errorResponse(agentId, `Processing ${message.type} failed: internal error`),
      );
    }
    if (response.status === 'error') return failed('invalid_input', response as AgentResponse<never>);
    return { ok: true, response };
  }

  private async runWorkflow(message: AgentMessage, options: RouteOptions): Promise<RouteResult> {
    if (!this.workflowRunner)
      return failed('agent_not_found', errorResponse(ORCHESTRATOR_ID, 'Workflows are not available'));
    // Fail closed: a workflow nobody asked for by name could be approved by anyone, its
    // requester included (separation of duties needs to know who requested it).
    const actor = currentCorrelation()?.actor;
    if (!actor)
      return failed(
        'invalid_input',
        errorResponse(
          ORCHESTRATOR_ID,
          'A workflow needs a requester: send it through the API, or publish it with the x-mira-actor header',
        ),
      );
    try {
      const result = await this.workflowRunner(
        message.data as unknown as WorkflowRequest,
        actor,
        options.idempotencyKey ?? null,
      );
      return { ok: true, response: successResponse(ORCHESTRATOR_ID, result) };
    } catch (err) {
      // Only a request the engine refused is the caller's mistake; the store or broker being
      // unavailable is the service's state, and the caller maps it to 5xx.
      if (!(err instanceof WorkflowError)) throw err;
      // A type switched off answers as an absent agent does (the engine checks its flag).
      const kind = err instanceof WorkflowDisabledError ? 'agent_not_found' : 'invalid_input';
      return failed(kind, errorResponse(ORCHESTRATOR_ID, err.message));
    }
  }
}
