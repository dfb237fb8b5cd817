/** The ambient context every log line carries (snake_case, as written to the log). */
export interface CorrelationContext {
  readonly correlation_id: string;
  readonly agent_id?: string;
  readonly task_id?: string;
  readonly workflow_id?: string;
  /** The authenticated caller's name (an API key's name, never the key). */
  readonly actor?: string;
  /** The caller's roles, comma-separated (flag targeting on the broker path); not logged. */
  readonly actor_roles?: string;
}

/** Fields that may be added for a nested piece of work (an agent call, a workflow, a task). */
export type CorrelationFields = Partial<Omit<CorrelationContext, 'correlation_id'>>;
