/** Exit codes by failure class, so scripts can tell "fix your request" from "the service is down". */
export const EXIT = {
  ok: 0,
  /** The check ran and failed (audit chain broken, service unhealthy). */
  checkFailed: 1,
  /** Bad usage: unknown command or option (commander's own). */
  usage: 2,
  /** The service could not be reached (connection refused, DNS, timeout). */
  unreachable: 3,
  /** 401 or 403: the key is missing, wrong, or lacks the role. */
  denied: 4,
  /** 404: no such workflow (or route). */
  notFound: 5,
  /** Another 4xx: the request was refused as invalid or conflicting. */
  refused: 6,
  /** 5xx: the service failed. */
  serverError: 7,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
