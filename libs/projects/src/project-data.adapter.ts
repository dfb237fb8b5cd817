import { Injectable } from '@nestjs/common';
import { AgentError, type ProjectData, type ProjectDataSource } from '@mira/agents';
import { ProjectsError } from './projects.error';
import { ProjectsView } from './projects.view';

/** PROJECT_DATA for the agents: a project's stored tasks (title as `name`) and its sources' freshness. */
@Injectable()
export class ProjectDataAdapter implements ProjectDataSource {
  constructor(private readonly view: ProjectsView) {}

  async load(project: string): Promise<ProjectData> {
    try {
      const { view, tasks } = await this.view.agentData(project);
      return {
        name: view.name,
        tasks: tasks.map((t) => ({ ...t, name: t.title })),
        sources: view.sources.map((s) => ({
          source: s.source,
          last_synced_at: s.last_sync.last_success_at,
          last_status: s.last_sync.status,
          last_error: s.last_sync.error,
          stale: s.stale,
        })),
      };
    } catch (err) {
      if (err instanceof ProjectsError && err.code === 'PROJECTS_NOT_FOUND')
        throw new AgentError('AGENT_INVALID_INPUT', err.message);
      throw err;
    }
  }
}
