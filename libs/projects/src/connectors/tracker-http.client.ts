import {
  BrokenCircuitError,
  CircuitState,
  ConsecutiveBreaker,
  type CircuitBreakerPolicy,
  ExponentialBackoff,
  circuitBreaker,
  handleWhen,
  retry,
  wrap,
  type IPolicy,
} from 'cockatiel';
import { ProjectsError } from '../projects.error';
import type { Sleeper } from './sleeper';

/** What a tracker says about its rate limit on one answer. Times are epoch milliseconds. */
export interface RateLimitInfo {
  remaining: number | null;
  resetAt: number | null;
  retryAfterMs: number | null;
  /** This answer refused the call because of the limit (429, or GitHub's 403 with remaining 0). */
  limited: boolean;
}

export interface TrackerHttpOptions {
  /** Connector kind, for error messages and metrics (never a URL with credentials). */
  source: string;
  timeoutMs: number;
  /** Retries after the first attempt for 5xx and timeouts. */
  maxRetries: number;
  retryBaseMs: number;
  breakerThreshold: number;
  breakerHalfOpenMs: number;
  /** Longest wait for a rate-limit reset; past it the sync fails with CONNECTOR_RATE_LIMITED. */
  maxRateLimitWaitMs: number;
  readRateLimit(status: number, headers: Headers, now: number): RateLimitInfo;
}

export interface HttpResult<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

export interface HttpStats {
  requests: number;
  not_modified: number;
  rate_limit_waits: number;
  waited_ms: number;
  remaining: number | null;
}

const retryable = (err: unknown) =>
  err instanceof ProjectsError &&
  (err.code === 'CONNECTOR_TIMEOUT' || (err.code === 'CONNECTOR_HTTP' && (err.status ?? 0) >= 500));

/**
 * A thin fetch client shared by the connectors: a timeout per attempt, cockatiel retries with
 * jittered exponential backoff for 5xx and timeouts, one circuit breaker per connector, and rate
 * limits honoured by waiting for the announced reset (also before the next call when the last
 * answer said none are left), so a sync never hammers a tracker.
 */
export class TrackerHttpClient {
  private readonly policy: IPolicy;
  private readonly breaker: CircuitBreakerPolicy;
  private blockedUntil = 0;
  readonly stats: HttpStats = {
    requests: 0,
    not_modified: 0,
    rate_limit_waits: 0,
    waited_ms: 0,
    remaining: null,
  };

  constructor(
    private readonly options: TrackerHttpOptions,
    private readonly sleeper: Sleeper,
  ) {
    const retries = retry(handleWhen(retryable), {
      maxAttempts: options.maxRetries,
      // Default generator: decorrelated jitter.
      backoff: new ExponentialBackoff({
        initialDelay: options.retryBaseMs,
        maxDelay: options.retryBaseMs * 32,
      }),
    });
    const breaker = (this.breaker = circuitBreaker(handleWhen(retryable), {
      halfOpenAfter: options.breakerHalfOpenMs,
      breaker: new ConsecutiveBreaker(options.breakerThreshold),
    }));
    this.policy = wrap(breaker, retries);
  }

  get circuitOpen(): boolean {
    return this.breaker.state === CircuitState.Open;
  }

  async request<T = unknown>(url: string, init: RequestInit = {}): Promise<HttpResult<T>> {
    try {
      return (await this.policy.execute(() => this.attempt<T>(url, init))) as HttpResult<T>;
    } catch (err) {
      if (err instanceof BrokenCircuitError) {
        throw new ProjectsError(
          'CONNECTOR_CIRCUIT_OPEN',
          `${this.options.source}: too many failed calls in a row; calls pause for ${this.options.breakerHalfOpenMs} ms (check the tracker's status)`,
        );
      }
      throw err;
    }
  }

  private async attempt<T>(url: string, init: RequestInit): Promise<HttpResult<T>> {
    for (let waits = 0; ; waits++) {
      await this.waitForReset();
      this.stats.requests++;
      let res: Response;
      try {
        res = await fetch(url, { ...init, signal: AbortSignal.timeout(this.options.timeoutMs) });
      } catch (err) {
        const name = (err as Error).name;
        if (name === 'TimeoutError' || name === 'AbortError')
          throw new ProjectsError(
            'CONNECTOR_TIMEOUT',
            `${this.options.source}: no answer within ${this.options.timeoutMs} ms (raise timeout_ms or check the tracker)`,
          );
        throw new ProjectsError(
          'CONNECTOR_HTTP',
          `${this.options.source}: cannot reach the tracker (${(err as Error).message}); check base_url`,
          599,
        );
      }
      const now = this.sleeper.now();
      const info = this.options.readRateLimit(res.status, res.headers, now);
      if (info.remaining !== null) this.stats.remaining = info.remaining;
      if (info.limited && waits < 3) {
        await res.body?.cancel();
        const until = info.retryAfterMs !== null ? now + info.retryAfterMs : (info.resetAt ?? now + 60_000);
        this.blockedUntil = Math.max(this.blockedUntil, until);
        continue;
      }
      if (info.remaining === 0 && info.resetAt !== null)
        this.blockedUntil = Math.max(this.blockedUntil, info.resetAt);
      if (res.status === 304) {
        await res.body?.cancel();
        this.stats.not_modified++;
        return { status: 304, headers: res.headers, body: null as T };
      }
      const text = await res.text();
      if (res.status >= 400) {
        throw new ProjectsError(
          info.limited ? 'CONNECTOR_RATE_LIMITED' : 'CONNECTOR_HTTP',
          `${this.options.source}: the tracker answered ${res.status}${hint(res.status)}`,
          res.status,
        );
      }
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        // not JSON: the connector sees the text
      }
      return { status: res.status, headers: res.headers, body: body as T };
    }
  }

  private async waitForReset(): Promise<void> {
    const wait = this.blockedUntil - this.sleeper.now();
    if (wait <= 0) return;
    if (wait > this.options.maxRateLimitWaitMs) {
      throw new ProjectsError(
        'CONNECTOR_RATE_LIMITED',
        `${this.options.source}: rate limit exhausted until ${new Date(this.blockedUntil).toISOString()}; the next sync after that will continue`,
      );
    }
    this.stats.rate_limit_waits++;
    this.stats.waited_ms += wait;
    await this.sleeper.sleep(wait);
  }
}

function hint(status: number): string {
  if (status === 401) return ' (the credential is missing or wrong: check the integrations.<name> secret)';
  if (status === 403) return ' (the credential lacks access to this resource)';
  if (status === 404) return ' (check the source: repository, board or base_url)';
  if (status === 410) return ' (the resource is gone)';
  return '';
}

/**
 * A server-given URL (a paging link) resolved against the page it came from, refused unless it is
 * on the origin of `base` (the configured base_url): the credential goes along with it.
 */
export function sameOriginUrl(link: string, current: string, base: string, source: string): string {
  let resolved: URL;
  try {
    resolved = new URL(link, current);
  } catch {
    throw new ProjectsError('CONNECTOR_HTTP', `${source}: the tracker sent an invalid next-page link`);
  }
  if (resolved.origin !== new URL(base).origin)
    throw new ProjectsError(
      'CONNECTOR_HTTP',
      `${source}: the tracker's next-page link points to another origin (${resolved.origin}, base_url is ${new URL(base).origin}); not followed, so the credential stays with base_url`,
    );
  return resolved.toString();
}

/** `<url>; rel="next"` out of an RFC 8288 Link header (GitHub's paging). */
export function nextLink(link: string | null): string | null {
  if (!link) return null;
  for (const part of link.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?([^";]+)"?/.exec(part.trim());
    if (m && m[2].split(/\s+/).includes('next')) return m[1];
  }
  return null;
}
