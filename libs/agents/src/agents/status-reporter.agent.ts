import { Inject, Injectable, Optional } from '@nestjs/common';
import { currentCorrelation } from '@mira/logging';
import { z } from 'zod';
import { Agent } from '../agent.decorator';
import { BaseAgent, parseInput } from '../base.agent';
import { AGENT_INPUT_LIMITS, list, text } from './input-limits';
import { Clock } from '../clock.service';
import { AgentError } from '../agent.error';
import { ReportSchedules } from '../report-schedules.service';
import { round2 } from './risk-assessment.agent';
import { PROJECT_DATA, withProjectData, type ProjectDataSource } from './project-data';

export const STATUS_REPORTER_AGENT_ID = 'status_reporter_agent';

export const WEEKDAYS = [
  'Sunday',
  'Monday',
  'Tuesday',
  'Wednesday',
  'Thursday',
  'Friday',
  'Saturday',
] as const;

const task = z.looseObject({ name: z.string().optional(), status: z.string().optional() });
const milestone = z.looseObject({ name: z.string().optional(), week: z.number().optional() });
const risk = z.looseObject({
  id: z.string().optional(),
  description: z.string().optional(),
  severity: z.string().optional(),
});

const reportSchema = z.looseObject({
  // A stored project (@mira/projects): its tasks stand in for `tasks`, and the report says how fresh each source is.
  project: text(AGENT_INPUT_LIMITS.name_chars).optional(),
  name: text(AGENT_INPUT_LIMITS.name_chars).default('Unknown Project'),
  tasks: list(task, AGENT_INPUT_LIMITS.tasks).default([]),
  milestones: list(milestone, AGENT_INPUT_LIMITS.milestones).default([]),
  risks: list(risk, AGENT_INPUT_LIMITS.risks).default([]),
  week_number: z.number().int().min(0).default(1),
});

const scheduleSchema = z.looseObject({
  frequency: text(AGENT_INPUT_LIMITS.short_text_chars).default('weekly'),
  recipients: list(text(AGENT_INPUT_LIMITS.recipient_chars), AGENT_INPUT_LIMITS.recipients).default([]),
  day_of_week: text(AGENT_INPUT_LIMITS.short_text_chars).default('Friday'),
  // true: store a real weekly schedule of generate_report (needs the schedules module).
  create: z.boolean().default(false),
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/)
    .optional(),
  hour: z.number().int().min(0).max(23).default(16),
  timezone: text(AGENT_INPUT_LIMITS.short_text_chars).default('UTC'),
  // The generate_report input each run uses.
  report: z.record(z.string(), z.unknown()).default({}),
  // deliveries.destinations.<name> to send each report to.
  deliveries: list(text(AGENT_INPUT_LIMITS.short_text_chars), AGENT_INPUT_LIMITS.recipients).default([]),
});

const reportOutputSchema = z.object({
  project_name: z.string(),
  report_date: z.string(),
  week_number: z.number().int(),
  summary: z.object({
    total_tasks: z.number().int(),
    completed_tasks: z.number().int(),
    in_progress_tasks: z.number().int(),
    not_started_tasks: z.number().int(),
    completion_percentage: z.number(),
    blocked_tasks: z.number().int().optional(),
  }),
  accomplishments: z.array(z.string()),
  upcoming_milestones: z.array(z.object({ name: z.string().nullable(), week: z.number() })),
  risks_and_blockers: z.array(
    z.object({ id: z.string().nullable(), description: z.string().nullable(), severity: z.string() }),
  ),
  next_week_plan: z.array(z.string()),
  generated_by: z.string(),
  sources: z
    .array(
      z.object({
        source: z.string(),
        last_synced_at: z.string().nullable(),
        last_status: z.string().nullable(),
        last_error: z.string().nullable(),
        stale: z.boolean(),
      }),
    )
    .optional(),
  stale_sources: z.array(z.string()).optional(),
});
const scheduleOutputSchema = z.object({
  frequency: z.string(),
  recipients: z.array(z.string()),
  day_of_week: z.enum(WEEKDAYS),
  next_run: z.string(),
  status: z.literal('scheduled'),
  created_by: z.string(),
  // With create: true, the stored schedule.
  schedule: z
    .object({ id: z.string(), name: z.string(), cron: z.string(), next_run: z.string().nullable() })
    .optional(),
});

@Injectable()
@Agent({
  id: STATUS_REPORTER_AGENT_ID,
  messageTypes: ['generate_report', 'schedule_report'],
  description: 'Writes and schedules status reports',
  schemas: {
    generate_report: {
      summary: 'A weekly report: task counts by status, accomplishments, milestones due, high risks',
      input: reportSchema,
      output: reportOutputSchema,
      example: {
        name: 'Apollo',
        week_number: 2,
        tasks: [
          { name: 'Design API', status: 'completed' },
          { name: 'Build API', status: 'in_progress' },
        ],
        milestones: [{ name: 'Beta', week: 3 }],
        risks: [{ id: 'R1', description: 'Vendor delay', severity: 'high' }],
      },
    },
    schedule_report: {
      summary: 'Schedules a recurring report; next_run is the next given weekday (UTC)',
      input: scheduleSchema,
      output: scheduleOutputSchema,
      example: { frequency: 'weekly', recipients: ['pm@example.com'], day_of_week: 'Friday' },
    },
  },
})
export class StatusReporterAgent extends BaseAgent {
  protected readonly handlers = {
    generate_report: (data: unknown) => this.reportWithProject(data),
    schedule_report: (data: unknown) => this.scheduleReport(data),
  };

  constructor(
    private readonly clock: Clock,
    @Optional() @Inject(PROJECT_DATA) private readonly projects?: ProjectDataSource,
    @Optional() private readonly schedules?: ReportSchedules,
  ) {
    super();
  }

  /** `{ project }`: the stored tasks, blocked ones counted, and each source's last sync with stale ones flagged. */
  async reportWithProject(data: unknown) {
    const { data: input, project } = await withProjectData(this.projects, data, 'generate_report');
    const report = this.generateReport(input);
    if (!project) return report;
    return {
      ...report,
      summary: {
        ...report.summary,
        blocked_tasks: project.tasks.filter((t) => t.status === 'blocked').length,
      },
      sources: project.sources,
      stale_sources: project.sources.filter((s) => s.stale).map((s) => s.source),
    };
  }

  generateReport(data: unknown) {
    const { name, tasks, milestones, risks, week_number } = parseInput(reportSchema, data, 'generate_report');
    const completed = tasks.filter((t) => t.status === 'completed');
    const inProgress = tasks.filter((t) => t.status === 'in_progress');
    const notStarted = tasks.filter((t) => t.status === 'not_started');
    const next_week_plan = [`Continue work on ${inProgress.length} in-progress tasks`];
    if (notStarted.length > 0) next_week_plan.push(`Start ${Math.min(notStarted.length, 5)} new tasks`);
    return {
      project_name: name,
      report_date: this.clock.now().toISOString(),
      week_number,
      summary: {
        total_tasks: tasks.length,
        completed_tasks: completed.length,
        in_progress_tasks: inProgress.length,
        not_started_tasks: notStarted.length,
        completion_percentage: tasks.length ? round2((completed.length / tasks.length) * 100) : 0,
      },
      accomplishments: [
        `Completed ${completed.length} tasks this week`,
        ...completed.slice(0, 3).map((t) => t.name ?? 'Unnamed task'),
      ],
      upcoming_milestones: milestones
        .filter((m) => typeof m.week === 'number' && m.week >= week_number && m.week <= week_number + 2)
        .map((m) => ({ name: m.name ?? null, week: m.week })),
      risks_and_blockers: risks
        .filter((r) => r.severity === 'high')
        .map((r) => ({ id: r.id ?? null, description: r.description ?? null, severity: r.severity })),
      next_week_plan,
      generated_by: this.id,
    };
  }

  scheduleReport(data: unknown) {
    const input = parseInput(scheduleSchema, data, 'schedule_report');
    const answer = this.scheduleAnswer(input);
    return input.create ? this.storeSchedule(input, answer) : answer;
  }

  private async storeSchedule(
    input: z.output<typeof scheduleSchema>,
    answer: ReturnType<StatusReporterAgent['scheduleAnswer']>,
  ) {
    const creator = this.schedules?.available;
    if (!creator)
      throw new AgentError('AGENT_INVALID_INPUT', 'schedule_report: create needs the schedules module');
    // Fail closed: with nobody asking (a scheduled message, an anonymous publish) the schedule
    // would be the agent's own, runs nobody answers for.
    const owner = currentCorrelation()?.actor;
    if (!owner)
      throw new AgentError(
        'AGENT_INVALID_INPUT',
        'schedule_report: create needs a requester; send it through the API, or publish it with the x-mira-actor header',
      );
    const cron = `0 ${input.hour} * * ${WEEKDAYS.indexOf(answer.day_of_week)}`;
    const created = await creator.create({
      name: input.name ?? `weekly-report-${answer.day_of_week.toLowerCase()}-${Date.now().toString(36)}`,
      cron,
      timezone: input.timezone,
      report: input.report,
      deliveries: input.deliveries,
      // The asker owns it (their runs follow separation of duties).
      owner,
    });
    return {
      ...answer,
      next_run: created.next_run ?? answer.next_run,
      schedule: { id: created.id, name: created.name, cron, next_run: created.next_run },
    };
  }

  private scheduleAnswer({ frequency, recipients, day_of_week }: z.output<typeof scheduleSchema>) {
    const found = WEEKDAYS.findIndex((d) => d.toLowerCase() === day_of_week.trim().toLowerCase());
    const target = found === -1 ? WEEKDAYS.indexOf('Friday') : found;
    const now = this.clock.now();
    let ahead = (target - now.getUTCDay() + 7) % 7;
    if (ahead === 0) ahead = 7;
    const next = new Date(now.getTime() + ahead * 86_400_000);
    return {
      frequency,
      recipients,
      day_of_week: WEEKDAYS[target],
      next_run: next.toISOString(),
      status: 'scheduled',
      created_by: this.id,
    };
  }
}
