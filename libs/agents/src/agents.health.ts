import { Injectable } from '@nestjs/common';
import { HealthIndicatorProvider, type HealthContributor, type HealthIndicatorResult } from '@mira/health';
import { AgentRegistry } from './agent.registry';

/** `agents`: unhealthy when no agent is enabled, degraded when some are switched off. */
@Injectable()
@HealthIndicatorProvider({ name: 'agents' })
export class AgentsHealthIndicator implements HealthContributor {
  constructor(private readonly registry: AgentRegistry) {}

  check(): HealthIndicatorResult {
    const agents = this.registry.list();
    const enabled = agents.filter((a) => a.enabled).map((a) => a.id);
    const disabled = agents.filter((a) => !a.enabled).map((a) => a.id);
    return {
      status: enabled.length === 0 ? 'unhealthy' : 'healthy',
      reason: enabled.length === 0 ? 'no agent is enabled' : null,
      enabled,
      disabled,
    };
  }
}

/** `agent_count`: the number of enabled agents, a plain figure. */
@Injectable()
@HealthIndicatorProvider({ name: 'agent_count', readiness: false })
export class AgentCountHealthIndicator implements HealthContributor {
  constructor(private readonly registry: AgentRegistry) {}

  check(): number {
    return this.registry.enabledCount();
  }
}
