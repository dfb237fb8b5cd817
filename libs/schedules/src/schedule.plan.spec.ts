import { ManualClock } from './schedules.clock';
import { dueTimes, fireTimesBetween, nextRuns, overlapDecision, parseCron, periodMs } from './schedule.plan';
import { SchedulesError } from './schedules.error';

const iso = (ds: Date[]): string[] => ds.map((d) => d.toISOString());

describe('schedule plan (croner, controllable clock)', () => {
  it('reads 6-field cron with seconds and 5-field cron', () => {
    expect(iso(nextRuns('*/2 * * * * *', 'UTC', new Date('2026-01-01T00:00:00Z'), 3))).toEqual([
      '2026-01-01T00:00:02.000Z',
      '2026-01-01T00:00:04.000Z',
      '2026-01-01T00:00:06.000Z',
    ]);
    expect(iso(nextRuns('0 16 * * 5', 'Europe/Berlin', new Date('2026-12-01T00:00:00Z'), 2))).toEqual([
      '2026-12-04T15:00:00.000Z',
      '2026-12-11T15:00:00.000Z',
    ]);
  });

  it('refuses bad cron and unknown zones with a fix in the message', () => {
    expect(() => parseCron('* * *', 'UTC')).toThrow(/3 fields; write 5/);
    expect(() => parseCron('61 * * * *', 'UTC')).toThrow(SchedulesError);
    expect(() => parseCron('* * * * *', 'Mars/Olympus')).toThrow(/not an IANA time zone/);
  });

  it('runs a 02:30 daily job once on the spring-forward day (Europe/Berlin, 2026-03-29)', () => {
    const fires = fireTimesBetween(
      '30 2 * * *',
      'Europe/Berlin',
      new Date('2026-03-28T12:00:00Z'),
      new Date('2026-03-30T12:00:00Z'),
      10,
    );
    // 02:30 does not exist on the 29th: it runs once, at 03:00 CEST (01:00Z); then 02:30 CEST.
    expect(iso(fires)).toEqual(['2026-03-29T01:00:00.000Z', '2026-03-30T00:30:00.000Z']);
  });

  it('does not run twice in the repeated fall-back hour (Europe/Berlin, 2026-10-25)', () => {
    const fires = fireTimesBetween(
      '30 2 * * *',
      'Europe/Berlin',
      new Date('2026-10-24T12:00:00Z'),
      new Date('2026-10-26T12:00:00Z'),
      10,
    );
    expect(iso(fires)).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
  });

  describe('due times', () => {
    const base = {
      cron: '0 * * * *',
      timezone: 'UTC',
      since: new Date('2026-01-01T00:00:00Z'),
      graceMs: 30_000,
    };
    it('fires on time as the clock reaches the fire time, once', () => {
      const clock = new ManualClock('2026-01-01T00:59:59Z');
      const due = (last: Date | null) =>
        dueTimes({ ...base, lastScheduled: last, now: clock.now(), catchUp: 'latest', maxCatchUp: 5 });
      expect(due(null)).toEqual([]);
      clock.advance(1000);
      expect(iso(due(null))).toEqual(['2026-01-01T01:00:00.000Z']);
      expect(due(new Date('2026-01-01T01:00:00Z'))).toEqual([]);
    });

    it('after a stop: none drops missed fires, latest keeps one, all keeps max_catch_up', () => {
      const now = new Date('2026-01-01T10:00:10Z');
      const last = new Date('2026-01-01T02:00:00Z');
      const run = (catchUp: 'none' | 'latest' | 'all') =>
        iso(dueTimes({ ...base, lastScheduled: last, now, catchUp, maxCatchUp: 3 }));
      expect(run('none')).toEqual(['2026-01-01T10:00:00.000Z']);
      expect(run('latest')).toEqual(['2026-01-01T09:00:00.000Z', '2026-01-01T10:00:00.000Z']);
      expect(run('all')).toEqual([
        '2026-01-01T07:00:00.000Z',
        '2026-01-01T08:00:00.000Z',
        '2026-01-01T09:00:00.000Z',
        '2026-01-01T10:00:00.000Z',
      ]);
    });

    it('owes nothing before `since` (created or resumed)', () => {
      const due = dueTimes({
        ...base,
        since: new Date('2026-01-01T09:30:00Z'),
        lastScheduled: new Date('2026-01-01T02:00:00Z'),
        now: new Date('2026-01-01T09:45:00Z'),
        catchUp: 'all',
        maxCatchUp: 10,
      });
      expect(due).toEqual([]);
    });
  });

  it('overlap skip skips while a run is in flight; allow starts', () => {
    expect(overlapDecision('skip', 1)).toBe('skip');
    expect(overlapDecision('skip', 0)).toBe('start');
    expect(overlapDecision('allow', 3)).toBe('start');
  });

  it('measures the period', () => {
    expect(periodMs('*/2 * * * * *', 'UTC', new Date('2026-01-01T00:00:00Z'))).toBe(2000);
    expect(periodMs('0 16 * * 5', 'UTC', new Date('2026-01-01T00:00:00Z'))).toBe(7 * 86400_000);
  });
});
