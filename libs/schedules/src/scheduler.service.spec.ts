import { ConfigStore, loadConfig } from '@mira/config';
import { openSqliteStateSql, type StateSql } from '@mira/state';
import { ManualClock } from './schedules.clock';
import type {
  RunOutcome,
  ScheduleInput,
  ScheduleRecord,
  ScheduleRun,
  ScheduleTargetRunner,
} from './schedules.interface';
import { SCHEDULES_MIGRATIONS } from './schedules.migrations';
import { SchedulerService, type DeliverySink } from './scheduler.service';

/** A runner the test finishes by hand, so overlap and leases can be observed. */
class HeldRunner implements ScheduleTargetRunner {
  readonly calls: ScheduleRun[] = [];
  private releases: ((o: RunOutcome) => void)[] = [];
  hold = false;
  run(_s: ScheduleRecord, run: ScheduleRun): Promise<RunOutcome> {
    this.calls.push(run);
    if (!this.hold) return Promise.resolve({ status: 'succeeded', result: { n: this.calls.length } });
    return new Promise((resolve) => this.releases.push(resolve));
  }
  releaseAll(): void {
    for (const r of this.releases.splice(0)) r({ status: 'succeeded', result: { ok: true } });
  }
}

const def = (over: Partial<ScheduleInput> = {}): ScheduleInput => ({
  name: 'every-2s',
  cron: '*/2 * * * * *',
  timezone: 'UTC',
  target: { message: { type: 'generate_report', data: { name: 'Apollo' } } },
  deliveries: [],
  overlap: 'skip',
  catch_up: 'latest',
  paused: false,
  ...over,
});

describe('SchedulerService (controllable clock, real SQLite)', () => {
  let db: { sql: StateSql; close(): Promise<void> };
  let clock: ManualClock;
  let runner: HeldRunner;
  const sinkCalls: unknown[] = [];
  const sink: DeliverySink = async (tx, destinations, request) => {
    sinkCalls.push({ destinations, request });
    // Proves the sink runs inside the run's transaction: the run row is already finished there.
    const [row] = await tx.query<{ status: string }>('SELECT status FROM schedule_runs WHERE id = $1', [
      (request.data as { run_id: string }).run_id,
    ]);
    return [`msg_for_${row.status}`];
  };

  const make = (settings: Record<string, unknown> = {}) =>
    new SchedulerService(
      new ConfigStore(
        loadConfig({ file: null, env: {}, overrides: { schedules: { grace_ms: 1000, ...settings } } }),
      ),
      clock,
      () => db.sql,
      runner,
      sink,
      null,
    );

  beforeEach(async () => {
    db = await openSqliteStateSql([...SCHEDULES_MIGRATIONS]);
    clock = new ManualClock('2026-01-01T00:00:00.500Z');
    runner = new HeldRunner();
    sinkCalls.length = 0;
  });
  afterEach(() => db.close());

  it('fires each 2-second slot once as the clock moves, and two schedulers never double-fire', async () => {
    const a = make();
    const b = make();
    await a.store.create(def(), 'alice', 'api', clock.now());
    for (let i = 0; i < 5; i++) {
      clock.advance(1000);
      await Promise.all([a.tick(), b.tick()]);
      await Promise.all([a.settle(), b.settle()]);
    }
    const runs = await a.store.runs((await a.store.get('every-2s'))!.id, 50);
    expect(runs.map((r) => r.scheduled_time).sort()).toEqual([
      '2026-01-01T00:00:02.000Z',
      '2026-01-01T00:00:04.000Z',
    ]);
    expect(runs.every((r) => r.status === 'succeeded')).toBe(true);
    expect(runner.calls).toHaveLength(2);
  });

  it('overlap skip: a slot due while the previous run is in flight is recorded skipped', async () => {
    const s = make();
    await s.store.create(def(), 'alice', 'api', clock.now());
    runner.hold = true;
    clock.set('2026-01-01T00:00:02.000Z');
    await s.tick();
    clock.set('2026-01-01T00:00:04.000Z');
    await s.tick();
    runner.releaseAll();
    await s.settle();
    const runs = await s.store.runs((await s.store.get('every-2s'))!.id, 10);
    expect(runs.map((r) => [r.scheduled_time.slice(17, 19), r.status])).toEqual([
      ['04', 'skipped'],
      ['02', 'succeeded'],
    ]);
  });

  it('catch-up after a stop: latest runs the newest missed slot; all runs up to max_catch_up', async () => {
    const s = make({ max_catch_up: 3 });
    await s.store.create(def({ name: 'latest', cron: '0 * * * * *' }), 'a', 'api', clock.now());
    await s.store.create(
      def({ name: 'all', cron: '0 * * * * *', catch_up: 'all', overlap: 'allow' }),
      'a',
      'api',
      clock.now(),
    );
    await s.store.create(
      def({ name: 'none', cron: '0 * * * * *', catch_up: 'none' }),
      'a',
      'api',
      clock.now(),
    );
    clock.set('2026-01-01T00:10:30.000Z'); // down for 10 minutes, between slots
    await s.tick();
    await s.settle();
    const times = async (name: string) =>
      (await s.store.runs((await s.store.get(name))!.id, 20)).map(
        (r) => `${r.scheduled_time.slice(14, 16)}:${r.trigger}`,
      );
    expect(await times('latest')).toEqual(['10:catch_up']);
    expect(await times('all')).toEqual(['10:catch_up', '09:catch_up', '08:catch_up']);
    expect(await times('none')).toEqual([]);
  });

  it('pause stops runs; resume owes nothing for the paused time; trigger runs now', async () => {
    const s = make();
    const sch = await s.store.create(def({ cron: '0 * * * * *' }), 'a', 'api', clock.now());
    await s.store.setPaused(sch.id, true, clock.now());
    clock.set('2026-01-01T00:05:00.200Z');
    await s.tick();
    expect(await s.store.runs(sch.id, 10)).toEqual([]);
    await s.store.setPaused(sch.id, false, clock.now());
    await s.tick();
    expect(await s.store.runs(sch.id, 10)).toEqual([]);
    clock.set('2026-01-01T00:06:00.100Z');
    await s.tick();
    const manual = await s.trigger((await s.store.get(sch.id))!);
    await s.settle();
    const runs = await s.store.runs(sch.id, 10);
    expect(runs.map((r) => r.trigger).sort()).toEqual(['cron', 'manual']);
    expect(manual.scheduled_time).toBe('2026-01-01T00:06:00.100Z');
  });

  it('a run whose replica died is taken over once its lease lapses', async () => {
    const dead = make({ lease_ms: 5000 });
    await dead.store.create(def({ cron: '0 * * * * *' }), 'a', 'api', clock.now());
    runner.hold = true;
    clock.set('2026-01-01T00:01:00.000Z');
    await dead.tick(); // claimed, never finished: this replica "dies"
    runner.hold = false;
    const survivor = make({ lease_ms: 5000 });
    clock.advance(3000);
    await survivor.tick();
    await survivor.settle();
    expect(runner.calls).toHaveLength(1);
    clock.advance(3000);
    await survivor.tick();
    await survivor.settle();
    const [run] = await survivor.store.runs((await survivor.store.get('every-2s'))!.id, 5);
    expect(runner.calls.map((r) => r.id)).toEqual([run.id, run.id]);
    expect(run.status).toBe('succeeded');
  });

  it("writes the run's deliveries in the run's own transaction", async () => {
    const s = make();
    await s.store.create(def({ deliveries: ['team-slack'] }), 'a', 'api', clock.now());
    clock.set('2026-01-01T00:00:02.000Z');
    await s.tick();
    await s.settle();
    const [run] = await s.store.runs((await s.store.get('every-2s'))!.id, 1);
    expect(run.deliveries).toEqual(['msg_for_succeeded']);
    expect(sinkCalls).toEqual([
      expect.objectContaining({
        destinations: ['team-slack'],
        request: expect.objectContaining({ type: 'schedule.run.succeeded' }),
      }),
    ]);
  });

  it('reports a schedule behind by more than its period', async () => {
    const s = make();
    await s.store.create(def({ cron: '0 * * * * *' }), 'a', 'api', clock.now());
    clock.set('2026-01-01T00:01:30.000Z');
    expect(await s.behind()).toEqual([]);
    clock.set('2026-01-01T00:03:30.000Z');
    expect(await s.behind()).toEqual(['every-2s']);
    await s.tick();
    expect(await s.behind()).toEqual([]);
  });
});
