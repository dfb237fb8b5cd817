import { Injectable } from '@nestjs/common';
import { Sleeper } from './connectors/sleeper';
import { ProjectsService, type ProjectDefinition } from './projects.service';
import type { SyncState } from './store/projects.store';
import type { NormalisedTask, TaskStatus } from './task.interface';

export interface SourceView {
  source: string;
  kind: string;
  settings: Record<string, unknown>;
  last_sync: {
    at: string | null;
    status: 'success' | 'error' | null;
    items: number;
    error: string | null;
    last_success_at: string | null;
  };
  stale: boolean;
}

export interface ProjectView {
  name: string;
  origin: ProjectDefinition['origin'];
  sync_interval_seconds: number;
  stale_after_seconds: number;
  status_map: Record<string, TaskStatus>;
  sources: SourceView[];
  counts: Record<TaskStatus, number>;
  total_tasks: number;
}

/** What the API and the agents show of a project: its sources with their last sync, and its tasks. */
@Injectable()
export class ProjectsView {
  constructor(
    private readonly projects: ProjectsService,
    private readonly sleeper: Sleeper,
  ) {}

  async view(name: string): Promise<ProjectView> {
    const p = await this.projects.get(name);
    const states = await this.projects.store.syncStates(name);
    const counts = await this.projects.store.counts(name);
    return {
      name: p.name,
      origin: p.origin,
      sync_interval_seconds: p.sync_interval_seconds,
      stale_after_seconds: p.stale_after_seconds,
      status_map: { ...p.status_map },
      sources: p.sources.map((s) => {
        const id = this.projects.sourceId(s);
        return this.sourceView(
          id,
          s.kind,
          s.settings,
          states.find((x) => x.source === id),
          p.stale_after_seconds,
        );
      }),
      counts,
      total_tasks: Object.values(counts).reduce((a, b) => a + b, 0),
    };
  }

  /** Tasks as the agents read them (`name` = the task's title), plus the sources' freshness. */
  async agentData(name: string): Promise<{ view: ProjectView; tasks: NormalisedTask[] }> {
    const view = await this.view(name);
    return { view, tasks: await this.projects.store.allTasks(name) };
  }

  private sourceView(
    source: string,
    kind: string,
    settings: Record<string, unknown>,
    state: SyncState | undefined,
    staleAfter: number,
  ): SourceView {
    const success = state?.last_success_at ?? null;
    return {
      source,
      kind,
      settings,
      last_sync: {
        at: state?.last_sync_at ?? null,
        status: state?.last_status ?? null,
        items: state?.last_items ?? 0,
        error: state?.last_error ?? null,
        last_success_at: success,
      },
      stale: !success || this.sleeper.now() - Date.parse(success) > staleAfter * 1000,
    };
  }
}
