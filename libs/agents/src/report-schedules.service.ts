import { Injectable } from '@nestjs/common';

/** What `schedule_report` with `create: true` asks for: a weekly generate_report run. */
export interface ReportScheduleRequest {
  name: string;
  cron: string;
  timezone: string;
  report: Record<string, unknown>;
  deliveries: string[];
  owner: string;
}

export interface ReportScheduleCreator {
  create(request: ReportScheduleRequest): Promise<{ id: string; name: string; next_run: string | null }>;
}

/**
 * Where the status reporter stores real schedules. Filled by the schedules module at start (agents
 * cannot depend on it: schedules run agents); empty in an app without schedules.
 */
@Injectable()
export class ReportSchedules {
  private creator: ReportScheduleCreator | null = null;

  register(creator: ReportScheduleCreator): void {
    this.creator = creator;
  }

  get available(): ReportScheduleCreator | null {
    return this.creator;
  }
}
