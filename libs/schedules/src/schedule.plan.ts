import { Cron } from 'croner';
import { SchedulesError } from './schedules.error';

export type CatchUpPolicy = 'none' | 'latest' | 'all';
export type OverlapPolicy = 'skip' | 'allow';

// Enough iterations to walk a long outage of a per-second cron without looping forever.
const SCAN_LIMIT = 100_000;

/** Checks an IANA zone name with the platform's own zone data. */
export function assertTimezone(timezone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
  } catch {
    throw new SchedulesError(
      'SCHEDULE_INVALID_TIMEZONE',
      `timezone "${timezone}" is not an IANA time zone name; use one such as "Europe/Berlin" or "UTC"`,
    );
  }
}

/** A parsed cron expression (5 fields, or 6 with seconds first) in a time zone; never fires by itself. */
export function parseCron(cron: string, timezone: string): Cron {
  assertTimezone(timezone);
  const fields = cron.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) {
    throw new SchedulesError(
      'SCHEDULE_INVALID_CRON',
      `cron "${cron}" has ${fields} fields; write 5 (minute hour day month weekday) or 6 (seconds first)`,
    );
  }
  try {
    return new Cron(cron.trim(), { timezone, paused: true });
  } catch (err) {
    throw new SchedulesError(
      'SCHEDULE_INVALID_CRON',
      `cron "${cron}" is not valid (${(err as Error).message}); e.g. "0 16 * * 5" is Fridays at 16:00`,
    );
  }
}

/** The next `count` fire times strictly after `from`. DST: croner runs a skipped local time once, a repeated one once. */
export function nextRuns(cron: string, timezone: string, from: Date, count: number): Date[] {
  return parseCron(cron, timezone).nextRuns(count, from);
}

/** Fire times in (after, upTo], oldest first, at most `limit` (the newest ones are kept). */
export function fireTimesBetween(
  cron: string,
  timezone: string,
  after: Date,
  upTo: Date,
  limit: number,
): Date[] {
  const job = parseCron(cron, timezone);
  const out: Date[] = [];
  let cursor: Date | null = after;
  for (let i = 0; i < SCAN_LIMIT && cursor; i++) {
    const next: Date | null = job.nextRun(cursor);
    if (!next || next.getTime() > upTo.getTime()) break;
    out.push(next);
    if (out.length > limit) out.shift();
    cursor = next;
  }
  return out;
}

export interface DueInput {
  cron: string;
  timezone: string;
  /** The latest scheduled time already claimed, or null for a schedule that never ran. */
  lastScheduled: Date | null;
  /** When the schedule was created or resumed: nothing before it is owed. */
  since: Date;
  now: Date;
  catchUp: CatchUpPolicy;
  maxCatchUp: number;
  /** How late a fire time may be and still count as on time (a tick is not instantaneous). */
  graceMs: number;
}

/**
 * The scheduled times to claim now. On-time fires (within the grace) are always due; older missed
 * fires (downtime) follow the catch-up policy: none drops them, latest keeps the newest, all keeps
 * up to maxCatchUp newest.
 */
export function dueTimes(input: DueInput): Date[] {
  const floor = input.lastScheduled && input.lastScheduled > input.since ? input.lastScheduled : input.since;
  const window = Math.max(input.maxCatchUp, 1) + 1;
  const all = fireTimesBetween(input.cron, input.timezone, floor, input.now, window);
  const onTimeFrom = input.now.getTime() - input.graceMs;
  const onTime = all.filter((d) => d.getTime() >= onTimeFrom);
  const missed = all.filter((d) => d.getTime() < onTimeFrom);
  let kept: Date[] = [];
  if (input.catchUp === 'latest') kept = missed.slice(-1);
  else if (input.catchUp === 'all') kept = missed.slice(-Math.max(input.maxCatchUp, 0));
  // Bounded overall: an on-time fire still counts toward max_catch_up when catching up all.
  return [...kept, ...onTime];
}

/** Whether a due run starts: with overlap skip, a run still in flight makes the new one `skipped`. */
export function overlapDecision(policy: OverlapPolicy, runningCount: number): 'start' | 'skip' {
  return policy === 'skip' && runningCount > 0 ? 'skip' : 'start';
}

/** The shortest gap between consecutive fires among the next `sample` after `from` (0: fewer than two). */
export function shortestGapMs(cron: string, timezone: string, from: Date, sample = 50): number {
  const runs = nextRuns(cron, timezone, from, sample);
  let min = 0;
  for (let i = 1; i < runs.length; i++) {
    const gap = runs[i].getTime() - runs[i - 1].getTime();
    if (min === 0 || gap < min) min = gap;
  }
  return min;
}

/** The interval between two consecutive fires after `from`: what "behind by more than its period" measures. */
export function periodMs(cron: string, timezone: string, from: Date): number {
  const [a, b] = nextRuns(cron, timezone, from, 2);
  return a && b ? b.getTime() - a.getTime() : 0;
}
