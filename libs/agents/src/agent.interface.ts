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

/** Metadata of @Agent(): the id and the message types the agent handles. */
export interface AgentOptions {
  id: string;
  messageTypes: readonly string[];
  description?: string;
}

/** The contract: a provider marked with @Agent() that turns a message into an envelope. */
export interface MiraAgent {
  process(message: AgentMessage): Promise<AgentResponse> | AgentResponse;
}

export interface RegisteredAgent {
  id: string;
  messageTypes: readonly string[];
  description?: string;
  enabled: boolean;
  instance: MiraAgent;
}

/** Why a routed message did not succeed; the HTTP layer maps it to a status code. */
export type RouteFailure = 'no_route' | 'agent_not_found' | 'invalid_input' | 'agent_failed';

export interface RoutedResponse<T = unknown> {
  response: AgentResponse<T>;
  failure: RouteFailure | null;
}
