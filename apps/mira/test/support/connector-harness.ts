import {
  Sleeper,
  TrackerHttpClient,
  type ProjectSource,
  type SyncCursor,
  type TrackerConnector,
} from '@mira/projects';

/** Virtual time: sleeping advances the clock at once and is recorded, so a one-hour reset takes no time. */
export class VirtualSleeper extends Sleeper {
  readonly slept: number[] = [];
  constructor(public at = Date.parse('2026-12-07T00:00:00Z')) {
    super();
  }
  override now(): number {
    return this.at;
  }
  override async sleep(ms: number): Promise<void> {
    this.slept.push(ms);
    this.at += ms;
  }
}

export function clientFor(
  connector: TrackerConnector,
  sleeper: Sleeper,
  over: Partial<{ timeoutMs: number }> = {},
) {
  return new TrackerHttpClient(
    {
      source: 'test',
      timeoutMs: over.timeoutMs ?? 3_000,
      maxRetries: 2,
      retryBaseMs: 5,
      breakerThreshold: 3,
      breakerHalfOpenMs: 60_000,
      maxRateLimitWaitMs: 3_600_000,
      readRateLimit: connector.rateLimit,
    },
    sleeper,
  );
}

export function syncOnce(
  connector: TrackerConnector,
  http: TrackerHttpClient,
  source: ProjectSource,
  credentials: Record<string, unknown>,
  cursor: SyncCursor | null = null,
  statusMap:
    Record<string, never> | Record<string, 'not_started' | 'in_progress' | 'completed' | 'blocked'> = {},
) {
  return connector.sync({ source, cursor, http, credentials, statusMap });
}
