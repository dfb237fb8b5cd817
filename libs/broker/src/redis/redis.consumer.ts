import { quitRedisClient } from '@mira/redis';
import type { Redis as RedisClient } from 'ioredis';
import { callHandler, isThenable, type TransportSubscription } from '../broker.message';
import type { MessageHandler } from '../broker.interface';
import {
  decodeEntry,
  DecodeFailure,
  errorText,
  messageId,
  streamsReply,
  type StreamEntries,
} from './redis.codec';
import {
  ensureGroups,
  retireConsumer,
  type RedisConsumerDeps,
  type RedisConsumerSpec,
} from './redis.consumer-group';
import type { Delivery, DeliveryOwner, HeldEntry } from './redis.delivery';
import { isOutageError, JitteredBackoff, outageSource, wakeable, Waiters, within } from './redis.policies';
import type { RedisRuntime } from './redis.runtime';

/**
 * One subscription: one consumer of one group across the streams of its types. Reads with
 * XREADGROUP on a reader of its own, runs the handler, acks only after it succeeded, retries with
 * backoff, then dead-letters; holds every read entry until it is acked or dead-lettered.
 */
export class RedisConsumer implements DeliveryOwner {
  readonly sub: TransportSubscription;
  readonly name: string;
  readonly group: string;
  readonly ephemeral: boolean;
  readonly streams: string[];
  /** Message type of each stream key. */
  readonly typeOf: Map<string, string>;
  /** Entries read and not yet acked or dead-lettered, by heldKey(). */
  readonly held = new Map<string, HeldEntry>();
  /** XAUTOCLAIM scan position per stream: a long pending list is walked across ticks, not rescanned. */
  readonly cursors = new Map<string, string>();
  /** Handler runs in progress. */
  running = 0;
  private readonly handler: MessageHandler<any>;
  private readonly readerRole: string;
  private active = false;
  private reader: RedisClient | null = null;
  private readerId: number | null = null;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private readonly idle = new Waiters();
  private readonly rt: RedisRuntime;
  /** Read failures, handler attempts, and runs that failed while Redis was unreachable. */
  private readonly readBackoff: JitteredBackoff;
  private readonly attemptBackoff: JitteredBackoff;
  private readonly outageBackoff: JitteredBackoff;

  constructor(
    private readonly deps: RedisConsumerDeps,
    spec: RedisConsumerSpec,
  ) {
    this.rt = deps.runtime;
    this.sub = spec.sub;
    this.handler = spec.handler;
    this.readerRole = spec.readerRole;
    this.name = spec.name;
    this.group = spec.group;
    this.ephemeral = spec.ephemeral;
    this.streams = [...spec.streams.values()];
    this.typeOf = new Map([...spec.streams].map(([type, stream]) => [stream, type]));
    const o = this.rt.options;
    this.readBackoff = new JitteredBackoff(50, o.reconnectMaxDelayMs);
    this.attemptBackoff = new JitteredBackoff(o.retryBaseMs, o.retryMaxMs);
    this.outageBackoff = new JitteredBackoff(Math.max(50, o.retryBaseMs), o.reconnectMaxDelayMs);
  }

  /** True between startReading() and stopReading(): it takes new entries. */
  get reading(): boolean {
    return this.active;
  }

  /** Key of a held entry: the entry id alone when the consumer reads one stream (the usual case). */
  heldKey(stream: string, entryId: string): string {
    return this.streams.length === 1 ? entryId : `${stream} ${entryId}`;
  }

  /** See ensureGroups() in redis.consumer-group.ts. */
  ensureGroups(from: '$' | '0' = '$'): Promise<void> {
    return ensureGroups(this.deps.connection, this.streams, this.group, from, this.rt);
  }

  startReading(): void {
    if (this.active || this.rt.lifecycle.stopped || !this.deps.connection.client) return;
    this.active = true;
    this.loop = this.readLoop().catch((err: unknown) =>
      this.rt.log.error(`Read loop of group ${this.group} ended: ${errorText(err)}`),
    );
  }

  async stopReading(): Promise<void> {
    if (!this.active) return;
    this.active = false;
    this.wakeUp();
    // Wake the blocked XREADGROUP now instead of after block_ms.
    if (this.readerId !== null) await this.deps.connection.unblock(this.readerId);
    const bound = this.rt.options.blockMs + this.rt.options.commandTimeoutMs;
    await within(bound, this.loop);
    const reader = this.reader;
    this.reader = null;
    if (reader) await quitRedisClient(reader);
  }

  /** Cancels scheduled retries (drain, stop): those entries stay pending for another replica. */
  abandonRetries(): void {
    for (const d of this.held.values()) {
      if (d.retryTimer) {
        clearTimeout(d.retryTimer);
        d.retryTimer = null;
      }
    }
  }

  /** Deletes the consumer when it holds nothing (never with pending entries); ephemeral groups go entirely. */
  retire(): Promise<void> {
    return retireConsumer(this.rt, this.deps.connection, this);
  }

  /** Resolves when no handler runs any more, or after `timeoutMs`. */
  waitIdle(timeoutMs: number): Promise<void> {
    return this.running === 0 ? Promise.resolve() : this.idle.wait(timeoutMs);
  }

  /**
   * Takes entries read or reclaimed from `stream`: runs the handler on each, or dead-letters it
   * when it cannot be decoded or its attempts (a number, or Redis' delivery count per id) are spent.
   */
  accept(stream: string, entries: StreamEntries, attempts: number | Map<string, number>): void {
    const o = this.rt.options;
    const type = this.typeOf.get(stream) ?? stream.slice(o.streamPrefix.length);
    for (const [entryId, fields] of entries) {
      const key = this.heldKey(stream, entryId);
      if (this.held.has(key)) continue; // ours already (a reclaim of our own slow entry)
      const n = typeof attempts === 'number' ? attempts : (attempts.get(entryId) ?? 1);
      if (!fields) {
        // Trimmed away while pending: nothing left to deliver; drop it from the group's list.
        this.rt.counters.trimmed++;
        this.deps.acks.ack(stream, this.group, entryId, null);
        continue;
      }
      const decoded = decodeEntry(type, entryId, fields);
      if (decoded instanceof DecodeFailure) {
        const d: HeldEntry = { consumer: this, key, stream, entryId, type, attempts: n, retryTimer: null };
        this.held.set(key, d);
        void this.deps.deadLetters.move(d, decoded.error, {
          raw: decoded.raw,
          headers: decoded.headers,
          id: messageId(type, entryId),
          ts: '',
        });
        continue;
      }
      const d: Delivery = {
        consumer: this,
        key,
        stream,
        entryId,
        type,
        message: decoded,
        attempts: n,
        retryTimer: null,
      };
      this.held.set(key, d);
      if (n > o.maxAttempts) {
        void this.deps.deadLetters.move(
          d,
          `delivered ${n - 1} time(s) without being acknowledged (its consumer died or timed out)`,
        );
        continue;
      }
      this.invoke(d);
    }
  }

  /** Forgets an entry that was acked or dead-lettered, freeing its slot. */
  release(d: HeldEntry): void {
    if (this.held.get(d.key) === d) this.held.delete(d.key);
    this.wakeUp();
    if (this.running === 0) this.idle.notify();
  }

  private async readLoop(): Promise<void> {
    const o = this.rt.options;
    let failures = 0;
    let reader: RedisClient | null = null;
    while (!reader) {
      try {
        reader = await this.deps.connection.reader(this.readerRole, `reader of group ${this.group}`);
      } catch (err) {
        // Only a client factory (createClient) can fail here; keep trying while subscribed.
        if (!this.active) return;
        this.rt.log.warnOnce(
          `Could not create the reader of group ${this.group}: ${errorText(err)}; retrying with backoff`,
        );
        await this.pause(this.readBackoff.delay(++failures));
        if (!this.active) return;
      }
    }
    reader.on('close', () => (this.readerId = null));
    if (!this.active) return void (await quitRedisClient(reader));
    this.reader = reader;
    failures = 0;
    let groupsReady = true;
    const ids = this.streams.map(() => '>');
    while (this.active) {
      const room = o.maxInFlight - this.held.size;
      if (room <= 0) {
        await this.pause(o.blockMs);
        continue;
      }
      try {
        if (reader.status !== 'ready') {
          await this.waitReady(reader);
          continue;
        }
        if (!groupsReady) {
          await this.ensureGroups('0');
          groupsReady = true;
          this.rt.log.warn(
            `Consumer group ${this.group} was missing (Redis lost its data?); recreated from the start of its streams`,
          );
        }
        if (this.readerId === null) this.readerId = Number(await reader.call('CLIENT', 'ID'));
        if (!this.active) break;
        const reply = await reader.call(
          'XREADGROUP',
          'GROUP',
          this.group,
          this.name,
          'COUNT',
          Math.min(o.batchSize, room),
          'BLOCK',
          o.blockMs,
          'STREAMS',
          ...this.streams,
          ...ids,
        );
        failures = 0;
        // Entries read after a drain began are ours already: handle them rather than strand them.
        for (const [stream, entries] of streamsReply(reply)) this.accept(stream, entries, 1);
      } catch (err) {
        if (!this.active) break;
        const text = errorText(err);
        // The stream or group vanished (Redis restarted without persistence, FLUSHALL): recreate.
        if (text.includes('NOGROUP')) groupsReady = false;
        else this.rt.log.warnOnce(`Reading group ${this.group} failed: ${text}; retrying with backoff`);
        // A pause rather than a cockatiel retry around the read: stopReading must be able to cut
        // the wait short, and cockatiel's retry delay cannot be interrupted.
        await this.pause(this.readBackoff.delay(++failures));
      }
    }
  }

  private invoke(d: Delivery): void {
    const started = this.rt.observers.length ? performance.now() : 0;
    for (const ob of this.rt.observers) ob.onProcessing?.(d.message, this.group);
    this.running++;
    this.rt.counters.in_flight++;
    let result: unknown;
    try {
      result = callHandler(this.handler, d.message, this.rt.options.propagator, 'redis');
    } catch (err) {
      this.settle(d, started, err, true);
      return;
    }
    if (isThenable(result)) {
      result.then(
        () => this.settle(d, started),
        (err: unknown) => this.settle(d, started, err, true),
      );
    } else {
      this.settle(d, started);
    }
  }

  private settle(d: Delivery, started: number, err?: unknown, failed = false): void {
    const { counters, observers, options: o, log } = this.rt;
    this.running--;
    counters.in_flight--;
    if (!failed) {
      counters.delivered++;
      for (const ob of observers) ob.onDelivered?.(d.type, this.group, performance.now() - started);
      if (this.rt.lifecycle.stopped) {
        // Stopped while the handler ran: no connection to ack on; the entry stays pending and
        // another replica reclaims it after the visibility timeout (at-least-once).
        this.release(d);
      } else {
        this.deps.acks.ack(d.stream, this.group, d.entryId, d);
      }
      if (this.running === 0) this.idle.notify();
      return;
    }
    if (this.isOutage(err)) {
      // The handler failed because Redis is unreachable (its own publish or ack could not land):
      // not the message's fault, so not an attempt. Retried once Redis answers again.
      d.outage = (d.outage ?? 0) + 1;
      if (this.active) {
        d.retryTimer = setTimeout(() => void this.retry(d), this.outageBackoff.delay(d.outage));
      }
      // Name the server that is gone: a handler failing on the state store is not a Redis outage.
      const source = this.deps.connection.ready ? outageSource(err) : 'Redis';
      log.warnOnce(
        `Handler of group ${this.group} could not finish while ${source} is unreachable (${errorText(err, 200)}); retrying without counting an attempt`,
      );
      if (this.running === 0) this.idle.notify();
      return;
    }
    d.outage = 0;
    counters.failed++;
    for (const ob of observers) ob.onFailed?.(d.type, this.group, err);
    // Only the error's message: message data may hold anything and is never logged.
    log.warn(
      `Handler of group ${this.group} failed for message ${d.message.id} (${d.type}), attempt ${d.attempts}/${o.maxAttempts}: ${errorText(err, 500)}`,
    );
    if (d.attempts >= o.maxAttempts) {
      void this.deps.deadLetters.move(d, errorText(err));
    } else if (this.active) {
      counters.retried++;
      // A timer per entry, not a cockatiel retry around the handler: drain cancels it and leaves the
      // entry pending for another replica, and the attempt count lives in Redis (RETRYCOUNT), so
      // a replica that reclaims the entry carries on counting where this one stopped.
      d.retryTimer = setTimeout(() => void this.retry(d), this.attemptBackoff.delay(d.attempts));
    }
    // Not reading any more (draining): the message stays pending for another replica to reclaim.
    if (this.running === 0) this.idle.notify();
  }

  private async retry(d: Delivery): Promise<void> {
    d.retryTimer = null;
    if (!this.active) return;
    if (d.outage) {
      // Wait for Redis rather than burn a run that would fail the same way.
      if (!this.deps.connection.ready) {
        d.outage++;
        d.retryTimer = setTimeout(() => void this.retry(d), this.outageBackoff.delay(d.outage));
        return;
      }
    } else {
      d.attempts++;
      for (const ob of this.rt.observers) ob.onRetried?.(d.type, this.group, d.attempts);
    }
    try {
      // Records the attempt in Redis (RETRYCOUNT) so a replica reclaiming it later counts it too;
      // an empty answer means the entry is no longer pending (trimmed and deleted): drop it.
      const claimed = (await this.deps.connection
        .require()
        .xclaim(
          d.stream,
          this.group,
          this.name,
          0,
          d.entryId,
          'RETRYCOUNT',
          d.attempts,
          'JUSTID',
        )) as string[];
      if (claimed.length === 0) {
        this.rt.counters.trimmed++;
        return this.release(d);
      }
    } catch {
      // Redis unreachable: run the attempt anyway; its ack is re-sent until Redis is back.
    }
    if (this.active) this.invoke(d);
  }

  /** True when a handler's failure comes from Redis being unreachable rather than from the message. */
  private isOutage(err: unknown): boolean {
    return !this.deps.connection.ready || isOutageError(err);
  }

  private wakeUp(): void {
    if (this.wake) {
      const w = this.wake;
      this.wake = null;
      w();
    }
  }

  /** Sleeps up to `ms`, woken early by a freed slot or by stopReading. */
  private pause(ms: number): Promise<void> {
    const { done, ended } = wakeable(ms);
    this.wake = done;
    return ended;
  }

  /** Until the reader is ready again (or at most reconnect_max_delay_ms), woken by stopReading. */
  private waitReady(client: RedisClient): Promise<void> {
    const { done, ended } = wakeable(this.rt.options.reconnectMaxDelayMs, client);
    this.wake = done;
    return ended;
  }
}
