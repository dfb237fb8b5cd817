import { Logger } from '@nestjs/common';
import type { RedisBrokerObserver, RedisTransportOptions } from './redis.interface';

/** The transport's counters; every collaborator adds to the same object (read by stats()). */
export interface RedisCounters {
  published: number;
  delivered: number;
  failed: number;
  in_flight: number;
  dropped: number;
  acked: number;
  retried: number;
  reclaimed: number;
  dead_lettered: number;
  trimmed: number;
}

export function newCounters(): RedisCounters {
  return {
    published: 0,
    delivered: 0,
    failed: 0,
    in_flight: 0,
    dropped: 0,
    acked: 0,
    retried: 0,
    reclaimed: 0,
    dead_lettered: 0,
    trimmed: 0,
  };
}

/** The transport's logger with a throttle: an outage must not flood the log. */
export class RedisLog {
  private readonly logger = new Logger('RedisBroker');
  private readonly warned = new Map<string, number>();

  log(text: string): void {
    this.logger.log(text);
  }
  warn(text: string): void {
    this.logger.warn(text);
  }
  error(text: string): void {
    this.logger.error(text);
  }

  /** At most one line per kind of failure every 10 s. */
  warnOnce(text: string): void {
    const key = text.slice(0, 30);
    const now = Date.now();
    if (now - (this.warned.get(key) ?? 0) < 10_000) return;
    this.warned.set(key, now);
    this.logger.warn(text);
  }
}

/** Where the transport is in its life; `stopped` is final. */
export interface RedisLifecycle {
  started: boolean;
  stopped: boolean;
  accepting: boolean;
}

/** What the transport's collaborators share: options, counters, observers, log and lifecycle. */
export interface RedisRuntime {
  readonly options: RedisTransportOptions;
  readonly counters: RedisCounters;
  readonly observers: readonly RedisBrokerObserver[];
  readonly log: RedisLog;
  readonly lifecycle: RedisLifecycle;
}

export function newRuntime(options: RedisTransportOptions): RedisRuntime {
  return {
    options,
    counters: newCounters(),
    observers: (options.observers ?? []) as RedisBrokerObserver[],
    log: new RedisLog(),
    lifecycle: { started: false, stopped: false, accepting: true },
  };
}
