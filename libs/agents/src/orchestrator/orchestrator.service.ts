import { Inject, Injectable, Logger, type OnApplicationBootstrap, Optional } from '@nestjs/common';
import {
  MESSAGE_BROKER,
  REPLY_TO_HEADER,
  type BrokerMessage,
  type MessageBroker,
  type Subscription,
} from '@mira/broker';
import { currentCorrelation, runWithContextFields, setContextFields } from '@mira/logging';
import { AgentMetrics } from '../agent.metrics';
import { inSpan, markOutcome } from '../agents.tracing';
import type { AgentMessage, AgentResponse, RoutedResponse } from '../agent.interface';
import { AgentRegistry } from '../agent.registry';
import { errorResponse, successResponse } from '../agent.response';
import { ERROR_CODE } from '../base.agent';
import {
  AGENT_RESPONSE_EVENT,
  DEFAULT_ROUTING_RULES,
  ORCHESTRATOR_GROUP,
  ORCHESTRATOR_ID,
  PENDING_APPROVAL_EVENT,
  WORKFLOW_MESSAGE_TYPE,
} from './routing.constants';
import { WorkflowError } from '../workflows/workflow.error';
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

/**
 * Routes messages to agents by type, runs multi-step workflows, and consumes routed message
 * types from the broker (one group, `orchestrator`) publishing each answer as `agent.response`.
 */
@Injectable()
export class OrchestratorService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Orchestrator');
  private readonly rules = new Map<string, string>(Object.entries(DEFAULT_ROUTING_RULES));
  private readonly subscriptions: Subscription[] = [];
  private subscribedTypes = new Set<string>();
  private started = false;
  private workflowRunner: WorkflowRunner | null = null;

  constructor(
    private readonly registry: AgentRegistry,
    @Inject(MESSAGE_BROKER) private readonly broker: MessageBroker,
    @Optional() @Inject(AgentMetrics) private readonly metrics: AgentMetrics | null = null,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Agents contribute their own types; an explicit runtime rule still wins.
    for (const agent of this.registry.list()) {
      for (const type of agent.messageTypes) {
        const existing = this.rules.get(type);
        if (existing && existing !== agent.id) {
          this.logger.warn(
            `Message type ${type} is routed to ${existing}; ${agent.id} also declares it and is ignored for it`,
          );
          continue;
        }
        this.rules.set(type, agent.id);
      }
    }
    this.started = true;
    // Only these types (and workflows) become metric label values; anything else counts as "other".
    this.metrics?.registerMessageTypes([
      ...this.rules.keys(),
      WORKFLOW_MESSAGE_TYPE,
      AGENT_RESPONSE_EVENT,
      PENDING_APPROVAL_EVENT,
    ]);
    await this.subscribe([...this.rules.keys(), WORKFLOW_MESSAGE_TYPE]);
  }

  /** The workflow engine hands itself in here, so the orchestrator does not depend on it. */
  useWorkflowRunner(runner: WorkflowRunner): void {
    this.workflowRunner = runner;
  }

  /** Adds or replaces a rule at run time; the type is consumed from the broker from now on. */
  async addRoutingRule(type: string, agentId: string): Promise<void> {
    if (!type || type === WORKFLOW_MESSAGE_TYPE)
      throw new Error(`Cannot route message type "${type}" to an agent`);
    this.rules.set(type, agentId);
    this.metrics?.registerMessageTypes([type]);
    if (this.started) await this.subscribe([type]);
  }

  routingRules(): Record<string, string> {
    return Object.fromEntries(this.rules);
  }

  /** Processes a message and answers with an envelope (never throws for bad input). */
  async process(message: AgentMessage): Promise<AgentResponse> {
    return (await this.route(message)).response;
  }

  route(message: AgentMessage, options: RouteOptions = {}): Promise<RoutedResponse> {
    return inSpan(`mira.route ${message.type}`, { 'mira.message.type': message.type }, () =>
      this.routeMeasured(message, options),
    );
  }

  private async routeMeasured(message: AgentMessage, options: RouteOptions): Promise<RoutedResponse> {
    if (!this.metrics) return this.routeMessage(message, options);
    const started = performance.now();
    const routed = await this.routeMessage(message, options);
    const outcome = routed.failure ?? (routed.response.status === 'error' ? 'error' : 'success');
    this.metrics.observeAgent(
      routed.response.agent_id,
      message.type,
      outcome,
      (performance.now() - started) / 1000,
    );
    return routed;
  }

  private async routeMessage(message: AgentMessage, options: RouteOptions): Promise<RoutedResponse> {
    if (message.type === WORKFLOW_MESSAGE_TYPE) {
      if (!this.workflowRunner)
        return {
          response: errorResponse(ORCHESTRATOR_ID, 'Workflows are not available'),
          failure: 'agent_not_found',
        };
      // Fail closed: a workflow nobody asked for by name could be approved by anyone, its
      // requester included (separation of duties needs to know who requested it).
      const actor = currentCorrelation()?.actor;
      if (!actor)
        return {
          response: errorResponse(
            ORCHESTRATOR_ID,
            'A workflow needs a requester: send it through the API, or publish it with the x-mira-actor header',
          ),
          failure: 'invalid_input',
        };
      try {
        const result = await this.workflowRunner(
          message.data as unknown as WorkflowRequest,
          actor,
          options.idempotencyKey ?? null,
        );
        return { response: successResponse(ORCHESTRATOR_ID, result), failure: null };
      } catch (err) {
        // Only a request the engine refused is the caller's mistake; the store or broker being
        // unavailable is the service's state, and the caller maps it to 5xx.
        if (!(err instanceof WorkflowError)) throw err;
        return { response: errorResponse(ORCHESTRATOR_ID, err.message), failure: 'invalid_input' };
      }
    }
    const agentId = this.rules.get(message.type);
    if (!agentId) {
      return {
        response: errorResponse(ORCHESTRATOR_ID, `No routing rule for message type: ${message.type}`),
        failure: 'no_route',
      };
    }
    const agent = this.registry.get(agentId);
    if (!agent) {
      return {
        response: errorResponse(ORCHESTRATOR_ID, `Agent not found: ${agentId}`),
        failure: 'agent_not_found',
      };
    }
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
      return {
        // The detail is in the log line above; the client gets no internals.
        response: errorResponse(agentId, `Processing ${message.type} failed: internal error`),
        failure: 'agent_failed',
      };
    }
    if (response.status !== 'error') return { response, failure: null };
    const code = (response as unknown as Record<symbol, unknown>)[ERROR_CODE];
    return { response, failure: code === 'AGENT_FAILED' ? 'agent_failed' : 'invalid_input' };
  }

  private async subscribe(types: string[]): Promise<void> {
    const fresh = types.filter((t) => !this.subscribedTypes.has(t));
    if (fresh.length === 0) return;
    const subscription = await this.broker.subscribe(fresh, (m) => this.handleBrokerMessage(m), {
      group: ORCHESTRATOR_GROUP,
    });
    // Marked only once subscribed: a failed subscribe (broker unavailable) is retried next time.
    fresh.forEach((t) => this.subscribedTypes.add(t));
    this.subscriptions.push(subscription);
  }

  private async handleBrokerMessage(message: BrokerMessage): Promise<void> {
    setContextFields({ task_id: message.id });
    const data = message.data;
    // A failing handler is retried by the broker (the store or broker may be back by then).
    const response =
      typeof data === 'object' && data !== null && !Array.isArray(data)
        ? // The message id keys a workflow, so a redelivery does not start a second one.
          (
            await this.route(
              { type: message.type, data: data as Record<string, unknown> },
              { idempotencyKey: `broker:${message.id}` },
            )
          ).response
        : errorResponse(ORCHESTRATOR_ID, `Message ${message.id} (${message.type}) has no data object`);
    await this.broker.publish(
      AGENT_RESPONSE_EVENT,
      { message_id: message.id, message_type: message.type, response },
      // Marked as a reply so a draining broker still accepts it: it completes work already accepted.
      { ...message.headers, [REPLY_TO_HEADER]: message.id },
    );
  }
}
