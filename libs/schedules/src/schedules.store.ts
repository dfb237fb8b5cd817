import { randomUUID } from 'node:crypto';
import { StateError, type SqlRunner, type StateSql } from '@mira/state';
import type { OverlapPolicy } from './schedule.plan';
import type {
  RunOutcome,
  RunTrigger,
  ScheduleInput,
  ScheduleRecord,
  ScheduleRun,
} from './schedules.interface';
import { SchedulesError } from './schedules.error';

import { toRun, toSchedule, type Raw } from './schedules.rows';
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
const SKIPPED_REASON = 'the previous run was still running (overlap: skip)';

/** One (schedule, scheduled time) to claim. */
export interface RunClaim {
  schedule: { id: string; overlap: OverlapPolicy };
  at: Date;
  trigger: RunTrigger;
}
const isDuplicate = (err: unknown): boolean => err instanceof StateError && err.code === 'STATE_DUPLICATE';

export class SchedulesStore {
  constructor(private readonly sql: () => StateSql) {}

  async create(
    input: ScheduleInput,
    owner: string,
    source: 'api' | 'config',
    now: Date,
  ): Promise<ScheduleRecord> {
    const at = now.toISOString();
    const id = `sch_${randomUUID()}`;
    try {
      await this.sql().execute(
        `INSERT INTO schedules (id, name, cron, timezone, target, deliveries, overlap, catch_up, paused, owner, source,
                                since, last_scheduled, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL, $12, $12)`,
        [id, ...definitionParams(input), owner, source, at],
      );
    } catch (err) {
      if (isDuplicate(err))
        throw new SchedulesError(
          'SCHEDULE_NAME_TAKEN',
          `A schedule named "${input.name}" exists; pick another name`,
        );
      throw err;
    }
    return (await this.get(id)) as ScheduleRecord;
  }

  /**
   * Replaces the definition; `since` moves to now when the timing changes, so no run is owed for
   * the old cron. `owner`, when given, takes the schedule over (its runs are then requested by them).
   */
  async update(id: string, input: ScheduleInput, now: Date, owner?: string): Promise<ScheduleRecord> {
    const at = now.toISOString();
    await this.sql()
      .execute(
        `UPDATE schedules SET name = $2, cron = $3, timezone = $4, target = $5, deliveries = $6, overlap = $7, catch_up = $8,
              paused = $9, updated_at = $10, owner = COALESCE($11, owner),
              since = CASE WHEN cron <> $3 OR timezone <> $4 OR paused <> $9 THEN $10 ELSE since END
        WHERE id = $1`,
        [id, ...definitionParams(input), at, owner ?? null],
      )
      .catch((err: unknown) => {
        if (isDuplicate(err))
          throw new SchedulesError(
            'SCHEDULE_NAME_TAKEN',
            `A schedule named "${input.name}" exists; pick another name`,
          );
        throw err;
      });
    return (await this.get(id)) as ScheduleRecord;
  }

  /** Records who asked for a manual run (right after its claim, before it runs). */
  async setRequestedBy(runId: string, actor: string): Promise<void> {
    await this.sql().execute('UPDATE schedule_runs SET requested_by = $2 WHERE id = $1', [runId, actor]);
  }

  async setPaused(id: string, paused: boolean, now: Date): Promise<void> {
    const at = now.toISOString();
    // Resuming owes nothing for the paused time.
    await this.sql().execute(
      `UPDATE schedules SET paused = $2, updated_at = $3, since = CASE WHEN $2 = 0 THEN $3 ELSE since END WHERE id = $1`,
      [id, paused ? 1 : 0, at],
    );
  }

  async remove(id: string): Promise<void> {
    await this.sql().transaction(async (tx) => {
      await tx.execute('DELETE FROM schedule_runs WHERE schedule_id = $1', [id]);
      await tx.execute('DELETE FROM schedules WHERE id = $1', [id]);
    });
  }

  /** By id first, then by name: a schedule named like another's id never shadows it. */
  async get(idOrName: string): Promise<ScheduleRecord | null> {
    const [byId] = await this.sql().query<Raw>('SELECT * FROM schedules WHERE id = $1', [idOrName]);
    if (byId) return toSchedule(byId);
    const [byName] = await this.sql().query<Raw>('SELECT * FROM schedules WHERE name = $1', [idOrName]);
    return byName ? toSchedule(byName) : null;
  }

  /** API schedules of `owner` (config-declared ones are the operator's, never counted). */
  async countOwned(owner: string): Promise<number> {
    const [row] = await this.sql().query<Raw>(
      `SELECT COUNT(*) AS n FROM schedules WHERE owner = $1 AND source = 'api'`,
      [owner],
    );
    return Number(row?.n ?? 0);
  }

  /** Deletes up to `limit` finished runs that finished before `before`; returns how many. */
  async pruneRuns(before: Date, limit: number): Promise<number> {
    const { changes } = await this.sql().execute(
      `DELETE FROM schedule_runs WHERE id IN (
         SELECT id FROM schedule_runs WHERE status <> 'running' AND finished_at IS NOT NULL AND finished_at < $1 LIMIT $2)`,
      [before.toISOString(), limit],
    );
    return changes;
  }

  async list(): Promise<ScheduleRecord[]> {
    return (await this.sql().query<Raw>('SELECT * FROM schedules ORDER BY name')).map(toSchedule);
  }

  /**
   * Claims the run of (schedule, scheduledTime) in one transaction: the unique key makes a second
   * replica's claim a no-op (null). With overlap skip and a run in flight, the claimed run is `skipped`.
   */
  async claimRun(
    schedule: { id: string; overlap: OverlapPolicy },
    scheduledTime: Date,
    trigger: RunTrigger,
    owner: string,
    leaseMs: number,
    now: Date,
  ): Promise<ScheduleRun | null> {
    const at = now.toISOString();
    const scheduled = scheduledTime.toISOString();
    const id = `run_${randomUUID()}`;
    try {
      return await this.sql().transaction(async (tx) => {
        const [busy] = await tx.query<Raw>(
          `SELECT COUNT(*) AS n FROM schedule_runs WHERE schedule_id = $1 AND status = 'running'`,
          [schedule.id],
        );
        const skip = schedule.overlap === 'skip' && Number(busy?.n ?? 0) > 0;
        await tx.execute(
          `INSERT INTO schedule_runs (id, schedule_id, scheduled_time, trigger, status, claimed_by, lease_until, started_at,
                                      finished_at, error)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
          [
            id,
            schedule.id,
            scheduled,
            trigger,
            skip ? 'skipped' : 'running',
            owner,
            new Date(now.getTime() + leaseMs).toISOString(),
            at,
            skip ? at : null,
            skip ? SKIPPED_REASON : null,
          ],
        );
        if (trigger !== 'manual')
          await tx.execute(
            `UPDATE schedules SET last_scheduled = $2 WHERE id = $1 AND (last_scheduled IS NULL OR last_scheduled < $2)`,
            [schedule.id, scheduled],
          );
        const [row] = await tx.query<Raw>('SELECT * FROM schedule_runs WHERE id = $1', [id]);
        return toRun(row);
      });
    } catch (err) {
      if (isDuplicate(err)) return null;
      throw err;
    }
  }

  /**
   * Claims many (schedule, time) runs in one transaction: one multi-row INSERT ... ON CONFLICT
   * (schedule_id, scheduled_time) DO NOTHING RETURNING (PostgreSQL and SQLite alike), so the unique
   * key still makes every run fire once across replicas, but a tick costs one round trip per
   * batch instead of a transaction per run. Answers only the runs this call inserted (the others
   * were claimed by another replica). Overlap skip: a schedule with a run in flight, or with an
   * earlier time in the same batch, gets `skipped` runs.
   */
  async claimRuns(
    claims: readonly RunClaim[],
    owner: string,
    leaseMs: number,
    now: Date,
  ): Promise<ScheduleRun[]> {
    if (claims.length === 0) return [];
    const at = now.toISOString();
    const lease = new Date(now.getTime() + leaseMs).toISOString();
    const ids = [...new Set(claims.map((c) => c.schedule.id))];
    const list = (from: number, n: number) => Array.from({ length: n }, (_, i) => `$${from + i}`).join(', ');
    return this.sql().transaction(async (tx) => {
      const busyRows = await tx.query<Raw>(
        `SELECT schedule_id, COUNT(*) AS n FROM schedule_runs WHERE status = 'running' AND schedule_id IN (${list(1, ids.length)})
          GROUP BY schedule_id`,
        ids,
      );
      const busy = new Set(busyRows.filter((r) => Number(r.n) > 0).map((r) => String(r.schedule_id)));
      const params: unknown[] = [];
      const values: string[] = [];
      // Inserted in key order: concurrent batches of other replicas then take the unique-key locks in
      // the same order and wait for each other instead of deadlocking (PostgreSQL).
      const ordered = [...claims].sort(
        (a, b) => cmp(a.schedule.id, b.schedule.id) || a.at.getTime() - b.at.getTime(),
      );
      for (const c of ordered) {
        const skip = c.schedule.overlap === 'skip' && busy.has(c.schedule.id);
        if (c.schedule.overlap === 'skip') busy.add(c.schedule.id);
        values.push(`(${list(params.length + 1, 10)})`);
        params.push(
          `run_${randomUUID()}`,
          c.schedule.id,
          c.at.toISOString(),
          c.trigger,
          skip ? 'skipped' : 'running',
          owner,
          lease,
          at,
          skip ? at : null,
          skip ? SKIPPED_REASON : null,
        );
      }
      const rows = await tx.query<Raw>(
        `INSERT INTO schedule_runs (id, schedule_id, scheduled_time, trigger, status, claimed_by, lease_until, started_at,
                                    finished_at, error)
         VALUES ${values.join(', ')}
         ON CONFLICT (schedule_id, scheduled_time) DO NOTHING
         RETURNING *`,
        params,
      );
      const latest = new Map<string, string>();
      for (const r of rows) {
        if (r.trigger === 'manual') continue;
        const id = String(r.schedule_id);
        const t = String(r.scheduled_time);
        if (!latest.has(id) || latest.get(id)! < t) latest.set(id, t);
      }
      if (latest.size > 0) {
        // One UPDATE for the batch: CASE maps each schedule to its latest claimed time.
        const p: unknown[] = [];
        const cases = [...latest].map(([id, t]) => {
          p.push(id, t);
          return `WHEN $${p.length - 1} THEN $${p.length}`;
        });
        const expr = `CASE id ${cases.join(' ')} END`;
        await tx.execute(
          `UPDATE schedules SET last_scheduled = ${expr}
            WHERE id IN (${[...latest.keys()].map((_, i) => `$${2 * i + 1}`).join(', ')})
              AND (last_scheduled IS NULL OR last_scheduled < ${expr})`,
          p,
        );
      }
      return rows.map(toRun);
    });
  }

  /** Extends the lease of a run this replica executes. */
  async heartbeat(runId: string, owner: string, leaseMs: number, now: Date): Promise<boolean> {
    const { changes } = await this.sql().execute(
      `UPDATE schedule_runs SET lease_until = $3 WHERE id = $1 AND claimed_by = $2 AND status = 'running'`,
      [runId, owner, new Date(now.getTime() + leaseMs).toISOString()],
    );
    return changes === 1;
  }

  /** Takes over runs whose replica died (lease lapsed), by conditional UPDATE: one taker each. */
  async recoverLapsed(owner: string, leaseMs: number, now: Date): Promise<ScheduleRun[]> {
    const at = now.toISOString();
    const lapsed = await this.sql().query<Raw>(
      `SELECT id FROM schedule_runs WHERE status = 'running' AND lease_until < $1 LIMIT 50`,
      [at],
    );
    const taken: ScheduleRun[] = [];
    for (const { id } of lapsed) {
      const { changes } = await this.sql().execute(
        `UPDATE schedule_runs SET claimed_by = $2, lease_until = $3 WHERE id = $1 AND status = 'running' AND lease_until < $4`,
        [id, owner, new Date(now.getTime() + leaseMs).toISOString(), at],
      );
      if (changes === 1) {
        const [row] = await this.sql().query<Raw>('SELECT * FROM schedule_runs WHERE id = $1', [id]);
        if (row) taken.push(toRun(row));
      }
    }
    return taken;
  }

  /**
   * Records a run's outcome; `beside` writes in the same transaction (the outbox rows of its
   * deliveries), so a result and its deliveries commit together. False when another replica holds it.
   */
  async finishRun(
    runId: string,
    owner: string,
    outcome: RunOutcome,
    now: Date,
    beside: (tx: SqlRunner) => Promise<string[]>,
  ): Promise<boolean> {
    return this.sql().transaction(async (tx) => {
      const { changes } = await tx.execute(
        `UPDATE schedule_runs SET status = $3, finished_at = $4, workflow_id = $5, result = $6, error = $7, lease_until = NULL
          WHERE id = $1 AND claimed_by = $2 AND status = 'running'`,
        [
          runId,
          owner,
          outcome.status,
          now.toISOString(),
          outcome.workflow_id ?? null,
          outcome.result === undefined ? null : JSON.stringify(outcome.result),
          outcome.error ?? null,
        ],
      );
      if (changes !== 1) return false;
      const ids = await beside(tx);
      await tx.execute('UPDATE schedule_runs SET deliveries = $2 WHERE id = $1', [
        runId,
        JSON.stringify(ids),
      ]);
      return true;
    });
  }

  async runs(scheduleId: string, limit: number): Promise<ScheduleRun[]> {
    const rows = await this.sql().query<Raw>(
      'SELECT * FROM schedule_runs WHERE schedule_id = $1 ORDER BY scheduled_time DESC LIMIT $2',
      [scheduleId, limit],
    );
    return rows.map(toRun);
  }

  async run(runId: string): Promise<ScheduleRun | null> {
    const [row] = await this.sql().query<Raw>('SELECT * FROM schedule_runs WHERE id = $1', [runId]);
    return row ? toRun(row) : null;
  }
}

/** The definition's columns in statement order (name, cron, timezone, target, deliveries, overlap, catch_up, paused). */
function definitionParams(input: ScheduleInput): unknown[] {
  return [
    input.name,
    input.cron,
    input.timezone,
    JSON.stringify(input.target),
    JSON.stringify(input.deliveries),
    input.overlap,
    input.catch_up,
    input.paused ? 1 : 0,
  ];
}
