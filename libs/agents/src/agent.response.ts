import type { AgentResponse } from './agent.interface';

export function successResponse<T>(agentId: string, data: T, now = new Date()): AgentResponse<T> {
  return { agent_id: agentId, timestamp: now.toISOString(), status: 'success', data, error: null };
}

export function errorResponse(agentId: string, error: string, now = new Date()): AgentResponse<never> {
  return { agent_id: agentId, timestamp: now.toISOString(), status: 'error', data: null, error };
}
