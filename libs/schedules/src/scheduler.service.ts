import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { ConfigStore } from '@mira/config';
import type { SqlRunner, StateSql } from '@mira/state';
import { dueTimes, fireTimesBetween, periodMs } from './schedule.plan';
import { SchedulerClock } from './schedules.clock';
import { schedulesConfig, type SchedulesSettings } from './schedules.config';
import type { RunOutcome, ScheduleRecord, ScheduleRun, ScheduleTargetRunner } from './schedules.interface';
import { SchedulesMetrics } from './schedules.metrics';
import { SchedulesStore, type RunClaim } from './schedules.store';
import { SCHEDULE_DELIVERY_SINK, SCHEDULE_TARGET_RUNNER } from './schedules.tokens';

export type DeliverySink = (
  tx: SqlRunner,
  destinations: readonly string[],
  request: { source: string; type: string; title: string; data: unknown },
) => Promise<string[]>;

const PRUNE_EVERY_MS = 60_000;
const PRUNE_BATCH = 500;

/** What the scheduler reads its store from: the app's state store (`StateService.sql()`). */
export const SCHEDULES_SQL = Symbol('SCHEDULES_SQL');

/** (schedule, time) pairs claimed per transaction: 10 parameters each, far below both backends' limits. */
const CLAIM_BATCH = 200;
/** Runs executing at once per replica (each ends in a state store transaction). */
const RUN_CONCURRENCY = 8;

/**
 * Every replica runs this: each tick it works out the due fire times of every schedule (catch-up
 * policy included), claims each (schedule, time) in one transaction (a unique key, so N replicas
 * fire it once), runs it, and records the outcome with its deliveries. A run whose replica died
 * (lease lapsed) is taken over and run again (a workflow target is idempotent on the run id).
 */
@Injectable()
export class SchedulerService {
  private readonly logger = new Logger('Scheduler');
  readonly instanceId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly store: SchedulesStore;
  private timer: NodeJS.Timeout | null = null;
  private claiming = false;
  private ticking: Promise<void> | null = null;
  private readonly inFlight = new Map<string, Promise<void>>();
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private lastPrune = 0;

  constructor(
    private readonly config: ConfigStore,
    readonly clock: SchedulerClock,
    @Inject(SCHEDULES_SQL) sql: () => StateSql,
    @Inject(SCHEDULE_TARGET_RUNNER) private readonly runner: ScheduleTargetRunner,
    @Optional() @Inject(SCHEDULE_DELIVERY_SINK) private readonly sink?: DeliverySink | null,
    @Optional() private readonly metrics?: SchedulesMetrics | null,
  ) {
    this.store = new SchedulesStore(sql);
  }

  settings(): SchedulesSettings {
    return this.config.section(schedulesConfig);
  }

  /** Starts the tick loop (unless schedules.enabled is false on this replica). */
  start(): void {
    if (!this.settings().enabled) return;
    this.claiming = true;
    this.loop();
  }

  private loop(): void {
    if (!this.claiming) return;
    this.timer = setTimeout(() => {
      void this.tick()
        .catch((err: Error) => this.logger.warn(`Scheduler tick failed: ${err.message}`))
        .finally(() => this.loop());
    }, this.settings().tick_ms);
    this.timer.unref();
  }

  /** One pass: claim and start due runs, take over lapsed ones, extend our leases. Returns the runs started. */
  async tick(): Promise<ScheduleRun[]> {
    if (this.ticking) await this.ticking;
    let done!: () => void;
    this.ticking = new Promise<void>((r) => (done = r));
    try {
      return await this.tickOnce();
    } finally {
      this.ticking = null;
      done();
    }
  }

  private async tickOnce(): Promise<ScheduleRun[]> {
    const s = this.settings();
    const now = this.clock.now();
    const started: ScheduleRun[] = [];
    const all = await this.store.list();
    // Each replica starts at a random place in the list, so replicas mostly claim different
    // schedules instead of racing for the same rows in the same order.
    const offset = all.length ? Math.floor(Math.random() * all.length) : 0;
    const byId = new Map(all.map((x) => [x.id, x]));
    const claims: RunClaim[] = [];
    for (const schedule of [...all.slice(offset), ...all.slice(0, offset)]) {
      if (schedule.paused) continue;
      let due: Date[];
      try {
        due = dueTimes({
          cron: schedule.cron,
          timezone: schedule.timezone,
          lastScheduled: schedule.last_scheduled ? new Date(schedule.last_scheduled) : null,
          since: new Date(schedule.since),
          now,
          catchUp: schedule.catch_up,
          maxCatchUp: s.max_catch_up,
          graceMs: s.grace_ms,
        });
      } catch (err) {
        this.logger.warn(`Schedule ${schedule.name} cannot be planned: ${(err as Error).message}`);
        continue;
      }
      for (const at of due)
        claims.push({
          schedule,
          at,
          trigger: now.getTime() - at.getTime() > s.grace_ms ? 'catch_up' : 'cron',
        });
    }
    // Claimed in batches (one transaction each); runs start as soon as their batch is claimed.
    for (let i = 0; i < claims.length; i += CLAIM_BATCH) {
      const batch = claims.slice(i, i + CLAIM_BATCH);
      for (const run of await this.store.claimRuns(batch, this.instanceId, s.lease_ms, now)) {
        this.metrics?.lagSeconds((now.getTime() - new Date(run.scheduled_time).getTime()) / 1000);
        if (run.status === 'skipped') this.metrics?.run('skipped');
        else started.push(this.execute(byId.get(run.schedule_id)!, run));
      }
    }
    for (const run of await this.store.recoverLapsed(this.instanceId, s.lease_ms, now)) {
      const schedule = await this.store.get(run.schedule_id);
      if (schedule && !this.inFlight.has(run.id)) {
        this.logger.warn(`Schedule ${schedule.name}: run ${run.id} lost its replica; running it here`);
        started.push(this.execute(schedule, run));
      }
    }
    for (const id of this.inFlight.keys()) await this.store.heartbeat(id, this.instanceId, s.lease_ms, now);
    await this.prune(now);
    return started;
  }

  /** Retention: at most once a minute, one bounded batch of runs past schedules.runs_retention_days. */
  private async prune(now: Date): Promise<void> {
    if (now.getTime() - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now.getTime();
    const before = new Date(now.getTime() - this.settings().runs_retention_days * 86_400_000);
    const n = await this.store
      .pruneRuns(before, PRUNE_BATCH)
      .catch((err: Error) => (this.logger.warn(`Pruning old runs failed: ${err.message}`), 0));
    if (n > 0) this.logger.debug(`Pruned ${n} schedule runs finished before ${before.toISOString()}`);
  }

  /**
   * Run now (POST /:id/trigger): a manual run at the current time, subject to the overlap policy,
   * requested by `actor` (who pressed the button answers for it, not the schedule's owner).
   */
  async trigger(schedule: ScheduleRecord, actor?: string): Promise<ScheduleRun> {
    const now = this.clock.now();
    const s = this.settings();
    let run = await this.store.claimRun(schedule, now, 'manual', this.instanceId, s.lease_ms, now);
    if (!run) throw new Error('a manual run at this instant was already claimed; retry');
    if (actor) {
      await this.store.setRequestedBy(run.id, actor);
      run = { ...run, requested_by: actor };
    }
    if (run.status === 'skipped') this.metrics?.run('skipped');
    else this.execute(schedule, run);
    return run;
  }

  /** Starts a claimed run in the background; the returned run is as claimed. */
  private execute(schedule: ScheduleRecord, run: ScheduleRun): ScheduleRun {
    const work = this.perform(schedule, run).finally(() => this.inFlight.delete(run.id));
    this.inFlight.set(run.id, work);
    return run;
  }

  /**
   * At most RUN_CONCURRENCY runs execute at once on this replica; the rest wait their turn (their
   * leases are kept by the heartbeat, as they are in flight). Batched claims hand over hundreds
   * of runs in one tick, and starting them all at once would exhaust the state store's pool.
   */
  private async perform(schedule: ScheduleRecord, run: ScheduleRun): Promise<void> {
    if (this.running >= RUN_CONCURRENCY) await new Promise<void>((r) => this.waiting.push(r));
    this.running++;
    try {
      await this.performNow(schedule, run);
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }

  private async performNow(schedule: ScheduleRecord, run: ScheduleRun): Promise<void> {
    let outcome: RunOutcome;
    try {
      outcome = await this.runner.run(schedule, run);
    } catch (err) {
      outcome = { status: 'failed', error: (err as Error).message };
    }
    let undeliverable: Error | null = null;
    const record = (result: RunOutcome, withDeliveries: boolean) =>
      this.store.finishRun(run.id, this.instanceId, result, this.clock.now(), (tx) =>
        this.sink && withDeliveries && schedule.deliveries.length
          ? this.sink(tx, schedule.deliveries, {
              source: `schedule_run:${run.id}`,
              type: `schedule.run.${outcome.status}`,
              title: schedule.name,
              data: {
                schedule: schedule.name,
                run_id: run.id,
                scheduled_time: run.scheduled_time,
                status: outcome.status,
                workflow_id: outcome.workflow_id ?? null,
                result: outcome.result ?? null,
                error: outcome.error ?? null,
              },
            }).catch((err: Error) => {
              undeliverable = err;
              throw err;
            })
          : Promise.resolve([]),
      );
    const finished = await record(outcome, true)
      .catch((err: Error) => {
        // Deliveries that cannot be queued (a destination removed from the config) must not roll
        // back the outcome: the run would stay `running` and be taken over and re-run every lease.
        if (!undeliverable) throw err;
        const problem = `deliveries not queued: ${(undeliverable as Error).message}`;
        this.logger.warn(`Schedule ${schedule.name}: run ${run.id} ${problem}`);
        return record({ ...outcome, error: outcome.error ? `${outcome.error}; ${problem}` : problem }, false);
      })
      .catch((err: Error) => {
        this.logger.warn(`Schedule ${schedule.name}: run ${run.id} outcome not recorded: ${err.message}`);
        return false;
      });
    if (finished) this.metrics?.run(outcome.status);
  }

  /** Schedules behind by more than their period (a fire time older than one period still unclaimed). */
  async behind(): Promise<string[]> {
    const now = this.clock.now();
    const late: string[] = [];
    for (const schedule of await this.store.list()) {
      if (schedule.paused) continue;
      const floor = new Date(schedule.last_scheduled ?? schedule.since);
      const period = periodMs(schedule.cron, schedule.timezone, floor);
      const missed = fireTimesBetween(
        schedule.cron,
        schedule.timezone,
        floor,
        new Date(now.getTime() - period - this.settings().grace_ms),
        1,
      );
      if (missed.length) late.push(schedule.name);
    }
    return late;
  }

  /** Shutdown: no new claims; runs in flight finish (their leases would otherwise be taken over). */
  async drain(): Promise<void> {
    this.claiming = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.ticking) await this.ticking;
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /** Waits for the runs in flight (tests). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.inFlight.values()]);
  }
}
