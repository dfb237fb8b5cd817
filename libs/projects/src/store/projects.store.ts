import { StateError, type SqlRunner, type StateSql } from '@mira/state';
import { ProjectsError } from '../projects.error';
import type { NormalisedTask, TaskStatus } from '../task.interface';

export interface StoredProject {
  name: string;
  definition: Record<string, unknown>;
  created_by: string;
  created_at: string;
}

export interface SyncState {
  source: string;
  cursor: Record<string, unknown> | null;
  last_sync_at: string | null;
  last_success_at: string | null;
  last_status: 'success' | 'error' | null;
  last_items: number;
  last_error: string | null;
}

export interface TaskPage {
  tasks: NormalisedTask[];
  total: number;
}

type Row = Record<string, unknown>;

/** Projects, their tasks, sync state and sync leases, in the state store (SQLite or PostgreSQL, same SQL). */
export class ProjectsStore {
  constructor(private readonly sql: StateSql) {}

  async createProject(p: StoredProject): Promise<void> {
    try {
      await this.sql.execute(
        'INSERT INTO projects (name, definition, created_by, created_at) VALUES ($1, $2, $3, $4)',
        [p.name, JSON.stringify(p.definition), p.created_by, p.created_at],
      );
    } catch (err) {
      if (err instanceof StateError && err.code === 'STATE_DUPLICATE')
        throw new ProjectsError(
          'PROJECTS_DUPLICATE',
          `project ${p.name} exists already: choose another name`,
        );
      throw err;
    }
  }

  async listProjects(): Promise<StoredProject[]> {
    const rows = await this.sql.query<Row>(
      'SELECT name, definition, created_by, created_at FROM projects ORDER BY name',
    );
    return rows.map((r) => ({
      name: String(r.name),
      definition: JSON.parse(String(r.definition)) as Record<string, unknown>,
      created_by: String(r.created_by),
      created_at: String(r.created_at),
    }));
  }

  /** Inserts or replaces tasks in one transaction. */
  async upsertTasks(project: string, tasks: readonly NormalisedTask[]): Promise<void> {
    if (!tasks.length) return;
    await this.sql.transaction(async (tx) => {
      for (const t of tasks) await upsert(tx, project, t);
    });
  }

  async deleteTasks(project: string, source: string, ids: readonly string[]): Promise<number> {
    let n = 0;
    for (const id of ids)
      n += (
        await this.sql.execute(
          'DELETE FROM project_tasks WHERE project = $1 AND source = $2 AND external_id = $3',
          [project, source, id],
        )
      ).changes;
    return n;
  }

  async tasks(
    project: string,
    opts: { limit: number; offset: number; status?: TaskStatus; source?: string },
  ): Promise<TaskPage> {
    const where = ['project = $1'];
    const params: unknown[] = [project];
    if (opts.status) where.push(`status = $${params.push(opts.status)}`);
    if (opts.source) where.push(`source = $${params.push(opts.source)}`);
    const cond = where.join(' AND ');
    const [{ n }] = await this.sql.query<{ n: number | string }>(
      `SELECT COUNT(*) AS n FROM project_tasks WHERE ${cond}`,
      params,
    );
    const rows = await this.sql.query<Row>(
      `SELECT * FROM project_tasks WHERE ${cond} ORDER BY source, external_id LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, opts.limit, opts.offset],
    );
    return { total: Number(n), tasks: rows.map(toTask) };
  }

  async allTasks(project: string): Promise<NormalisedTask[]> {
    return (
      await this.sql.query<Row>(
        'SELECT * FROM project_tasks WHERE project = $1 ORDER BY source, external_id',
        [project],
      )
    ).map(toTask);
  }

  async counts(project: string): Promise<Record<TaskStatus, number>> {
    const out: Record<TaskStatus, number> = { not_started: 0, in_progress: 0, completed: 0, blocked: 0 };
    const rows = await this.sql.query<{ status: string; n: number | string }>(
      'SELECT status, COUNT(*) AS n FROM project_tasks WHERE project = $1 GROUP BY status',
      [project],
    );
    for (const r of rows) if (r.status in out) out[r.status as TaskStatus] = Number(r.n);
    return out;
  }

  async syncStates(project: string): Promise<SyncState[]> {
    const rows = await this.sql.query<Row>(
      'SELECT * FROM project_sync_state WHERE project = $1 ORDER BY source',
      [project],
    );
    return rows.map((r) => ({
      source: String(r.source),
      cursor: r.cursor ? (JSON.parse(String(r.cursor)) as Record<string, unknown>) : null,
      last_sync_at: (r.last_sync_at as string | null) ?? null,
      last_success_at: (r.last_success_at as string | null) ?? null,
      last_status: (r.last_status as SyncState['last_status']) ?? null,
      last_items: Number(r.last_items ?? 0),
      last_error: (r.last_error as string | null) ?? null,
    }));
  }

  /** Records one source's sync: on success the cursor moves on; on error it stays and the error is kept. */
  async recordSync(
    project: string,
    source: string,
    at: string,
    outcome: { ok: true; cursor: Record<string, unknown>; items: number } | { ok: false; error: string },
  ): Promise<void> {
    await this.sql.execute(
      `INSERT INTO project_sync_state (project, source, last_sync_at, last_items) VALUES ($1, $2, $3, 0)
       ON CONFLICT (project, source) DO NOTHING`,
      [project, source, at],
    );
    if (outcome.ok)
      await this.sql.execute(
        `UPDATE project_sync_state SET cursor = $3, last_sync_at = $4, last_success_at = $4, last_status = 'success',
         last_items = $5, last_error = NULL WHERE project = $1 AND source = $2`,
        [project, source, JSON.stringify(outcome.cursor), at, outcome.items],
      );
    else
      await this.sql.execute(
        `UPDATE project_sync_state SET last_sync_at = $3, last_status = 'error', last_error = $4 WHERE project = $1 AND source = $2`,
        [project, source, at, outcome.error],
      );
  }

  /**
   * Claims the periodic sync of a project for `holder` until `leaseUntil`, if it is due and no
   * other replica holds it: one conditional UPDATE, so exactly one replica wins.
   */
  async claimSync(project: string, holder: string, now: string, leaseUntil: string): Promise<boolean> {
    await this.sql.execute(
      `INSERT INTO project_sync_leases (project, holder, lease_until, next_due) VALUES ($1, NULL, $2, $2)
       ON CONFLICT (project) DO NOTHING`,
      [project, now],
    );
    const { changes } = await this.sql.execute(
      `UPDATE project_sync_leases SET holder = $2, lease_until = $4
       WHERE project = $1 AND next_due <= $3 AND (holder IS NULL OR lease_until <= $3)`,
      [project, holder, now, leaseUntil],
    );
    return changes === 1;
  }

  async releaseSync(project: string, holder: string, nextDue: string): Promise<void> {
    await this.sql.execute(
      'UPDATE project_sync_leases SET holder = NULL, next_due = $3 WHERE project = $1 AND holder = $2',
      [project, holder, nextDue],
    );
  }
}

function upsert(tx: SqlRunner, project: string, t: NormalisedTask) {
  return tx.execute(
    `INSERT INTO project_tasks (project, source, external_id, title, status, assignee, due, url, updated_at, labels)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (project, source, external_id) DO UPDATE SET title = excluded.title, status = excluded.status,
       assignee = excluded.assignee, due = excluded.due, url = excluded.url, updated_at = excluded.updated_at,
       labels = excluded.labels
     WHERE project_tasks.updated_at <= excluded.updated_at`,
    [
      project,
      t.source,
      t.external_id,
      t.title,
      t.status,
      t.assignee,
      t.due,
      t.url,
      t.updated_at,
      JSON.stringify(t.labels),
    ],
  );
}

function toTask(r: Row): NormalisedTask {
  return {
    source: String(r.source),
    external_id: String(r.external_id),
    title: String(r.title),
    status: String(r.status) as TaskStatus,
    assignee: (r.assignee as string | null) ?? null,
    due: (r.due as string | null) ?? null,
    url: (r.url as string | null) ?? null,
    updated_at: String(r.updated_at),
    labels: JSON.parse(String(r.labels ?? '[]')) as string[],
  };
}
