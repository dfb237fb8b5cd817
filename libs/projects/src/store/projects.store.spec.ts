import { openPostgresStateSql, openSqliteStateSql, type StateSql } from '@mira/state';
import { usePostgresServer } from '../../../state/src/state.engines.testing';
import type { NormalisedTask } from '../task.interface';
import { PROJECTS_MIGRATIONS } from './projects.migrations';
import { ProjectsStore } from './projects.store';

const task = (
  id: string,
  status: NormalisedTask['status'],
  updated_at = '2026-12-01T00:00:00.000Z',
): NormalisedTask => ({
  source: 'github:acme/api',
  external_id: id,
  title: `Task ${id}`,
  status,
  assignee: null,
  due: null,
  url: `https://github.com/acme/api/issues/${id}`,
  updated_at,
  labels: ['x'],
});

function storeCases(name: string, open: () => Promise<{ sql: StateSql; close(): Promise<void> }>) {
  describe(`ProjectsStore on ${name}`, () => {
    let db: { sql: StateSql; close(): Promise<void> };
    let store: ProjectsStore;
    beforeEach(async () => {
      db = await open();
      store = new ProjectsStore(db.sql);
    });
    afterEach(() => db.close());

    it('upserts tasks, keeps the newer version, counts by status and pages', async () => {
      await store.upsertTasks('p', [
        task('1', 'completed'),
        task('2', 'in_progress'),
        task('3', 'not_started'),
      ]);
      await store.upsertTasks('p', [task('2', 'completed', '2026-12-02T00:00:00.000Z')]);
      // An older delivery arriving late does not overwrite the newer state.
      await store.upsertTasks('p', [task('2', 'blocked', '2026-11-30T00:00:00.000Z')]);
      expect(await store.counts('p')).toEqual({ not_started: 1, in_progress: 0, completed: 2, blocked: 0 });
      const page = await store.tasks('p', { limit: 2, offset: 1 });
      expect(page.total).toBe(3);
      expect(page.tasks.map((t) => t.external_id)).toEqual(['2', '3']);
      expect(page.tasks[0]).toEqual(task('2', 'completed', '2026-12-02T00:00:00.000Z'));
      expect((await store.tasks('p', { limit: 10, offset: 0, status: 'completed' })).total).toBe(2);
      expect(await store.deleteTasks('p', 'github:acme/api', ['3', 'nope'])).toBe(1);
      expect(await store.counts('other')).toEqual({
        not_started: 0,
        in_progress: 0,
        completed: 0,
        blocked: 0,
      });
    });

    it('records sync outcomes: success moves the cursor, an error keeps it', async () => {
      await store.recordSync('p', 'jira', '2026-12-01T00:00:00.000Z', {
        ok: true,
        cursor: { since: 'a' },
        items: 4,
      });
      await store.recordSync('p', 'jira', '2026-12-02T00:00:00.000Z', {
        ok: false,
        error: 'jira: the tracker answered 502',
      });
      expect(await store.syncStates('p')).toEqual([
        {
          source: 'jira',
          cursor: { since: 'a' },
          last_sync_at: '2026-12-02T00:00:00.000Z',
          last_success_at: '2026-12-01T00:00:00.000Z',
          last_status: 'error',
          last_items: 4,
          last_error: 'jira: the tracker answered 502',
        },
      ]);
    });

    it('projects: a second create of a name is PROJECTS_DUPLICATE', async () => {
      const p = {
        name: 'web',
        definition: { sources: [] },
        created_by: 'key:admin',
        created_at: '2026-12-01T00:00:00.000Z',
      };
      await store.createProject(p);
      await expect(store.createProject(p)).rejects.toMatchObject({ code: 'PROJECTS_DUPLICATE' });
      expect(await store.listProjects()).toEqual([p]);
    });

    it('a sync lease is won by one holder at a time, and not before it is due again', async () => {
      const other = new ProjectsStore(db.sql);
      const t0 = '2026-12-01T00:00:00.000Z';
      const claims = await Promise.all([
        store.claimSync('p', 'a', t0, '2026-12-01T00:15:00.000Z'),
        other.claimSync('p', 'b', t0, '2026-12-01T00:15:00.000Z'),
      ]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      const winner = claims[0] ? 'a' : 'b';
      await store.releaseSync('p', winner, '2026-12-01T00:01:00.000Z');
      expect(await store.claimSync('p', 'a', '2026-12-01T00:00:30.000Z', '2026-12-01T00:15:30.000Z')).toBe(
        false,
      );
      expect(await store.claimSync('p', 'b', '2026-12-01T00:01:00.000Z', '2026-12-01T00:16:00.000Z')).toBe(
        true,
      );
      // A holder that died: its lease lapses and another replica takes over.
      expect(await store.claimSync('p', 'a', '2026-12-01T00:10:00.000Z', '2026-12-01T00:25:00.000Z')).toBe(
        false,
      );
      expect(await store.claimSync('p', 'a', '2026-12-01T00:16:00.000Z', '2026-12-01T00:31:00.000Z')).toBe(
        true,
      );
    });
  });
}

storeCases('SQLite', () => openSqliteStateSql([...PROJECTS_MIGRATIONS]));

describe('on PostgreSQL', () => {
  const pg = usePostgresServer();
  storeCases('PostgreSQL', async () =>
    openPostgresStateSql(await pg.database('projects'), [...PROJECTS_MIGRATIONS]),
  );
});
