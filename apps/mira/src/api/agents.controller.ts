import { Controller, Get } from '@nestjs/common';
import { AgentRegistry } from '@mira/agents';

export interface AgentView {
  id: string;
  message_types: readonly string[];
  enabled: boolean;
  description: string | null;
}

@Controller('api/v1/agents')
export class AgentsController {
  constructor(private readonly registry: AgentRegistry) {}

  @Get()
  list(): { agents: AgentView[] } {
    return {
      agents: this.registry.list().map((a) => ({
        id: a.id,
        message_types: a.messageTypes,
        enabled: a.enabled,
        description: a.description ?? null,
      })),
    };
  }
}
