import { Logger } from '@nestjs/common';
import type { Redis as RedisClient, RedisOptions } from 'ioredis';
import { callHandler, isThenable, TransportSubscription } from '../broker.message';
import { endPublishSpan, startPublishSpan } from '../broker.tracing';
import { BrokerError } from '../broker.error';
import type {
  BrokerHealth,
  BrokerHealthStatus,
  DrainResult,
  MessageBroker,
  MessageHandler,
  PublishOptions,
  SubscribeOptions,
  Subscription,
} from '../broker.interface';
import { AckBatcher } from './redis-ack.batcher';
import {
  decodeEntry,
  DecodeFailure,
  encodeEntry,
  errorText,
  messageId,
  pairs,
  streamsReply,
  type RedisMessage,
  type StreamEntries,
} from './redis.codec';
import { RedisIdempotencyStore } from './redis.idempotency';
import type {
  DeadLetter,
  RedisBrokerObserver,
  RedisBrokerStats,
  RedisGroupInfo,
  RedisTransportOptions,
} from './redis.interface';
import { backoffDelay, defaultConsumerName, redactUrl } from './redis.options';

const DEAD_LETTER_TYPE = 'dead-letter';
/** Idempotency keys of publishes live apart from webhook delivery ids. */
const PUBLISH_KEY_SPACE = 'publish:';

// XADD at most once per idempotency key, atomically: a repeat answers the first entry id.
const PUBLISH_ONCE = `
local seen = redis.call('GET', KEYS[2])
if seen then return seen end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, 3))
redis.call('SET', KEYS[2], id, 'PX', ARGV[2])
return id
`;
/** Claimed entries larger than this many ids per XCLAIM are split (keeps command size sane). */
const CLAIM_CHUNK = 500;

/** A read (or reclaimed) entry that is ours until acknowledged or dead-lettered. */
interface Delivery {
  consumer: Consumer;
  key: string;
  stream: string;
  entryId: string;
  type: string;
  message: RedisMessage;
  /** Handler runs so far including the current one (Redis' delivery counter follows it). */
  attempts: number;
  /** The last run failed while Redis was unreachable: its retry is not counted as an attempt. */
  outage?: number;
  retryTimer: NodeJS.Timeout | null;
}

/** One subscription: one consumer of one group across the streams of its types. */
interface Consumer {
  sub: TransportSubscription;
  handler: MessageHandler<any>;
  group: string;
  /** A subscription without a group gets a group of its own, removed when it ends. */
  ephemeral: boolean;
  name: string;
  streams: string[];
  typeOf: Map<string, string>;
  reader: RedisClient | null;
  readerId: number | null;
  reading: boolean;
  loop: Promise<void> | null;
  held: Map<string, Delivery>;
  running: number;
  wake: (() => void) | null;
  idle: (() => void)[];
  /** XAUTOCLAIM scan position per stream: a long pending list is walked across ticks, not rescanned. */
  cursors: Map<string, string>;
}

/**
 * Redis Streams transport: one stream per message type, one consumer group per subscription
 * group (fan-out across groups, competing consumers within one, across processes), acks only
 * after the handler succeeded, retries with backoff then dead-letters, reclaims entries of dead
 * consumers after the visibility timeout and keeps extending the claim of slow handlers.
 * ioredis is loaded in start(), so the core never pays for it.
 */
/** Error replies of a Redis that is starting, busy, full or read-only for now. */
const TRANSIENT_REPLY = /^(LOADING|BUSY|OOM|READONLY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|NOREPLICAS)\b/;

export class RedisTransport implements MessageBroker {
  readonly transport = 'redis';
  readonly consumerName: string;
  readonly idempotency: RedisIdempotencyStore;
  private readonly logger = new Logger('RedisBroker');
  private readonly observers: RedisBrokerObserver[];
  private readonly consumers = new Map<string, Consumer>();
  private readonly acks: AckBatcher<Delivery | null>;
  private Redis: typeof RedisClient | null = null;
  private commands: RedisClient | null = null;
  private started = false;
  private stopped = false;
  private accepting = true;
  private subSeq = 0;
  private timers: NodeJS.Timeout[] = [];
  private readonly warned = new Map<string, number>();
  private lastPoll = 0;
  private groupInfo: RedisGroupInfo[] = [];
  /** `<stream> <group>` of our groups found missing at the last poll (Redis lost its data). */
  private missingGroups: string[] = [];
  private readonly counters = {
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

  constructor(private readonly options: RedisTransportOptions) {
    this.consumerName = options.consumerName ?? defaultConsumerName();
    this.observers = (options.observers ?? []) as RedisBrokerObserver[];
    this.idempotency = new RedisIdempotencyStore(() => this.commands, `${options.streamPrefix}idempotency:`);
    this.acks = new AckBatcher({
      // async: after stop() client() throws, and the batcher flushes from setImmediate, where a
      // synchronous throw would be an uncaught exception; a rejection is retried or given up.
      send: async (stream, group, ids) => this.client().xack(stream, group, ...ids),
      // Keep re-sending while running: an unacked entry would be redelivered after the visibility timeout.
      retryDelay: (n) =>
        this.stopped ? null : backoffDelay(n, 50, Math.min(this.options.reconnectMaxDelayMs, 2000)),
      onError: (err, count) => this.warnOnce(`Could not acknowledge ${count} message(s): ${errorText(err)}`),
      done: (d, acked) => {
        if (d === null) return; // an entry trimmed away while pending: nothing was held
        if (acked) this.counters.acked++;
        this.release(d.consumer, d);
      },
    });
  }

  /** The stream key of a message type. */
  streamOf(type: string): string {
    return this.options.streamPrefix + type;
  }

  get deadLetterStream(): string {
    return this.options.streamPrefix + DEAD_LETTER_TYPE;
  }

  async start(): Promise<void> {
    if (this.started) return;
    if (this.stopped)
      throw new BrokerError('BROKER_STOPPED', 'The Redis transport was stopped; create a new one to restart');
    const mod = await import('ioredis');
    this.Redis = (mod.Redis ??
      (mod as unknown as { default: typeof RedisClient }).default) as typeof RedisClient;
    const client = new this.Redis(this.options.url, this.connectionOptions('cmd'));
    this.watch(client, 'command');
    try {
      await client.connect();
      await client.ping();
    } catch (err) {
      client.disconnect();
      throw new BrokerError(
        'BROKER_UNAVAILABLE',
        `broker.redis.url: Redis at ${redactUrl(this.options.url)} is unreachable (${errorText(err)}); start Redis or fix broker.redis.url (MIRA_BROKER__REDIS__URL)`,
        true,
      );
    }
    this.commands = client;
    this.started = true;
    const v = this.options.visibilityTimeoutMs;
    this.every(Math.max(20, Math.floor(v / 3)), () => this.extendClaims());
    this.every(Math.max(20, Math.min(Math.floor(v / 2), 5000)), () => this.reclaim());
    for (const c of this.consumers.values()) this.startReading(c);
  }

  async publish<T>(
    type: string,
    data: T,
    headers?: Record<string, string>,
    options: PublishOptions = {},
  ): Promise<string> {
    checkType(type);
    if (type === DEAD_LETTER_TYPE)
      throw new BrokerError(
        'BROKER_INVALID_MESSAGE',
        `Message type "${DEAD_LETTER_TYPE}" is reserved for the dead-letter stream`,
      );
    if (!this.accepting)
      throw new BrokerError(
        'BROKER_STOPPED',
        `Broker is shutting down and no longer accepts messages (type ${type}); retry against another replica`,
        true,
      );
    let payload: string;
    try {
      payload = JSON.stringify(data === undefined ? null : data);
    } catch (err) {
      throw new BrokerError(
        'BROKER_INVALID_MESSAGE',
        `Message data of type ${type} is not JSON-serialisable: ${errorText(err)}`,
      );
    }
    const client = this.commands;
    if (!client || client.status !== 'ready')
      throw this.unavailable(type, `connection ${client?.status ?? 'not started'}`);
    // encodeEntry only reads the headers: the caller's object is copied only for the propagator to fill.
    const injected = this.options.propagator ? this.options.propagator.inject({ ...headers }) : headers;
    const key = options.idempotencyKey;
    if (key !== undefined && (typeof key !== 'string' || key.length === 0 || key.length > 200))
      throw new BrokerError(
        'BROKER_INVALID_MESSAGE',
        'Idempotency key must be a string of 1 to 200 characters',
      );
    const { span, headers: h } = startPublishSpan('redis', type, injected);
    let entryId: string;
    try {
      entryId = (
        key === undefined
          ? await client.xadd(
              this.streamOf(type),
              'MAXLEN',
              '~',
              this.options.maxlen,
              '*',
              ...encodeEntry(h, payload),
            )
          : await client.eval(
              PUBLISH_ONCE,
              2,
              this.streamOf(type),
              `${this.options.streamPrefix}idempotency:${PUBLISH_KEY_SPACE}${key}`,
              this.options.maxlen,
              Math.max(1, Math.round(options.idempotencyTtlMs ?? 15 * 60_000)),
              ...encodeEntry(h, payload),
            )
      ) as string;
    } catch (err) {
      const failure = this.publishFailed(type, err, key);
      endPublishSpan(span, null, failure);
      throw failure;
    }
    endPublishSpan(span, messageId(type, entryId));
    this.counters.published++;
    for (const o of this.observers) o.onPublished?.(type);
    return messageId(type, entryId);
  }

  async subscribe<T>(
    type: string | readonly string[],
    handler: MessageHandler<T>,
    options: SubscribeOptions = {},
  ): Promise<Subscription> {
    const types = typeof type === 'string' ? [type] : [...new Set(type)];
    if (types.length === 0)
      throw new BrokerError('BROKER_INVALID_MESSAGE', 'subscribe needs one or more non-empty message types');
    types.forEach(checkType);
    if (typeof handler !== 'function')
      throw new BrokerError('BROKER_INVALID_MESSAGE', 'subscribe needs a handler function');
    if (this.stopped) throw new BrokerError('BROKER_STOPPED', 'Broker is stopped; cannot subscribe');
    const id = `sub-${++this.subSeq}`;
    const name = `${this.consumerName}-${this.subSeq}`;
    const ephemeral = options.group === undefined;
    const group = options.group ?? `~${name}`;
    const sub = new TransportSubscription(id, types, ephemeral ? id : group, this);
    const c: Consumer = {
      sub,
      handler: handler as MessageHandler<any>,
      group,
      ephemeral,
      name,
      streams: types.map((t) => this.streamOf(t)),
      typeOf: new Map(types.map((t) => [this.streamOf(t), t])),
      reader: null,
      readerId: null,
      reading: false,
      loop: null,
      held: new Map(),
      running: 0,
      wake: null,
      idle: [],
      cursors: new Map(),
    };
    if (this.commands) {
      try {
        await this.ensureGroups(c);
      } catch (err) {
        throw new BrokerError(
          'BROKER_UNAVAILABLE',
          `Could not create consumer group ${group} on Redis (${errorText(err)}); retry when Redis is reachable`,
          true,
        );
      }
    }
    this.consumers.set(id, c);
    if (this.started) this.startReading(c);
    return sub;
  }

  async unsubscribe(subscription: Subscription | string): Promise<void> {
    const id = typeof subscription === 'string' ? subscription : subscription.id;
    const c = this.consumers.get(id);
    if (!c) return;
    await this.stopReading(c);
    await this.waitIdle(c, this.options.visibilityTimeoutMs);
    await this.acks.whenIdle();
    this.abandonRetries(c);
    this.consumers.delete(id);
    await this.retire(c);
  }

  /**
   * Stops reading, lets in-flight handlers finish and acknowledges them. Messages not read yet
   * stay in the stream for other replicas; messages waiting for a retry stay pending and are
   * reclaimed by another consumer after the visibility timeout. Publishing stays open so that
   * handlers finishing now can still publish their results.
   */
  async drain(timeoutMs = 30000): Promise<DrainResult> {
    const deadline = Date.now() + timeoutMs;
    const all = [...this.consumers.values()];
    await Promise.all(all.map((c) => this.stopReading(c)));
    for (const c of all) this.abandonRetries(c);
    const left = () => Math.max(0, deadline - Date.now());
    await Promise.all(all.map((c) => this.waitIdle(c, left())));
    await Promise.race([this.acks.whenIdle(), sleep(left())]);
    const inFlight = all.reduce((n, c) => n + c.running, 0);
    const unacked = all.reduce((n, c) => n + c.held.size, 0);
    return {
      completed: inFlight === 0 && this.acks.size === 0,
      in_flight: inFlight,
      queued: unacked - inFlight,
    };
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.accepting = false;
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    const all = [...this.consumers.values()];
    await Promise.all(all.map((c) => this.stopReading(c)));
    for (const c of all) this.abandonRetries(c);
    // Acks already issued get one chance to land; later failures leave entries pending for others.
    await Promise.race([this.acks.whenIdle(), sleep(this.options.commandTimeoutMs)]);
    for (const c of all) await this.retire(c);
    this.consumers.clear();
    const commands = this.commands;
    this.commands = null;
    if (commands) await commands.quit().catch(() => commands.disconnect());
  }

  stats(): RedisBrokerStats {
    const held = [...this.consumers.values()].reduce((n, c) => n + c.held.size, 0);
    const lag = this.lastPoll ? this.groupInfo.reduce((n, g) => n + (g.lag ?? 0), 0) : null;
    const pending = this.lastPoll ? this.groupInfo.reduce((n, g) => n + g.pending, 0) : null;
    return { ...this.counters, queued: Math.max(0, held - this.counters.in_flight), lag, pending };
  }

  async health(): Promise<BrokerHealth> {
    const client = this.commands;
    const base = { transport: this.transport };
    if (!client || client.status !== 'ready') {
      return {
        ...base,
        status: 'unhealthy',
        connected: false,
        reason: `Redis unreachable at ${redactUrl(this.options.url)} (connection ${client?.status ?? (this.stopped ? 'stopped' : 'not started')}); reconnecting with backoff`,
        details: { ...this.stats(), consumer: this.consumerName },
      };
    }
    try {
      await client.ping();
      await this.pollGroups();
    } catch (err) {
      return {
        ...base,
        status: 'unhealthy',
        connected: false,
        reason: `Redis at ${redactUrl(this.options.url)} is unreachable (did not answer: ${errorText(err, 200)})`,
        details: { ...this.stats(), consumer: this.consumerName },
      };
    }
    const stats = this.stats();
    const lag = stats.lag ?? 0;
    const pending = stats.pending ?? 0;
    const t = this.options.health;
    const over = (v: number, limit: number) => limit > 0 && v >= limit;
    let status: BrokerHealthStatus = 'healthy';
    let reason: string | undefined;
    if (this.missingGroups.length > 0) {
      // Messages published now would wait for a group that does not exist yet: not ready.
      status = 'unhealthy';
      reason = `consumer group(s) missing (Redis lost its data?), being recreated: ${this.missingGroups.slice(0, 5).join(', ')}`;
    } else if (over(lag, t.lagUnhealthy) || over(pending, t.pendingUnhealthy)) {
      status = 'unhealthy';
      reason = `consumer groups behind: lag ${lag}, pending ${pending} (unhealthy at lag ${t.lagUnhealthy || 'off'}, pending ${t.pendingUnhealthy || 'off'})`;
    } else if (over(lag, t.lagDegraded) || over(pending, t.pendingDegraded)) {
      status = 'degraded';
      reason = `consumer groups behind: lag ${lag}, pending ${pending} (degraded at lag ${t.lagDegraded || 'off'}, pending ${t.pendingDegraded || 'off'})`;
    }
    return {
      ...base,
      status,
      connected: true,
      ...(reason ? { reason } : {}),
      details: { ...stats, accepting: this.accepting, consumer: this.consumerName, groups: this.groupInfo },
    };
  }

  /** The newest dead-lettered messages (newest first), for operators and tests. */
  async deadLetters(count = 100): Promise<DeadLetter[]> {
    const rows = (await this.client().xrevrange(this.deadLetterStream, '+', '-', 'COUNT', count)) as [
      string,
      string[],
    ][];
    return rows.map(([entryId, fields]) => {
      const f = pairs(fields) as Record<string, string>;
      let headers: Record<string, string>;
      try {
        headers = JSON.parse(f.headers ?? '{}') as Record<string, string>;
      } catch {
        headers = {};
      }
      return {
        entry_id: entryId,
        id: f.id,
        type: f.type,
        group: f.group,
        error: f.error,
        attempts: Number(f.attempts),
        headers,
        data: f.data,
        published_at: f.published_at,
        failed_at: f.failed_at,
      };
    });
  }

  // ---- reading -------------------------------------------------------------------------------

  private startReading(c: Consumer): void {
    if (c.reading || this.stopped || !this.commands) return;
    c.reading = true;
    c.reader = this.commands.duplicate(this.connectionOptions('reader'));
    c.reader.on('close', () => (c.readerId = null));
    this.watch(c.reader, `reader of group ${c.group}`);
    c.loop = this.readLoop(c).catch((err: unknown) =>
      this.logger.error(`Read loop of group ${c.group} ended: ${errorText(err)}`),
    );
  }

  private async readLoop(c: Consumer): Promise<void> {
    let failures = 0;
    let groupsReady = true;
    const ids = c.streams.map(() => '>');
    while (c.reading) {
      const room = this.options.maxInFlight - c.held.size;
      if (room <= 0) {
        await this.pause(c, this.options.blockMs);
        continue;
      }
      const reader = c.reader!;
      try {
        if (reader.status !== 'ready') {
          await this.waitReady(c, reader);
          continue;
        }
        if (!groupsReady) {
          await this.ensureGroups(c, '0');
          groupsReady = true;
          this.logger.warn(
            `Consumer group ${c.group} was missing (Redis lost its data?); recreated from the start of its streams`,
          );
        }
        if (c.readerId === null) c.readerId = Number(await reader.call('CLIENT', 'ID'));
        if (!c.reading) break;
        const reply = await reader.call(
          'XREADGROUP',
          'GROUP',
          c.group,
          c.name,
          'COUNT',
          Math.min(this.options.batchSize, room),
          'BLOCK',
          this.options.blockMs,
          'STREAMS',
          ...c.streams,
          ...ids,
        );
        failures = 0;
        // Entries read after a drain began are ours already: handle them rather than strand them.
        for (const [stream, entries] of streamsReply(reply)) this.accept(c, stream, entries, 1);
      } catch (err) {
        if (!c.reading) break;
        const text = errorText(err);
        // The stream or group vanished (Redis restarted without persistence, FLUSHALL): recreate.
        if (text.includes('NOGROUP')) groupsReady = false;
        else this.warnOnce(`Reading group ${c.group} failed: ${text}; retrying with backoff`);
        await this.pause(c, backoffDelay(++failures, 50, this.options.reconnectMaxDelayMs));
      }
    }
  }

  private accept(
    c: Consumer,
    stream: string,
    entries: StreamEntries,
    attempts: number | Map<string, number>,
  ): void {
    const type = c.typeOf.get(stream) ?? stream.slice(this.options.streamPrefix.length);
    for (const [entryId, fields] of entries) {
      const key = heldKey(c, stream, entryId);
      if (c.held.has(key)) continue; // ours already (a reclaim of our own slow entry)
      const n = typeof attempts === 'number' ? attempts : (attempts.get(entryId) ?? 1);
      if (!fields) {
        // Trimmed away while pending: nothing left to deliver; drop it from the group's list.
        this.counters.trimmed++;
        this.acks.ack(stream, c.group, entryId, null);
        continue;
      }
      const decoded = decodeEntry(type, entryId, fields);
      if (decoded instanceof DecodeFailure) {
        const d = {
          consumer: c,
          key,
          stream,
          entryId,
          type,
          attempts: n,
          retryTimer: null,
        } as unknown as Delivery;
        c.held.set(key, d);
        void this.deadLetter(c, d, decoded.error, {
          raw: decoded.raw,
          headers: decoded.headers,
          id: messageId(type, entryId),
          ts: '',
        });
        continue;
      }
      const d: Delivery = {
        consumer: c,
        key,
        stream,
        entryId,
        type,
        message: decoded,
        attempts: n,
        retryTimer: null,
      };
      c.held.set(key, d);
      if (n > this.options.maxAttempts) {
        void this.deadLetter(
          c,
          d,
          `delivered ${n - 1} time(s) without being acknowledged (its consumer died or timed out)`,
        );
        continue;
      }
      this.invoke(c, d);
    }
  }

  private invoke(c: Consumer, d: Delivery): void {
    const started = this.observers.length ? performance.now() : 0;
    c.running++;
    this.counters.in_flight++;
    let result: unknown;
    try {
      result = callHandler(c.handler, d.message, this.options.propagator, 'redis');
    } catch (err) {
      this.settle(c, d, started, err, true);
      return;
    }
    if (isThenable(result)) {
      result.then(
        () => this.settle(c, d, started),
        (err: unknown) => this.settle(c, d, started, err, true),
      );
    } else {
      this.settle(c, d, started);
    }
  }

  private settle(c: Consumer, d: Delivery, started: number, err?: unknown, failed = false): void {
    c.running--;
    this.counters.in_flight--;
    if (!failed) {
      this.counters.delivered++;
      for (const o of this.observers) o.onDelivered?.(d.type, c.group, performance.now() - started);
      if (this.stopped) {
        // Stopped while the handler ran: no connection to ack on; the entry stays pending and
        // another replica reclaims it after the visibility timeout (at-least-once).
        this.release(c, d);
      } else {
        this.acks.ack(d.stream, c.group, d.entryId, d);
      }
      if (c.running === 0) this.notifyIdle(c);
      return;
    }
    if (this.isOutage(err)) {
      // The handler failed because Redis is unreachable (its own publish or ack could not land):
      // not the message's fault, so not an attempt. Retried once Redis answers again.
      d.outage = (d.outage ?? 0) + 1;
      if (c.reading) {
        const delay = backoffDelay(
          d.outage,
          Math.max(50, this.options.retryBaseMs),
          this.options.reconnectMaxDelayMs,
        );
        d.retryTimer = setTimeout(() => void this.retry(c, d), delay);
      }
      this.warnOnce(
        `Handler of group ${c.group} could not finish while Redis is unreachable (${errorText(err, 200)}); retrying without counting an attempt`,
      );
      if (c.running === 0) this.notifyIdle(c);
      return;
    }
    d.outage = 0;
    this.counters.failed++;
    for (const o of this.observers) o.onFailed?.(d.type, c.group, err);
    // Only the error's message: message data may hold anything and is never logged.
    this.logger.warn(
      `Handler of group ${c.group} failed for message ${d.message.id} (${d.type}), attempt ${d.attempts}/${this.options.maxAttempts}: ${errorText(err, 500)}`,
    );
    if (d.attempts >= this.options.maxAttempts) {
      void this.deadLetter(c, d, errorText(err));
    } else if (c.reading) {
      this.counters.retried++;
      const delay = backoffDelay(d.attempts, this.options.retryBaseMs, this.options.retryMaxMs);
      d.retryTimer = setTimeout(() => void this.retry(c, d), delay);
    }
    // Not reading any more (draining): the message stays pending for another replica to reclaim.
    if (c.running === 0) this.notifyIdle(c);
  }

  private async retry(c: Consumer, d: Delivery): Promise<void> {
    d.retryTimer = null;
    if (!c.reading) return;
    if (d.outage) {
      // Wait for Redis rather than burn a run that would fail the same way.
      if (this.commands?.status !== 'ready') {
        d.outage++;
        const delay = backoffDelay(
          d.outage,
          Math.max(50, this.options.retryBaseMs),
          this.options.reconnectMaxDelayMs,
        );
        d.retryTimer = setTimeout(() => void this.retry(c, d), delay);
        return;
      }
    } else {
      d.attempts++;
      for (const o of this.observers) o.onRetried?.(d.type, c.group, d.attempts);
    }
    try {
      // Records the attempt in Redis (RETRYCOUNT) so a replica reclaiming it later counts it too;
      // an empty answer means the entry is no longer pending (trimmed and deleted): drop it.
      const claimed = (await this.client().xclaim(
        d.stream,
        c.group,
        c.name,
        0,
        d.entryId,
        'RETRYCOUNT',
        d.attempts,
        'JUSTID',
      )) as string[];
      if (claimed.length === 0) {
        this.counters.trimmed++;
        return this.release(c, d);
      }
    } catch {
      // Redis unreachable: run the attempt anyway; its ack is re-sent until Redis is back.
    }
    if (c.reading) this.invoke(c, d);
  }

  private async deadLetter(
    c: Consumer,
    d: Delivery,
    error: string,
    raw?: { raw: string; headers: Record<string, string>; id: string; ts: string },
    failures = 0,
  ): Promise<void> {
    const m = d.message;
    const fields = [
      'id', raw ? raw.id : m.id,
      'type', d.type,
      'group', c.group,
      'stream', d.stream,
      'entry_id', d.entryId,
      'error', error,
      'attempts', String(d.attempts),
      'headers', JSON.stringify(raw ? raw.headers : m.headers),
      'data', raw ? raw.raw : m.rawData,
      'published_at', raw ? raw.ts : m.timestamp,
      'failed_at', new Date().toISOString(),
      'consumer', c.name,
    ]; // prettier-ignore
    try {
      // One transaction: the dead-letter entry exists if and only if the source is acknowledged.
      const res = await this.client()
        .multi()
        .xadd(this.deadLetterStream, 'MAXLEN', '~', this.options.maxlen, '*', ...fields)
        .xack(d.stream, c.group, d.entryId)
        .exec();
      const failed = res?.find(([e]) => e);
      if (!res || failed) throw failed?.[0] ?? new Error('transaction aborted');
      this.counters.dead_lettered++;
      for (const o of this.observers) o.onDeadLettered?.(d.type, c.group);
      this.logger.warn(
        `Message ${raw ? raw.id : m.id} (${d.type}) of group ${c.group} moved to ${this.deadLetterStream} after ${d.attempts} attempt(s): ${errorText(error, 500)}`,
      );
      this.release(c, d);
    } catch (err) {
      if (!c.reading || this.stopped) return; // stays pending: another replica reclaims it
      this.warnOnce(`Could not dead-letter message ${d.entryId} of ${d.stream}: ${errorText(err)}; retrying`);
      d.retryTimer = setTimeout(
        () => {
          d.retryTimer = null;
          void this.deadLetter(c, d, error, raw, failures + 1);
        },
        backoffDelay(failures + 1, 100, this.options.reconnectMaxDelayMs),
      );
    }
  }

  private release(c: Consumer, d: Delivery): void {
    if (c.held.get(d.key) === d) c.held.delete(d.key);
    if (c.wake) {
      const w = c.wake;
      c.wake = null;
      w();
    }
    if (c.running === 0) this.notifyIdle(c);
  }

  // ---- claims --------------------------------------------------------------------------------

  /** Keeps our held entries young (XCLAIM JUSTID) so a slow handler's message is not reclaimed. */
  private async extendClaims(): Promise<void> {
    const client = this.commands;
    if (!client || client.status !== 'ready') return;
    // Entries another consumer claimed recently are not taken back (their handler may be running).
    const minIdle = Math.floor(this.options.visibilityTimeoutMs / 6);
    for (const c of this.consumers.values()) {
      if (c.held.size === 0) continue;
      const byStream = new Map<string, string[]>();
      for (const d of c.held.values()) {
        const ids = byStream.get(d.stream) ?? [];
        ids.push(d.entryId);
        byStream.set(d.stream, ids);
      }
      for (const [stream, ids] of byStream) {
        for (let i = 0; i < ids.length; i += CLAIM_CHUNK) {
          await client
            .xclaim(stream, c.group, c.name, minIdle, ...ids.slice(i, i + CLAIM_CHUNK), 'JUSTID')
            .catch((err: unknown) =>
              this.warnOnce(`Could not extend claims on ${stream}: ${errorText(err)}`),
            );
        }
      }
    }
  }

  /** Takes over entries idle longer than the visibility timeout (their consumer died). */
  private async reclaim(): Promise<void> {
    const client = this.commands;
    if (!client || client.status !== 'ready') return;
    for (const c of this.consumers.values()) {
      if (!c.reading) continue;
      for (const stream of c.streams) {
        const room = this.options.maxInFlight - c.held.size;
        if (room <= 0 || !c.reading) break;
        try {
          const [next, entries, deleted] = (await client.xautoclaim(
            stream,
            c.group,
            c.name,
            this.options.visibilityTimeoutMs,
            c.cursors.get(stream) ?? '0-0',
            'COUNT',
            Math.min(room, this.options.batchSize * 4),
          )) as [string, StreamEntries, string[]?];
          c.cursors.set(stream, next);
          if (deleted?.length) this.counters.trimmed += deleted.length;
          const fresh = entries.filter(([id]) => !c.held.has(heldKey(c, stream, id)));
          if (fresh.length === 0) continue;
          // Delivery counts (XAUTOCLAIM raised them) decide whether attempts are exhausted.
          const counts = new Map<string, number>();
          const rows = (await client.xpending(
            stream,
            c.group,
            fresh[0][0],
            fresh[fresh.length - 1][0],
            fresh.length + c.held.size,
            c.name,
          )) as [string, string, number, number][];
          for (const [id, , , n] of rows) counts.set(id, Number(n));
          this.counters.reclaimed += fresh.length;
          const type = c.typeOf.get(stream)!;
          for (const o of this.observers) o.onReclaimed?.(type, c.group, fresh.length);
          this.logger.log(`Reclaimed ${fresh.length} message(s) of ${type} idle in group ${c.group}`);
          this.accept(c, stream, fresh, counts);
        } catch (err) {
          const text = errorText(err);
          if (!text.includes('NOGROUP')) this.warnOnce(`Reclaiming on ${stream} failed: ${text}`);
        }
      }
    }
    if (Date.now() - this.lastPoll >= 1000) await this.pollGroups().catch(() => undefined);
  }

  /** Lag and pending of this process's groups (XINFO GROUPS), for health and stats. */
  private async pollGroups(): Promise<void> {
    const client = this.client();
    const out: RedisGroupInfo[] = [];
    const missing: string[] = [];
    for (const c of this.consumers.values()) {
      if (!c.reading) continue; // not started or draining: nothing recreates its groups
      for (const stream of c.streams) {
        let groups: unknown[];
        try {
          groups = (await client.xinfo('GROUPS', stream)) as unknown[];
        } catch (err) {
          if (!errorText(err).includes('no such key')) throw err;
          groups = [];
        }
        const g = groups.map(pairs).find((x) => x.name === c.group);
        if (!g) {
          missing.push(`${stream} ${c.group}`);
          continue;
        }
        out.push({
          type: c.typeOf.get(stream)!,
          group: c.group,
          lag: g.lag === null || g.lag === undefined ? null : Number(g.lag),
          pending: Number(g.pending ?? 0),
          consumers: Number(g.consumers ?? 0),
        });
      }
    }
    this.groupInfo = out;
    this.missingGroups = missing;
    this.lastPoll = Date.now();
  }

  // ---- lifecycle helpers ---------------------------------------------------------------------

  /**
   * `$` for a new subscription: like the memory transport, it sees messages published from now on.
   * `0` when a group went missing (Redis restarted without persistence, FLUSHALL): whatever is in
   * the stream then was published after the loss (a publish recreates the stream before the reader
   * notices) and nobody has read it yet, so nothing may be skipped.
   */
  private async ensureGroups(c: Consumer, from: '$' | '0' = '$'): Promise<void> {
    for (const stream of c.streams) {
      try {
        await this.client().xgroup('CREATE', stream, c.group, from, 'MKSTREAM');
      } catch (err) {
        if (!errorText(err).includes('BUSYGROUP')) throw err;
      }
    }
  }

  private async stopReading(c: Consumer): Promise<void> {
    if (!c.reading) return;
    c.reading = false;
    if (c.wake) {
      const w = c.wake;
      c.wake = null;
      w();
    }
    // Wake the blocked XREADGROUP now instead of after block_ms.
    if (c.readerId !== null && this.commands?.status === 'ready') {
      await this.commands.call('CLIENT', 'UNBLOCK', c.readerId).catch(() => undefined);
    }
    const bound = this.options.blockMs + this.options.commandTimeoutMs;
    await Promise.race([c.loop, sleep(bound)]);
    const reader = c.reader;
    c.reader = null;
    if (reader) await reader.quit().catch(() => reader.disconnect());
  }

  private abandonRetries(c: Consumer): void {
    for (const d of c.held.values()) {
      if (d.retryTimer) {
        clearTimeout(d.retryTimer);
        d.retryTimer = null;
      }
    }
  }

  /** Deletes the consumer when it holds nothing (never with pending entries); ephemeral groups go entirely. */
  private async retire(c: Consumer): Promise<void> {
    const client = this.commands;
    if (!client || client.status !== 'ready') return;
    try {
      if (c.ephemeral) {
        for (const s of c.streams) await client.xgroup('DESTROY', s, c.group);
        return;
      }
      for (const s of c.streams) {
        const mine = (await client.xpending(s, c.group, '-', '+', 1, c.name)) as unknown[];
        if (mine.length > 0) {
          this.logger.warn(
            `Consumer ${c.name} keeps pending entries on ${s}; another replica will reclaim them`,
          );
          return;
        }
      }
      for (const s of c.streams) await client.xgroup('DELCONSUMER', s, c.group, c.name);
    } catch (err) {
      this.logger.warn(`Could not clean up consumer ${c.name}: ${errorText(err)}`);
    }
  }

  private waitIdle(c: Consumer, timeoutMs: number): Promise<void> {
    if (c.running === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      c.idle.push(done);
      function done() {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  private notifyIdle(c: Consumer): void {
    const w = c.idle;
    c.idle = [];
    for (const f of w) f();
  }

  /** Sleeps up to `ms`, woken early by a freed slot or by stopReading. */
  private pause(c: Consumer, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      c.wake = done;
      function done() {
        clearTimeout(timer);
        resolve();
      }
    });
  }

  private waitReady(c: Consumer, client: RedisClient): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        client.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, this.options.reconnectMaxDelayMs);
      client.once('ready', done);
      c.wake = done;
    });
  }

  private connectionOptions(role: 'cmd' | 'reader'): RedisOptions {
    const max = this.options.reconnectMaxDelayMs;
    return {
      lazyConnect: role === 'cmd',
      connectionName: `mira-${role}-${this.consumerName}`,
      // Never queue while disconnected: a publish during an outage must fail now, not vanish later.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      connectTimeout: this.options.commandTimeoutMs,
      ...(role === 'cmd'
        ? // socketTimeout (one timer per socket) rather than commandTimeout (one timer per command):
          // a dead connection still fails the commands on it, at no per-publish cost.
          { enableAutoPipelining: true, socketTimeout: this.options.commandTimeoutMs }
        : { blockingTimeout: this.options.blockMs, blockingTimeoutGrace: this.options.commandTimeoutMs }),
      retryStrategy: (times: number) => backoffDelay(times, 50, max),
    };
  }

  /** Logs connection loss and recovery once each, not once per reconnect attempt. */
  private watch(client: RedisClient, role: string): void {
    let lost = false;
    client.on('error', (err: Error) => {
      if (!lost && this.started && !this.stopped)
        this.warnOnce(`Redis ${role} connection error: ${err.message}`);
    });
    client.on('close', () => {
      if (!lost && this.started && !this.stopped) {
        lost = true;
        this.logger.warn(`Redis ${role} connection lost; reconnecting with backoff`);
      }
    });
    client.on('ready', () => {
      if (lost) this.logger.log(`Redis ${role} connection restored`);
      lost = false;
    });
  }

  /** At most one line per kind of failure every 10 s: an outage must not flood the log. */
  private warnOnce(text: string): void {
    const key = text.slice(0, 30);
    const now = Date.now();
    if (now - (this.warned.get(key) ?? 0) < 10_000) return;
    this.warned.set(key, now);
    this.logger.warn(text);
  }

  private client(): RedisClient {
    const c = this.commands;
    if (!c) throw new BrokerError('BROKER_UNAVAILABLE', 'Redis transport is not started', true);
    return c;
  }

  /** True when a handler's failure comes from Redis being unreachable rather than from the message. */
  private isOutage(err: unknown): boolean {
    if (this.commands?.status !== 'ready') return true;
    for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
      // Retryable unavailability of Redis, or of another dependency the handler needed (the state
      // store answers STATE_UNAVAILABLE): an outage, not a fault of the message.
      const { code, retryable } = e as { code?: unknown; retryable?: unknown };
      if (
        retryable === true &&
        typeof code === 'string' &&
        (code.endsWith('_UNAVAILABLE') || code === 'BROKER_PUBLISH_UNCONFIRMED')
      )
        return true;
    }
    return false;
  }

  /**
   * Redis answered with an error, or the command was never sent (offline queue off): nothing was
   * stored. Anything else (connection closed or timed out after sending) has an unknown fate.
   */
  private publishFailed(type: string, err: unknown, key?: string): BrokerError {
    const text = errorText(err);
    if (text.includes('enableOfflineQueue')) return this.unavailable(type, text);
    if ((err as Error)?.name === 'ReplyError')
      // Transient server states are worth retrying; any other error reply (WRONGTYPE, a script
      // error) will answer the same way every time, so retrying it forever helps nobody.
      return TRANSIENT_REPLY.test(text)
        ? this.unavailable(type, text)
        : new BrokerError(
            'BROKER_UNAVAILABLE',
            `Redis refused message ${type} (${text}); it was not published`,
          );
    return new BrokerError(
      'BROKER_PUBLISH_UNCONFIRMED',
      key === undefined
        ? `Redis did not confirm message ${type} (${text}): it MAY have been stored and delivered; retrying may publish it twice (publish with an idempotency key to retry safely)`
        : `Redis did not confirm message ${type} (${text}): it MAY have been stored; retry with the same idempotency key (${key}) to publish it at most once`,
      true,
    );
  }

  private unavailable(type: string, why: string): BrokerError {
    return new BrokerError(
      'BROKER_UNAVAILABLE',
      `Redis did not accept message ${type} (${why}); it was not published, retry later`,
      true,
    );
  }

  private every(ms: number, fn: () => Promise<void>): void {
    let busy = false;
    const t = setInterval(() => {
      if (busy) return;
      busy = true;
      fn()
        .catch((err: unknown) => this.warnOnce(errorText(err)))
        .finally(() => (busy = false));
    }, ms);
    t.unref?.();
    this.timers.push(t);
  }
}

/**
 * A type is part of a key name (`<prefix><type>`). Every other key the service keeps under the
 * prefix is `<prefix><space>:<rest>` (idempotency:, throttle:), so a type without `:` can never
 * name one of them: no event type reaches webhook dedup or rate-limit keys.
 */
const TYPE_PATTERN = /^[^\s:]{1,200}$/;

function checkType(type: unknown): asserts type is string {
  if (typeof type !== 'string' || type.length === 0)
    throw new BrokerError('BROKER_INVALID_MESSAGE', 'Message type must be a non-empty string');
  if (!TYPE_PATTERN.test(type))
    throw new BrokerError(
      'BROKER_INVALID_MESSAGE',
      `Message type "${type.slice(0, 200)}" is not a valid type on Redis: at most 200 characters, no ':' and no whitespace (':' separates the broker's own key spaces); use '.' to build names like webhook.github`,
    );
}

/** Key of a held entry: the entry id alone when the consumer reads one stream (the usual case). */
function heldKey(c: Consumer, stream: string, entryId: string): string {
  return c.streams.length === 1 ? entryId : `${stream} ${entryId}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    t.unref?.();
  });
}
