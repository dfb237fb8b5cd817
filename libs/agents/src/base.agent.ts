import { Logger } from '@nestjs/common';
import type { z } from 'zod';
import { Agent } from './agent.decorator';
import { AgentError } from './agent.error';
import type { AgentMessage, AgentOptions, AgentResponse, MiraAgent } from './agent.interface';
import { errorResponse, successResponse } from './agent.response';

export type AgentHandler = (data: any) => unknown | Promise<unknown>;

/** Formats a zod failure as `field: reason; field: reason` for the envelope's error. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(data)'}: ${i.message}`)
    .join('; ');
}

/** Validates `data` with `schema`, throwing an AgentError that names the failing fields. */
export function parseInput<S extends z.ZodType>(schema: S, data: unknown, type: string): z.output<S> {
  const result = schema.safeParse(data ?? {});
  if (!result.success)
    throw new AgentError('AGENT_INVALID_INPUT', `Invalid data for ${type}: ${describeIssues(result.error)}`);
  return result.data;
}

/**
 * Convenience base: dispatches by message type to `handlers`, wraps results and failures in
 * the envelope. Agents may also implement MiraAgent directly.
 */
export abstract class BaseAgent implements MiraAgent {
  protected readonly logger = new Logger(this.constructor.name);
  protected abstract readonly handlers: Record<string, AgentHandler>;

  get id(): string {
    const meta = Reflect.getMetadata(Agent.KEY, this.constructor) as AgentOptions | undefined;
    return meta?.id ?? this.constructor.name;
  }

  /**
   * Refused input (an unknown type, an AgentError) is an error envelope; anything else thrown is
   * a bug and propagates, so the orchestrator logs it and answers `agent_failed` without detail.
   */
  async process(message: AgentMessage): Promise<AgentResponse> {
    const handler = this.handlers[message.type];
    if (!handler) {
      return errorResponse(this.id, `Agent ${this.id} does not handle message type: ${message.type}`);
    }
    try {
      return successResponse(this.id, await handler.call(this, message.data ?? {}));
    } catch (err) {
      if (err instanceof AgentError) return errorResponse(this.id, err.message);
      throw err;
    }
  }
}
