import { Injectable, Module, type Type } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { MESSAGE_BROKER, type MessageBroker } from '@mira/broker';
import { ConfigStore } from '@mira/config';
import { Agent } from '../agent.decorator';
import type { AgentMessage, AgentResponse, MiraAgent } from '../agent.interface';
import { AgentRegistry } from '../agent.registry';
import { errorResponse, successResponse } from '../agent.response';
import { bootAgentsModule } from '../agents.testing';
import { OrchestratorService } from './orchestrator.service';

// Shared by the orchestrator specs (spec helper, not exported from index.ts).

/** An agent declared only here, in a module of the test: nothing in libs/agents knows it. */
@Injectable()
@Agent({ id: 'echo_agent', messageTypes: ['echo', 'generate_plan'], description: 'echoes' })
export class EchoAgent implements MiraAgent {
  readonly seen: AgentMessage[] = [];
  process(message: AgentMessage): AgentResponse {
    this.seen.push(message);
    if (message.data.explode) throw new Error('boom');
    if (message.data.refuse) return errorResponse('echo_agent', 'refuse: not today');
    return successResponse('echo_agent', { echoed: message.data, type: message.type });
  }
}

@Module({ providers: [EchoAgent] })
export class EchoModule {}

export const WEDNESDAY = new Date('2026-11-18T09:00:00.000Z');

export interface Booted {
  ref: TestingModule;
  orchestrator: OrchestratorService;
  broker: MessageBroker;
  store: ConfigStore;
  registry: AgentRegistry;
}

export async function boot(
  options: { overrides?: Record<string, unknown>; imports?: Type[]; importsFirst?: Type[] } = {},
): Promise<Booted> {
  const ref = await bootAgentsModule({ clock: { now: () => new Date(WEDNESDAY) }, ...options });
  return {
    ref,
    orchestrator: ref.get(OrchestratorService),
    broker: ref.get<MessageBroker>(MESSAGE_BROKER),
    store: ref.get(ConfigStore),
    registry: ref.get(AgentRegistry),
  };
}
