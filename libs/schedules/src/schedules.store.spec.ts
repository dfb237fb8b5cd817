import type { OpenedStateSql } from '@mira/state';
import { useStateSqlEngines } from '../../state/src/state.engines.testing';
import type { ScheduleInput } from './schedules.interface';
import { SCHEDULES_MIGRATIONS } from './schedules.migrations';
import { SchedulesStore } from './schedules.store';

const engines = useStateSqlEngines(SCHEDULES_MIGRATIONS, {
  owner: 'schedules',
  databasePrefix: `sch_${process.pid}`,
});

const def: ScheduleInput = {
  name: 'weekly',
  cron: '0 16 * * 5',
  timezone: 'Europe/Berlin',
  target: { workflow_type: 'project_initialization', data: { name: 'X' } },
  deliveries: ['team'],
  overlap: 'allow',
  catch_up: 'latest',
  paused: false,
};
const T0 = new Date('2026-12-04T15:00:00.000Z');

describe.each(engines)('SchedulesStore on $name', (engine) => {
  let db: OpenedStateSql;
  let store: SchedulesStore;
  beforeEach(async () => {
    db = await engine.open();
    store = new SchedulesStore(() => db.sql);
  });
  afterEach(() => db.close());

  it('round-trips a schedule; a second one with the same name is refused', async () => {
    const s = await store.create(def, 'alice', 'api', T0);
    expect(await store.get(s.id)).toEqual(s);
    expect(await store.get('weekly')).toMatchObject({
      id: s.id,
      paused: false,
      target: def.target,
      deliveries: ['team'],
    });
    await expect(store.create(def, 'bob', 'api', T0)).rejects.toMatchObject({ code: 'SCHEDULE_NAME_TAKEN' });
    await store.setPaused(s.id, true, T0);
    expect((await store.get(s.id))!.paused).toBe(true);
  });

  it('ten concurrent claims of one (schedule, time) make one run', async () => {
    const s = await store.create(def, 'alice', 'api', T0);
    const claims = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.claimRun(s, T0, 'cron', `replica-${i}`, 60_000, T0)),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await store.runs(s.id, 10)).toHaveLength(1);
    expect((await store.get(s.id))!.last_scheduled).toBe(T0.toISOString());
  });

  it('finishes a run with its deliveries in one transaction; a rolled-back sink leaves it running', async () => {
    const s = await store.create(def, 'alice', 'api', T0);
    const run = (await store.claimRun(s, T0, 'cron', 'me', 60_000, T0))!;
    await expect(
      store.finishRun(run.id, 'me', { status: 'succeeded' }, T0, () =>
        Promise.reject(new Error('outbox down')),
      ),
    ).rejects.toThrow('outbox down');
    expect((await store.run(run.id))!.status).toBe('running');
    expect(await store.finishRun(run.id, 'other', { status: 'succeeded' }, T0, async () => [])).toBe(false);
    expect(
      await store.finishRun(
        run.id,
        'me',
        { status: 'succeeded', result: { ok: 1 }, workflow_id: 'wf-1' },
        T0,
        async () => ['msg_a'],
      ),
    ).toBe(true);
    expect(await store.run(run.id)).toMatchObject({
      status: 'succeeded',
      result: { ok: 1 },
      workflow_id: 'wf-1',
      deliveries: ['msg_a'],
    });
  });

  it('a lapsed lease is taken over by exactly one replica', async () => {
    const s = await store.create(def, 'alice', 'api', T0);
    const run = (await store.claimRun(s, T0, 'cron', 'dead', 1000, T0))!;
    const later = new Date(T0.getTime() + 5000);
    expect(await store.recoverLapsed('early', 1000, new Date(T0.getTime() + 500))).toEqual([]);
    const takers = await Promise.all(['a', 'b', 'c'].map((r) => store.recoverLapsed(r, 60_000, later)));
    expect(takers.flat().map((r) => r.id)).toEqual([run.id]);
  });

  it('overlap skip records a skipped run while another is running', async () => {
    const s = await store.create({ ...def, name: 'skip', overlap: 'skip' }, 'alice', 'api', T0);
    await store.claimRun(s, T0, 'cron', 'me', 60_000, T0);
    const second = await store.claimRun(s, new Date(T0.getTime() + 1000), 'cron', 'me', 60_000, T0);
    expect(second).toMatchObject({ status: 'skipped', error: expect.stringContaining('overlap: skip') });
  });

  it('batched claims: overlapping batches from three replicas make each run once, last_scheduled moves', async () => {
    const schedules = await Promise.all(
      Array.from({ length: 30 }, (_, i) => store.create({ ...def, name: `b${i}` }, 'alice', 'api', T0)),
    );
    const t1 = new Date(T0.getTime() + 60_000);
    const pairs = schedules.flatMap((schedule) => [
      { schedule, at: T0, trigger: 'catch_up' as const },
      { schedule, at: t1, trigger: 'cron' as const },
    ]);
    // Each replica claims the pairs in its own order, all at once.
    const won = await Promise.all(
      [0, 20, 40].map((offset, r) =>
        store.claimRuns([...pairs.slice(offset), ...pairs.slice(0, offset)], `replica-${r}`, 60_000, T0),
      ),
    );
    const ids = won.flat().map((run) => `${run.schedule_id}@${run.scheduled_time}`);
    expect(ids).toHaveLength(60);
    expect(new Set(ids).size).toBe(60);
    expect(won.flat().every((run) => run.status === 'running')).toBe(true);
    expect(await store.claimRuns(pairs, 'late', 60_000, T0)).toEqual([]);
    for (const schedule of schedules)
      expect((await store.get(schedule.id))!.last_scheduled).toBe(t1.toISOString());
  });

  it('batched claims honour overlap skip within the batch and against a running run', async () => {
    const skip = await store.create({ ...def, name: 'bskip', overlap: 'skip' }, 'alice', 'api', T0);
    const allow = await store.create({ ...def, name: 'ballow' }, 'alice', 'api', T0);
    const t1 = new Date(T0.getTime() + 1000);
    const runs = await store.claimRuns(
      [
        { schedule: skip, at: T0, trigger: 'cron' },
        { schedule: skip, at: t1, trigger: 'cron' },
        { schedule: allow, at: T0, trigger: 'cron' },
        { schedule: allow, at: t1, trigger: 'cron' },
      ],
      'me',
      60_000,
      T0,
    );
    const status = (id: string, at: Date) =>
      runs.find((r) => r.schedule_id === id && r.scheduled_time === at.toISOString())?.status;
    expect([status(skip.id, T0), status(skip.id, t1)]).toEqual(['running', 'skipped']);
    expect([status(allow.id, T0), status(allow.id, t1)]).toEqual(['running', 'running']);
    const later = await store.claimRuns(
      [{ schedule: skip, at: new Date(T0.getTime() + 2000), trigger: 'cron' }],
      'me',
      60_000,
      T0,
    );
    expect(later).toMatchObject([{ status: 'skipped', error: expect.stringContaining('overlap: skip') }]);
  });
});
