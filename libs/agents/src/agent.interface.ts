import type { z } from 'zod';

export type AgentStatus = 'success' | 'error' | 'pending';

/** What clients send: `{ type, data }`. */
export interface AgentMessage<T = Record<string, unknown>> {
  type: string;
  data: T;
}

/** The envelope every agent answers with (snake_case on the wire). */
export interface AgentResponse<T = unknown> {
  agent_id: string;
  timestamp: string;
  status: AgentStatus;
  data: T | null;
  error: string | null;
}

/**
 * The contract of one message type, contributed by the agent that handles it: the API document
 * (OpenAPI) is built from these, so an agent added by a module appears there with its schemas.
 */
export interface AgentMessageSchema {
  /** Validates `data` (use the same schema in the handler), exported as the request's JSON Schema. */
  input: z.ZodType;
  /** The success envelope's `data`; absent means any JSON object. */
  output?: z.ZodType;
  /** A `data` that succeeds as given: the document's example for this type. */
  example?: Record<string, unknown>;
  summary?: string;
}

/** Metadata of @Agent(): the id, the message types the agent handles and their schemas. */
export interface AgentOptions {
  id: string;
  messageTypes: readonly string[];
  description?: string;
  /** Per message type (keys from messageTypes); types without one are documented as free-form. */
  schemas?: Readonly<Record<string, AgentMessageSchema>>;
}

/**
 * The contract: a provider marked with @Agent() that turns a message into an envelope. Answer an
 * error envelope for input you refuse (its `error` says what to fix); a throw is a bug.
 */
export interface MiraAgent {
  process(message: AgentMessage): Promise<AgentResponse> | AgentResponse;
}

export interface RegisteredAgent {
  id: string;
  messageTypes: readonly string[];
  description?: string;
  schemas: Readonly<Record<string, AgentMessageSchema>>;
  enabled: boolean;
  instance: MiraAgent;
}

/**
 * Why a routed message did not succeed; the HTTP layer maps each to a status code. An agent
 * answering an error envelope refused its input (`invalid_input`); an agent that throws has a bug
 * (`agent_failed`, the client sees no detail of it).
 */
export type RouteFailureCode = 'no_route' | 'agent_not_found' | 'invalid_input' | 'agent_failed';

/** What routing a message gives: the envelope to answer with and, on failure, why. */
export type RouteResult<T = unknown> =
  | { ok: true; response: AgentResponse<T> }
  | { ok: false; code: RouteFailureCode; message: string; response: AgentResponse<never> };
