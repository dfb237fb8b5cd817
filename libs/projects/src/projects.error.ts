export type ProjectsErrorCode =
  | 'PROJECTS_INVALID'
  | 'PROJECTS_NOT_FOUND'
  | 'PROJECTS_DUPLICATE'
  | 'CONNECTOR_NOT_CONFIGURED'
  | 'CONNECTOR_UNKNOWN'
  | 'CONNECTOR_HTTP'
  | 'CONNECTOR_TIMEOUT'
  | 'CONNECTOR_RATE_LIMITED'
  | 'CONNECTOR_CIRCUIT_OPEN';

/** Errors of @mira/projects; the message says how to fix it and never carries a credential. */
export class ProjectsError extends Error {
  constructor(
    readonly code: ProjectsErrorCode,
    message: string,
    /** HTTP status answered by the tracker, when there was one. */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ProjectsError';
  }
}
