import {
  Injectable,
  Logger,
  Optional,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { ConfigStore } from '@mira/config';
import { StateService, type SqlRunner } from '@mira/state';
import { deliveriesConfig, type DeliveriesSettings } from './deliveries.config';
import { DeliveriesError } from './deliveries.error';
import { DeliveriesMetrics } from './deliveries.metrics';
import { retryDelayMs } from './delivery.backoff';
import { HostGuard } from './delivery.host-guard';
import { DeliveryKinds } from './delivery.kinds.registry';
import { DeliveryStore, type DeliveryRow, type DeliveryStatus } from './delivery.store';

/** Webhook destinations configured without a signing secret. */
export function unsignedWebhooks(settings: DeliveriesSettings): string[] {
  return Object.entries(settings.destinations)
    .filter(([, d]) => d.kind === 'webhook' && !d.secret)
    .map(([name]) => name);
}

export interface DeliveryRequest {
  /** What is delivered, e.g. `schedule_run:<id>`; one row per (source, destination). */
  source: string;
  type: string;
  title: string;
  data: unknown;
}

/**
 * The outbox: enqueue() writes rows (inside the caller's transaction when given), and every
 * replica polls, claims due rows with a conditional UPDATE, sends, and records the outcome with
 * backoff and jitter until delivered or `dead` (max_attempts).
 */
@Injectable()
export class DeliveriesService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Deliveries');
  readonly instanceId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private store: DeliveryStore;
  private timer: NodeJS.Timeout | null = null;
  private claiming = false;
  private readonly inFlight = new Set<Promise<void>>();
  /** Tests drive time; production reads the wall clock. */
  now: () => Date = () => new Date();

  constructor(
    private readonly config: ConfigStore,
    private readonly state: StateService,
    private readonly kinds: DeliveryKinds,
    @Optional() private readonly metrics?: DeliveriesMetrics | null,
  ) {
    this.store = new DeliveryStore(() => this.state.sql());
  }

  private settings(): DeliveriesSettings {
    return this.config.section(deliveriesConfig);
  }

  onApplicationBootstrap(): void {
    this.warnUnsigned();
    this.unwatch = this.config.onChange(() => this.warnUnsigned(), 'deliveries');
    this.claiming = true;
    this.schedule();
  }

  private unwatch: (() => void) | null = null;

  /** One line per webhook destination without a secret: its receivers cannot tell Mira from anyone. */
  private warnUnsigned(): void {
    for (const name of unsignedWebhooks(this.settings()))
      this.logger.warn(
        `deliveries.destinations.${name}: webhook without a secret, sent unsigned; set secret (whsec_...) so the receiver can verify it`,
      );
  }

  /** Names every destination unknown to the config (for request validation). */
  unknownDestinations(names: readonly string[]): string[] {
    const known = this.settings().destinations;
    return names.filter((n) => !known[n]);
  }

  /** Outbox rows for `destinations`, written with `runner` (a transaction: committed with the result). */
  async enqueue(
    runner: SqlRunner | null,
    destinations: readonly string[],
    request: DeliveryRequest,
  ): Promise<string[]> {
    if (!destinations.length) return [];
    const all = this.settings().destinations;
    const unknown = this.unknownDestinations(destinations);
    if (unknown.length)
      throw new DeliveriesError(
        'DELIVERY_UNKNOWN_DESTINATION',
        `Unknown delivery destination(s) ${unknown.join(', ')}; declare them under deliveries.destinations`,
        false,
      );
    const ids = await this.store.enqueue(
      runner ?? this.state.sql(),
      destinations.map((d) => ({ destination: d, kind: all[d].kind, ...request })),
      this.now(),
    );
    this.kick();
    return ids;
  }

  list(filter: { status?: DeliveryStatus; source?: string; limit?: number }): Promise<DeliveryRow[]> {
    return this.store.list({ ...filter, limit: filter.limit ?? 100 });
  }

  get(id: string): Promise<DeliveryRow | null> {
    return this.store.get(id);
  }

  /** An admin's retry of a dead delivery: a fresh attempt budget, sent at the next poll. */
  async retry(id: string): Promise<DeliveryRow> {
    const row = await this.store.get(id);
    if (!row) throw new DeliveriesError('DELIVERY_NOT_FOUND', `No delivery ${id}`, false);
    if (!(await this.store.retry(id, this.now())))
      throw new DeliveriesError(
        'DELIVERY_NOT_RETRYABLE',
        `Delivery ${id} is ${row.status}; only a dead delivery can be retried`,
        false,
      );
    this.kick();
    return (await this.store.get(id)) as DeliveryRow;
  }

  /** One poll: claim due rows and send them (awaited; the timer calls it too). */
  async poll(): Promise<number> {
    if (!this.claiming) return 0;
    const s = this.settings();
    let rows: DeliveryRow[];
    try {
      rows = await this.store.claim(this.instanceId, this.now(), s.lease_ms, s.batch_size);
      this.metrics?.setPending(await this.store.pendingCount());
    } catch (err) {
      this.logger.warn(`Delivery poll failed: ${(err as Error).message}`);
      return 0;
    }
    await Promise.all(rows.map((row) => this.track(this.send(row, s))));
    return rows.length;
  }

  private async send(row: DeliveryRow, s: DeliveriesSettings): Promise<void> {
    const destination = s.destinations[row.destination];
    try {
      if (!destination)
        throw new DeliveriesError(
          'DELIVERY_UNKNOWN_DESTINATION',
          `destination ${row.destination} is no longer configured`,
        );
      const guard = new HostGuard(s.allowed_hosts, s.destinations);
      // Here too, not only in the kinds' own HTTP: a module kind may send without guardedPost, and a
      // secret:// URL was never host-checked at load.
      if (destination.url) guard.check(destination.url, `destination ${row.destination}`);
      await this.kinds.get(destination.kind).send({ ...destination, name: row.destination }, row.message, {
        timeoutMs: s.timeout_ms,
        guard,
        settings: s,
      });
      await this.store.delivered(row.id, this.instanceId, this.now());
      this.metrics?.record(row.kind, 'delivered');
      this.logger.debug(`Delivery ${row.id} to ${row.destination} delivered`);
    } catch (err) {
      const attempt = row.attempts + 1;
      const retryable = !(err instanceof DeliveriesError) || err.retryable;
      const next =
        retryable && attempt < s.max_attempts
          ? new Date(this.now().getTime() + retryDelayMs(attempt, s.backoff_initial_ms, s.backoff_max_ms))
          : null;
      const message =
        err instanceof DeliveriesError ? err.message : `destination ${row.destination}: send failed`;
      const status = await this.store.failed(row.id, this.instanceId, this.now(), message, next);
      this.metrics?.record(row.kind, status === 'dead' ? 'dead' : 'retrying');
      if (status === 'dead')
        this.logger.warn(`Delivery ${row.id} is dead after ${attempt} attempt(s): ${message}`);
    }
  }

  private track(p: Promise<void>): Promise<void> {
    this.inFlight.add(p);
    return p.finally(() => this.inFlight.delete(p));
  }

  /** Poll soon (a row was just written). */
  private kick(): void {
    if (!this.claiming) return;
    setImmediate(() => void this.poll().catch(() => undefined));
  }

  private schedule(): void {
    if (!this.claiming) return;
    this.timer = setTimeout(() => {
      void this.poll()
        .catch(() => undefined)
        .finally(() => this.schedule());
    }, this.settings().poll_interval_ms);
    this.timer.unref();
  }

  /** Shutdown: stop claiming, then let in-flight sends finish (bounded by the hook's deadline). */
  async drain(): Promise<void> {
    this.claiming = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await Promise.allSettled([...this.inFlight]);
  }

  async onModuleDestroy(): Promise<void> {
    this.unwatch?.();
    await this.drain();
  }
}
