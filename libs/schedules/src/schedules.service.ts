import { Injectable, Logger } from '@nestjs/common';
import { ConfigStore } from '@mira/config';
import { DeliveriesService } from '@mira/deliveries';
import { nextRuns, parseCron, shortestGapMs } from './schedule.plan';
import { configSchedulesOf, scheduleDefinitionSchema, schedulesConfig } from './schedules.config';
import { SchedulesError } from './schedules.error';
import type { ScheduleInput, ScheduleRecord, ScheduleRun } from './schedules.interface';
import { SchedulerService } from './scheduler.service';

export interface ScheduleView extends ScheduleRecord {
  next_runs: string[];
  last_runs: ScheduleRun[];
  read_only: boolean;
}

/** Schedule management (the API's side): validation, ownership, config-owned schedules kept read-only. */
@Injectable()
export class SchedulesService {
  private readonly logger = new Logger('Schedules');

  constructor(
    private readonly scheduler: SchedulerService,
    private readonly config: ConfigStore,
    private readonly deliveries: DeliveriesService,
  ) {}

  private get store() {
    return this.scheduler.store;
  }

  /**
   * Throws SchedulesError for a cron/zone that cannot run, or that fires more often than
   * schedules.min_interval_seconds; returns the input unchanged.
   */
  validate(input: ScheduleInput): ScheduleInput {
    parseCron(input.cron, input.timezone);
    const min = this.config.section(schedulesConfig).min_interval_seconds;
    const gap = shortestGapMs(input.cron, input.timezone, this.scheduler.clock.now());
    if (gap > 0 && gap < min * 1000)
      throw new SchedulesError(
        'SCHEDULE_TOO_FREQUENT',
        `cron "${input.cron}" fires every ${gap / 1000} s; schedules.min_interval_seconds is ${min}: use a slower cron, or have the operator lower that setting`,
      );
    return input;
  }

  /** Every caller (API, schedule_report) goes through here: destinations are checked now, not at run time. */
  async create(input: ScheduleInput, owner: string): Promise<ScheduleRecord> {
    const unknown = this.deliveries.unknownDestinations(input.deliveries);
    if (unknown.length)
      throw new SchedulesError(
        'SCHEDULE_UNKNOWN_DESTINATION',
        `deliveries: unknown destination(s) ${unknown.join(', ')}; declare them under deliveries.destinations`,
      );
    if (!owner.trim())
      throw new SchedulesError(
        'SCHEDULE_NO_OWNER',
        'A schedule needs an owner (a person or API key); create it through the API as that caller',
      );
    const max = this.config.section(schedulesConfig).max_per_owner;
    if ((await this.store.countOwned(owner)) >= max)
      throw new SchedulesError(
        'SCHEDULE_LIMIT',
        `${owner} has ${max} schedules (schedules.max_per_owner); delete one, or ask the operator to raise the limit`,
      );
    return this.store.create(this.validate(input), owner, 'api', this.scheduler.clock.now());
  }

  async get(idOrName: string): Promise<ScheduleRecord> {
    const found = await this.store.get(idOrName);
    if (!found)
      throw new SchedulesError(
        'SCHEDULE_NOT_FOUND',
        `No schedule ${idOrName}; list them with GET /api/v1/schedules`,
      );
    return found;
  }

  async view(idOrName: string): Promise<ScheduleView> {
    const s = await this.get(idOrName);
    return {
      ...s,
      next_runs: s.paused
        ? []
        : nextRuns(s.cron, s.timezone, this.scheduler.clock.now(), 5).map((d) => d.toISOString()),
      last_runs: await this.store.runs(s.id, 5),
      read_only: s.source === 'config',
    };
  }

  list(): Promise<ScheduleRecord[]> {
    return this.store.list();
  }

  runs(id: string, limit = 50): Promise<ScheduleRun[]> {
    return this.store.runs(id, limit);
  }

  private writable(s: ScheduleRecord): void {
    if (s.source === 'config')
      throw new SchedulesError(
        'SCHEDULE_READ_ONLY',
        `Schedule ${s.name} is declared in the config file (schedules.${s.name}); change it there`,
      );
  }

  /**
   * `editor` other than the owner who changes the target takes the schedule over: its runs are then
   * requested by them, so an admin cannot put data in someone's schedule and approve the result.
   */
  async update(idOrName: string, input: ScheduleInput, editor?: string): Promise<ScheduleRecord> {
    const s = await this.get(idOrName);
    this.writable(s);
    const takeOver =
      editor !== undefined &&
      editor !== s.owner &&
      JSON.stringify(s.target) !== JSON.stringify(this.validate(input).target);
    const updated = await this.store.update(
      s.id,
      this.validate(input),
      this.scheduler.clock.now(),
      takeOver ? editor : undefined,
    );
    if (takeOver)
      this.logger.warn(
        `audit: schedule ${s.name} (${s.id}) target changed by ${editor}; owner ${s.owner} -> ${editor}`,
      );
    return updated;
  }

  async setPaused(idOrName: string, paused: boolean): Promise<ScheduleRecord> {
    const s = await this.get(idOrName);
    this.writable(s);
    await this.store.setPaused(s.id, paused, this.scheduler.clock.now());
    return this.get(s.id);
  }

  async remove(idOrName: string): Promise<void> {
    const s = await this.get(idOrName);
    this.writable(s);
    await this.store.remove(s.id);
  }

  /** `actor`: who triggers it; the run is requested by them. */
  async trigger(idOrName: string, actor?: string): Promise<ScheduleRun> {
    return this.scheduler.trigger(await this.get(idOrName), actor);
  }

  /**
   * Makes the stored config-owned schedules match `schedules.<name>` (start and reload): new ones
   * created, changed ones updated, removed ones deleted. A name taken by an API schedule is refused (logged).
   */
  async reconcile(): Promise<void> {
    const declared = configSchedulesOf(this.config.section(schedulesConfig));
    const now = this.scheduler.clock.now();
    const stored = await this.store.list();
    for (const [name, raw] of Object.entries(declared)) {
      const d = scheduleDefinitionSchema.parse(raw);
      const input: ScheduleInput = { name, ...d };
      const existing = stored.find((s) => s.name === name);
      try {
        this.validate(input);
        if (!existing) await this.store.create(input, d.owner, 'config', now);
        else if (existing.source !== 'config')
          this.logger.warn(`schedules.${name}: an API schedule has that name; rename one of them`);
        else if (JSON.stringify(pick(existing)) !== JSON.stringify(pick({ ...input, owner: d.owner })))
          await this.store.update(existing.id, input, now);
      } catch (err) {
        this.logger.warn(`schedules.${name} not applied: ${(err as Error).message}`);
      }
    }
    for (const s of stored) if (s.source === 'config' && !declared[s.name]) await this.store.remove(s.id);
  }
}

function pick(s: ScheduleInput & { owner?: string }) {
  return [s.cron, s.timezone, s.target, s.deliveries, s.overlap, s.catch_up, s.paused];
}
