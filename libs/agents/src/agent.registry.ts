import { Injectable, Logger, type OnModuleInit, Optional } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { ConfigStore } from '@mira/config';
import { FlagsService } from '@mira/flags';
import { Agent } from './agent.decorator';
import { AgentError } from './agent.error';
import type { AgentOptions, MiraAgent, RegisteredAgent } from './agent.interface';

/**
 * Every @Agent provider in the container, with its enabled state read live from config, and the
 * routing table its metadata declares (message type -> agent id).
 */
@Injectable()
export class AgentRegistry implements OnModuleInit {
  private readonly logger = new Logger('AgentRegistry');
  private readonly agents = new Map<string, { options: AgentOptions; instance: MiraAgent }>();
  private readonly routes = new Map<string, string>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly config: ConfigStore,
    @Optional() private readonly flags?: FlagsService,
  ) {}

  onModuleInit(): void {
    // The built-in agents (in AgentsModule, beside this registry) go first, so they keep the
    // DOMAIN.md types whatever order a user's root module imports things in.
    const own = this.discovery.getProviders().find((w) => w.instance === this)?.host;
    const wrappers = this.discovery.getProviders({ metadataKey: Agent.KEY });
    const ordered = [
      ...wrappers.filter((w) => own && w.host === own),
      ...wrappers.filter((w) => !own || w.host !== own),
    ];
    for (const wrapper of ordered) {
      const options = this.discovery.getMetadataByDecorator(Agent, wrapper);
      const instance = wrapper.instance as MiraAgent | undefined;
      if (!options || !instance) continue;
      if (typeof instance.process !== 'function') {
        throw new AgentError(
          'AGENT_INVALID_INPUT',
          `Agent ${options.id} (${wrapper.name}) must implement process(message)`,
        );
      }
      if (this.agents.has(options.id)) {
        throw new AgentError(
          'AGENT_ROUTING_CONFLICT',
          `Two providers declare agent id "${options.id}"; agent ids must be unique`,
        );
      }
      this.agents.set(options.id, { options, instance });
      this.addRoutes(options);
    }
    this.logger.log(`Registered ${this.agents.size} agent(s): ${[...this.agents.keys()].join(', ')}`);
  }

  /**
   * The first agent keeps a type (the built-in agents first, then the others in discovery
   * order); a later one is warned about, not routed to.
   */
  private addRoutes(options: AgentOptions): void {
    for (const type of options.messageTypes) {
      const existing = this.routes.get(type);
      if (existing === undefined) this.routes.set(type, options.id);
      else if (existing !== options.id)
        this.logger.warn(
          `Message type ${type} is routed to ${existing}; ${options.id} also declares it and is ignored for it`,
        );
    }
  }

  /** The id of the agent whose @Agent metadata declares `type` (enabled or not). */
  agentFor(type: string): string | undefined {
    return this.routes.get(type);
  }

  /** The routing table the agents' metadata declares: message type -> agent id. */
  declaredRoutes(): ReadonlyMap<string, string> {
    return this.routes;
  }

  /**
   * The flag `agent.<id>.enabled` when defined (evaluated for the running request or message, so
   * an agent can be on for a fraction or a group), else the older `agents.<id>.enabled` (on).
   */
  isEnabled(id: string, context?: Record<string, string>): boolean {
    const fallback = this.config.get('agents')[id]?.enabled !== false;
    const flag = `agent.${id}.enabled`;
    return this.flags?.isDefined(flag) ? this.flags.isEnabled(flag, fallback, context) : fallback;
  }

  /** The flag `workflow.<type>.enabled` when defined (with workflow_type in the context), else on. */
  isWorkflowEnabled(type: string): boolean {
    const flag = `workflow.${type}.enabled`;
    return this.flags?.isDefined(flag) ? this.flags.isEnabled(flag, true, { workflow_type: type }) : true;
  }

  /** The agent if registered and enabled (`context`: extra flag evaluation fields, e.g. message_type). */
  get(id: string, context?: Record<string, string>): MiraAgent | undefined {
    return this.isEnabled(id, context) ? this.agents.get(id)?.instance : undefined;
  }

  has(id: string): boolean {
    return this.agents.has(id);
  }

  list(): RegisteredAgent[] {
    return [...this.agents.values()].map(({ options, instance }) => ({
      id: options.id,
      messageTypes: options.messageTypes,
      description: options.description,
      schemas: options.schemas ?? {},
      enabled: this.isEnabled(options.id),
      instance,
    }));
  }

  /**
   * Every @Agent's declared contract, read from the providers' metadata: usable before module
   * init (the API document is built then), unlike list().
   */
  declared(): Pick<RegisteredAgent, 'id' | 'messageTypes' | 'description' | 'schemas'>[] {
    return this.discovery
      .getProviders({ metadataKey: Agent.KEY })
      .map((wrapper) => this.discovery.getMetadataByDecorator(Agent, wrapper))
      .filter((o): o is AgentOptions => o !== undefined)
      .map((o) => ({
        id: o.id,
        messageTypes: o.messageTypes,
        description: o.description,
        schemas: o.schemas ?? {},
      }));
  }

  enabledCount(): number {
    return this.list().filter((a) => a.enabled).length;
  }
}
