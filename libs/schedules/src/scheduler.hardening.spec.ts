import { ConfigStore, loadConfig } from '@mira/config';
import { openSqliteStateSql, type StateSql } from '@mira/state';
import { ManualClock } from './schedules.clock';
import type { RunOutcome, ScheduleTargetRunner } from './schedules.interface';
import { SCHEDULES_MIGRATIONS } from './schedules.migrations';
import { SchedulerService, type DeliverySink } from './scheduler.service';

describe('SchedulerService: undeliverable runs and retention (real SQLite)', () => {
  let db: { sql: StateSql; close(): Promise<void> };
  beforeEach(async () => {
    db = await openSqliteStateSql([...SCHEDULES_MIGRATIONS]);
  });
  afterEach(() => db.close());

  it('records the outcome with the delivery problem instead of leaving the run running (re-run every lease)', async () => {
    const clock = new ManualClock('2026-01-01T00:00:00.500Z');
    let runs = 0;
    const runner: ScheduleTargetRunner = {
      run: (): Promise<RunOutcome> => Promise.resolve({ status: 'succeeded', result: { n: ++runs } }),
    };
    // What DeliveriesService.enqueue does for a destination no longer in the config.
    const sink: DeliverySink = () =>
      Promise.reject(
        new Error('Unknown delivery destination(s) gone; declare them under deliveries.destinations'),
      );
    const s = new SchedulerService(
      new ConfigStore(
        loadConfig({ file: null, env: {}, overrides: { schedules: { grace_ms: 1000, lease_ms: 1000 } } }),
      ),
      clock,
      () => db.sql,
      runner,
      sink,
      null,
    );
    const sch = await s.store.create(
      {
        name: 'orphan',
        cron: '0 0 1 1 *',
        timezone: 'UTC',
        target: { message: { type: 'generate_report', data: {} } },
        deliveries: ['gone'],
        overlap: 'skip',
        catch_up: 'latest',
        paused: false,
      },
      'alice',
      'api',
      clock.now(),
    );
    await s.trigger(sch);
    await s.settle();
    const [run] = await s.store.runs(sch.id, 5);
    expect(run).toMatchObject({ status: 'succeeded', deliveries: [], result: { n: 1 } });
    expect(run.error).toContain('deliveries not queued: Unknown delivery destination(s) gone');
    // Leases lapse: nothing is taken over and run again.
    clock.advance(5000);
    await s.tick();
    await s.settle();
    expect(runs).toBe(1);
  });

  it('prunes finished runs older than schedules.runs_retention_days on a tick; recent ones stay', async () => {
    const clock = new ManualClock('2026-01-01T00:00:00.500Z');
    const runner: ScheduleTargetRunner = { run: () => Promise.resolve({ status: 'succeeded' }) };
    const s = new SchedulerService(
      new ConfigStore(
        loadConfig({ file: null, env: {}, overrides: { schedules: { runs_retention_days: 30 } } }),
      ),
      clock,
      () => db.sql,
      runner,
      null,
      null,
    );
    const sch = await s.store.create(
      {
        name: 'yearly',
        cron: '0 0 1 1 *',
        timezone: 'UTC',
        target: { message: { type: 'generate_report', data: {} } },
        deliveries: [],
        overlap: 'allow',
        catch_up: 'none',
        paused: false,
      },
      'alice',
      'api',
      clock.now(),
    );
    await s.trigger(sch);
    await s.settle();
    clock.advance(20 * 86_400_000);
    await s.trigger(sch);
    await s.settle();
    clock.advance(11 * 86_400_000); // the first run is now 31 days old, the second 11
    await s.tick();
    const left = await s.store.runs(sch.id, 10);
    expect(left).toHaveLength(1);
    expect(left[0].started_at).toBe('2026-01-21T00:00:00.500Z');
  });
});
