import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis, RedisOptions } from 'ioredis';
import { quitRedisClient, whenRedisReady } from './redis.client-state';
import { RedisConnectionError } from './redis.error';
import type { RedisClientInfo, RedisClientOverrides, RedisModuleOptions } from './redis.interface';
import { REDIS_MODULE_OPTIONS } from './redis.module-definition';
import { redactRedisText, redactRedisUrl } from './redis.redact';

const DEFAULT_URL_KEY = 'broker.redis.url';

/**
 * The process's Redis clients, one place to create, find and close them. `client(name)` hands
 * out a shared client per name (the rate limiter's, webhook de-duplication's, a plugin's);
 * `create(name)` a new one each call (the broker's readers). Every client is built from the one
 * configured URL, with ioredis loaded on the first request (a deployment without Redis never
 * loads it), and closed by `closeAll()` at shutdown.
 */
@Injectable()
export class RedisConnections implements OnApplicationShutdown {
  private readonly logger = new Logger('Redis');
  private readonly url: string | null;
  private readonly urlKey: string;
  private readonly named = new Map<string, Promise<Redis>>();
  private readonly resolved = new Map<string, Redis>();
  private readonly all = new Map<Redis, string>();
  private closed = false;

  constructor(@Inject(REDIS_MODULE_OPTIONS) private readonly options: RedisModuleOptions) {
    this.url = options.url ?? null;
    this.urlKey = options.urlKey ?? DEFAULT_URL_KEY;
    if (this.url !== null && !/^rediss?:$/.test(protocolOf(this.url)))
      throw new RedisConnectionError(
        'REDIS_INVALID_URL',
        `${this.urlKey}: ${redactRedisUrl(this.url)} is not a redis:// or rediss:// URL; fix ${this.urlKey}`,
      );
  }

  /** True when a Redis URL is configured (clients can be had). */
  get enabled(): boolean {
    return this.url !== null;
  }

  /** The configured URL with credentials masked (null when none), for logs and /healthz. */
  get redactedUrl(): string | null {
    return this.url === null ? null : redactRedisUrl(this.url);
  }

  /**
   * The client called `name`, created on the first call with these overrides (later calls get the
   * same client whatever they pass). It connects in the background: wait with `ready(name)`.
   */
  client(name: string, overrides: RedisClientOverrides = {}): Promise<Redis> {
    const existing = this.named.get(name);
    if (existing) return existing;
    const created = this.open(name, overrides).then((c) => {
      this.resolved.set(name, c);
      return c;
    });
    this.named.set(name, created);
    // A failed creation is not cached: the next call tries again.
    created.catch(() => this.named.get(name) === created && this.named.delete(name));
    return created;
  }

  /** The named client if it has been created, without creating it (for hot paths that must not wait). */
  peek(name: string): Redis | null {
    return this.resolved.get(name) ?? null;
  }

  /**
   * A new client each call, with ioredis options given in full by the caller (the broker passes
   * its own). The caller may close it; whatever is still open is closed at shutdown.
   */
  create(name: string, options: RedisOptions = {}): Promise<Redis> {
    return this.open(name, { redis: options });
  }

  /** Resolves once the named client is ready; fails after `timeoutMs` with the (redacted) reason. */
  async ready(name: string, timeoutMs = 5000): Promise<Redis> {
    const client = await this.client(name);
    // failOnEnd: a client closed meanwhile (shutdown) answers at once, not after the whole wait.
    await whenRedisReady(client, timeoutMs, { failOnEnd: true }).catch((err: Error) => {
      throw new RedisConnectionError(
        'REDIS_UNAVAILABLE',
        `Redis at ${this.redactedUrl} is not ready after ${timeoutMs} ms (${this.redact(err.message)}); start Redis or fix ${this.urlKey}`,
      );
    });
    return client;
  }

  /** Every client handed out and still tracked, with its connection status. */
  clients(): RedisClientInfo[] {
    return [...this.all].map(([client, name]) => ({ name, status: client.status }));
  }

  /** Closes every client (QUIT when connected, else disconnect, which also ends a reconnect loop). */
  async closeAll(): Promise<void> {
    this.closed = true;
    const clients = [...this.all.keys()];
    this.all.clear();
    this.named.clear();
    this.resolved.clear();
    await Promise.all(clients.map((c) => quitRedisClient(c)));
  }

  onApplicationShutdown(): Promise<void> {
    return this.closeAll();
  }

  /** `text` with the URL's credentials masked. */
  redact(text: string): string {
    return redactRedisText(text, this.url);
  }

  private async open(name: string, overrides: RedisClientOverrides): Promise<Redis> {
    this.assertUsable(name);
    const RedisClass = loadIoredis();
    const client = new RedisClass(this.url!, this.clientOptions(name, overrides));
    this.all.set(client, name);
    this.watch(client, name);
    // A client its owner closed is forgotten (nothing left to close at shutdown).
    client.once('end', () => {
      this.all.delete(client);
      if (this.resolved.get(name) === client) {
        this.resolved.delete(name);
        this.named.delete(name);
      }
    });
    return client;
  }

  private assertUsable(name: string): void {
    if (this.url === null)
      throw new RedisConnectionError(
        'REDIS_NOT_CONFIGURED',
        `Redis client "${name}" was asked for but no Redis is configured; set ${this.urlKey} (and broker.transport: redis)`,
      );
    if (this.closed)
      throw new RedisConnectionError(
        'REDIS_CLOSED',
        `Redis client "${name}" was asked for after the connections were closed (the service is shutting down)`,
      );
  }

  private clientOptions(name: string, overrides: RedisClientOverrides): RedisOptions {
    const o = { ...this.options.defaults, ...overrides };
    const max = o.reconnectMaxDelayMs ?? 5000;
    return {
      connectionName: `mira-${name}`,
      // Never queue while disconnected: a queued command makes its caller wait for Redis.
      enableOfflineQueue: o.offlineQueue ?? false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      connectTimeout: o.connectTimeoutMs ?? 2000,
      ...(o.commandTimeoutMs !== undefined ? { commandTimeout: o.commandTimeoutMs } : {}),
      retryStrategy: o.retryStrategy ?? ((times: number) => Math.min(max, 50 * 2 ** Math.min(times, 7))),
      ...this.options.defaults?.redis,
      ...overrides.redis,
    };
  }

  /**
   * Errors are expected during an outage (ioredis reconnects on its own) and each user reports
   * its own degradation: here one debug line per outage, redacted, and no unhandled 'error' event.
   */
  private watch(client: Redis, name: string): void {
    let lost = false;
    client.on('error', (err: Error) => {
      if (lost) return;
      lost = true;
      this.logger.debug(`Redis client "${name}" at ${this.redactedUrl}: ${this.redact(err.message)}`);
    });
    client.on('ready', () => {
      if (lost) this.logger.debug(`Redis client "${name}" connected again`);
      lost = false;
    });
  }
}

/**
 * Lazily, by require() rather than import(): the build keeps import() as a native ESM import,
 * which bypasses the OpenTelemetry ioredis instrumentation (it hooks require), so Redis spans
 * would vanish from traces (tracing.e2e-spec checks them).
 */
function loadIoredis(): typeof Redis {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require('ioredis') as typeof import('ioredis');
  return (mod.Redis ?? (mod as unknown as { default: typeof Redis }).default) as typeof Redis;
}

function protocolOf(url: string): string {
  try {
    return new URL(url).protocol;
  } catch {
    return '';
  }
}
