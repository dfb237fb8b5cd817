import { runWithCorrelation } from '@mira/logging';
import { Clock } from '../clock.service';
import { ReportSchedules, type ReportScheduleRequest } from '../report-schedules.service';
import { STATUS_REPORTER_AGENT_ID, StatusReporterAgent } from './status-reporter.agent';

/** A Clock frozen at a given instant. */
class FixedClock extends Clock {
  constructor(private readonly at: Date) {
    super();
  }
  override now(): Date {
    return new Date(this.at.getTime());
  }
}

// Wednesday 18 November 2026, late in the UTC day (a local-time bug would show up here).
const NOW = new Date('2026-11-18T23:30:00.000Z');

describe('StatusReporterAgent', () => {
  const agent = new StatusReporterAgent(new FixedClock(NOW));
  const report = async (data: Record<string, unknown>) => {
    const r = await agent.process({ type: 'generate_report', data });
    expect(r.status).toBe('success');
    return r.data as any;
  };
  const schedule = async (data: Record<string, unknown>) => {
    const r = await agent.process({ type: 'schedule_report', data });
    expect(r.status).toBe('success');
    return r.data as any;
  };

  describe('generate_report', () => {
    it('reports an empty project with the defaults', async () => {
      expect(await report({})).toEqual({
        project_name: 'Unknown Project',
        report_date: '2026-11-18T23:30:00.000Z',
        week_number: 1,
        summary: {
          total_tasks: 0,
          completed_tasks: 0,
          in_progress_tasks: 0,
          not_started_tasks: 0,
          completion_percentage: 0,
        },
        accomplishments: ['Completed 0 tasks this week'],
        upcoming_milestones: [],
        risks_and_blockers: [],
        next_week_plan: ['Continue work on 0 in-progress tasks'],
        generated_by: STATUS_REPORTER_AGENT_ID,
      });
    });

    it('names the summary counts completed_tasks, in_progress_tasks and not_started_tasks (reference wire names)', async () => {
      const data = await report({
        tasks: [{ status: 'completed' }, { status: 'in_progress' }, { status: 'not_started' }],
      });
      expect(Object.keys(data.summary).sort()).toEqual(
        [
          'completed_tasks',
          'completion_percentage',
          'in_progress_tasks',
          'not_started_tasks',
          'total_tasks',
        ].sort(),
      );
      expect(data.summary).toMatchObject({ completed_tasks: 1, in_progress_tasks: 1, not_started_tasks: 1 });
      expect(data.project_name).toBe('Unknown Project');
    });

    it('counts tasks by status and rounds the completion percentage to 2 decimals', async () => {
      const data = await report({
        name: 'Apollo',
        tasks: [
          { name: 'a', status: 'completed' },
          { name: 'b', status: 'in_progress' },
          { name: 'c', status: 'not_started' },
          { name: 'd', status: 'blocked' },
          { name: 'e', status: 'not_started' },
          { name: 'f', status: 'not_started' },
        ],
      });
      expect(data.project_name).toBe('Apollo');
      // 1 / 6 * 100 = 16.666...; unknown statuses count in the total only.
      expect(data.summary).toEqual({
        total_tasks: 6,
        completed_tasks: 1,
        in_progress_tasks: 1,
        not_started_tasks: 3,
        completion_percentage: 16.67,
      });
    });

    it.each([
      [2, 3, 66.67],
      [1, 3, 33.33],
      [3, 3, 100],
      [1, 8, 12.5],
    ])('%i completed of %i -> %d%%', async (done, total, pct) => {
      const tasks = Array.from({ length: total }, (_, i) => ({
        name: `t${i}`,
        status: i < done ? 'completed' : 'in_progress',
      }));
      expect((await report({ tasks })).summary.completion_percentage).toBe(pct);
    });

    it('lists milestones within [week, week + 2] inclusive as { name, week }', async () => {
      const milestones = [
        { id: 'M1', name: 'too early', week: 3 },
        { id: 'M2', name: 'start', week: 4 },
        { id: 'M3', name: 'middle', week: 5 },
        { id: 'M4', name: 'end', week: 6 },
        { id: 'M5', name: 'too late', week: 7 },
        { id: 'M6', name: 'no week' },
      ];
      expect((await report({ milestones, week_number: 4 })).upcoming_milestones).toEqual([
        { name: 'start', week: 4 },
        { name: 'middle', week: 5 },
        { name: 'end', week: 6 },
      ]);
    });

    it('keeps only high-severity risks as { id, description, severity }', async () => {
      const risks = [
        { id: 'R1', description: 'hot', severity: 'high', mitigation: 'x', status: 'identified' },
        { id: 'R2', description: 'warm', severity: 'medium' },
        { id: 'R3', description: 'cold', severity: 'low' },
        { id: 'R4', description: 'also hot', severity: 'high' },
      ];
      expect((await report({ risks })).risks_and_blockers).toEqual([
        { id: 'R1', description: 'hot', severity: 'high' },
        { id: 'R4', description: 'also hot', severity: 'high' },
      ]);
    });

    it('lists at most three completed task names as accomplishments', async () => {
      const tasks = ['one', 'two', 'three', 'four', 'five'].map((name) => ({ name, status: 'completed' }));
      expect((await report({ tasks })).accomplishments).toEqual([
        'Completed 5 tasks this week',
        'one',
        'two',
        'three',
      ]);
      expect((await report({ tasks: tasks.slice(0, 2) })).accomplishments).toEqual([
        'Completed 2 tasks this week',
        'one',
        'two',
      ]);
    });

    it.each([
      [0, 0, ['Continue work on 0 in-progress tasks']],
      [2, 1, ['Continue work on 2 in-progress tasks', 'Start 1 new tasks']],
      [1, 5, ['Continue work on 1 in-progress tasks', 'Start 5 new tasks']],
      [0, 9, ['Continue work on 0 in-progress tasks', 'Start 5 new tasks']],
    ])('next_week_plan with %i in progress and %i not started', async (inProgress, notStarted, plan) => {
      const tasks = [
        ...Array.from({ length: inProgress }, () => ({ status: 'in_progress' })),
        ...Array.from({ length: notStarted }, () => ({ status: 'not_started' })),
      ];
      expect((await report({ tasks })).next_week_plan).toEqual(plan);
    });

    it('answers an error naming a bad field', async () => {
      const r = await agent.process({ type: 'generate_report', data: { tasks: {}, week_number: 'two' } });
      expect(r).toMatchObject({ status: 'error', data: null });
      expect(r.error).toContain('tasks: ');
      expect(r.error).toContain('week_number: ');
    });
  });

  describe('schedule_report (today is Wednesday 2026-11-18 UTC)', () => {
    it('says who scheduled it as created_by (the reference wire name), not scheduled_by', async () => {
      const data = await schedule({ day_of_week: 'Monday' });
      expect(data.created_by).toBe(STATUS_REPORTER_AGENT_ID);
      expect(data).not.toHaveProperty('scheduled_by');
    });

    it('defaults to a weekly report on Friday for nobody', async () => {
      expect(await schedule({})).toEqual({
        frequency: 'weekly',
        recipients: [],
        day_of_week: 'Friday',
        next_run: expect.stringMatching(/^2026-11-20T/),
        status: 'scheduled',
        created_by: STATUS_REPORTER_AGENT_ID,
      });
    });

    it.each([
      ['Sunday', '2026-11-22', 0],
      ['Monday', '2026-11-23', 1],
      ['Tuesday', '2026-11-24', 2],
      ['Wednesday', '2026-11-25', 3],
      ['Thursday', '2026-11-19', 4],
      ['Friday', '2026-11-20', 5],
      ['Saturday', '2026-11-21', 6],
    ])('%s -> next run on %s, strictly after today', async (day, date, weekday) => {
      const data = await schedule({ day_of_week: day, frequency: 'daily', recipients: ['pm@example.com'] });
      expect(data.day_of_week).toBe(day);
      expect(data.frequency).toBe('daily');
      expect(data.recipients).toEqual(['pm@example.com']);
      const next = new Date(data.next_run);
      expect(next.toISOString()).toBe(data.next_run);
      expect(data.next_run.slice(0, 10)).toBe(date);
      expect(next.getUTCDay()).toBe(weekday);
      expect(next.getTime()).toBeGreaterThan(NOW.getTime());
      expect(data.next_run.slice(0, 10) > NOW.toISOString().slice(0, 10)).toBe(true);
    });

    it('matches the day case-insensitively and ignores surrounding blanks', async () => {
      for (const day of ['monday', 'MONDAY', ' mOnDaY ']) {
        const data = await schedule({ day_of_week: day });
        expect(data.day_of_week).toBe('Monday');
        expect(data.next_run.slice(0, 10)).toBe('2026-11-23');
      }
    });

    it('falls back to Friday for an unknown day', async () => {
      for (const day of ['Funday', '', 'Fri']) {
        const data = await schedule({ day_of_week: day });
        expect(data.day_of_week).toBe('Friday');
        expect(data.next_run.slice(0, 10)).toBe('2026-11-20');
      }
    });

    it('goes a full week ahead from every weekday for its own day', async () => {
      for (let offset = 0; offset < 7; offset++) {
        const today = new Date(Date.UTC(2026, 10, 15 + offset, 0, 0, 0)); // Sunday 15th .. Saturday 21st
        const a = new StatusReporterAgent(new FixedClock(today));
        const day = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'][offset];
        const r = await a.process({ type: 'schedule_report', data: { day_of_week: day } });
        const next = new Date((r.data as { next_run: string }).next_run);
        expect(next.getUTCDay()).toBe(offset);
        expect(next.getTime() - today.getTime()).toBe(7 * 86_400_000);
      }
    });

    it('counts days in UTC, whatever the local zone says', async () => {
      // 23:30 UTC on Wednesday is already Thursday in UTC+14: local getters must not be used.
      class Utc14Date extends Date {
        override getDay(): number {
          return (this.getUTCDay() + 1) % 7;
        }
        override getDate(): number {
          return new Date(this.getTime() + 14 * 3_600_000).getUTCDate();
        }
      }
      const a = new StatusReporterAgent({ now: () => new Utc14Date(NOW.getTime()) });
      const r = await a.process({ type: 'schedule_report', data: { day_of_week: 'Thursday' } });
      expect((r.data as { next_run: string }).next_run.slice(0, 10)).toBe('2026-11-19');
    });

    it('answers an error naming a bad field', async () => {
      const r = await agent.process({ type: 'schedule_report', data: { recipients: 'all' } });
      expect(r).toMatchObject({ status: 'error', data: null });
      expect(r.error).toContain('recipients: ');
    });
  });

  describe('schedule_report with create: true', () => {
    it('stores a weekly generate_report schedule and keeps its answer', async () => {
      const schedules = new ReportSchedules();
      const asked: ReportScheduleRequest[] = [];
      schedules.register({
        create: (r) => {
          asked.push(r);
          return Promise.resolve({ id: 'sch_1', name: r.name, next_run: '2026-11-20T15:00:00.000Z' });
        },
      });
      const withSchedules = new StatusReporterAgent(new FixedClock(NOW), undefined, schedules);
      const ask = () =>
        withSchedules.process({
          type: 'schedule_report',
          data: {
            create: true,
            name: 'apollo-weekly',
            timezone: 'Europe/Berlin',
            report: { name: 'Apollo' },
            deliveries: ['team'],
          },
        });
      // Nobody asking (a cron-run message): refused, never an agent-owned schedule.
      const anonymous = await ask();
      expect(anonymous.status).toBe('error');
      expect(anonymous.error).toMatch(/needs a requester/);
      const r = await runWithCorrelation(ask, { actor: 'alice' });
      expect(r.status).toBe('success');
      expect(r.data).toMatchObject({
        day_of_week: 'Friday',
        status: 'scheduled',
        next_run: '2026-11-20T15:00:00.000Z',
        schedule: { id: 'sch_1', name: 'apollo-weekly', cron: '0 16 * * 5' },
      });
      expect(asked).toEqual([
        {
          name: 'apollo-weekly',
          cron: '0 16 * * 5',
          timezone: 'Europe/Berlin',
          report: { name: 'Apollo' },
          deliveries: ['team'],
          owner: 'alice',
        },
      ]);
    });

    it('answers an error naming the missing module when schedules are not available', async () => {
      const r = await agent.process({ type: 'schedule_report', data: { create: true } });
      expect(r.status).toBe('error');
      expect(r.error).toMatch(/needs the schedules module/);
    });
  });
});
