export type AgentErrorCode =
  | 'AGENT_INVALID_INPUT'
  | 'AGENT_UNKNOWN_MESSAGE_TYPE'
  | 'AGENT_ROUTING_CONFLICT'
  /** NODE_ENV=production without governance.audit.key (fatal at start). */
  | 'GOVERNANCE_AUDIT_KEY_MISSING'
  | 'GOVERNANCE_AUDIT_KEY_WEAK';

/** An agent-level problem; its message goes into the envelope's `error`, so it must say what to fix. */
export class AgentError extends Error {
  constructor(
    readonly code: AgentErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'AgentError';
  }
}
