import { AgentError } from '../agent.error';

/**
 * Where agents read a project's stored tasks when a message names `{ project: "<name>" }` in place
 * of inline tasks. Provided (globally) by @mira/projects; absent in an app without it.
 */
export const PROJECT_DATA = 'MIRA_PROJECT_DATA';

export interface ProjectSourceFreshness {
  source: string;
  last_synced_at: string | null;
  last_status: 'success' | 'error' | null;
  last_error: string | null;
  stale: boolean;
}

export interface ProjectData {
  name: string;
  tasks: { name: string; status: string; [k: string]: unknown }[];
  sources: ProjectSourceFreshness[];
}

export interface ProjectDataSource {
  /** Throws AgentError('AGENT_INVALID_INPUT') for an unknown project. */
  load(project: string): Promise<ProjectData>;
}

/**
 * `data` with `name` and `tasks` taken from the named project (inline tasks, when given, win),
 * and the project's data; `data` unchanged when it names no project.
 */
export async function withProjectData(
  source: ProjectDataSource | undefined,
  data: unknown,
  type: string,
): Promise<{ data: unknown; project: ProjectData | null }> {
  const d = (data ?? {}) as Record<string, unknown>;
  if (d.project === undefined || d.project === null) return { data, project: null };
  if (typeof d.project !== 'string' || !d.project)
    throw new AgentError('AGENT_INVALID_INPUT', `Invalid data for ${type}: project: expected a project name`);
  if (!source)
    throw new AgentError(
      'AGENT_INVALID_INPUT',
      `Invalid data for ${type}: project: projects are not enabled in this service`,
    );
  const project = await source.load(d.project);
  return {
    data: { ...d, name: d.name ?? project.name, tasks: d.tasks ?? project.tasks },
    project,
  };
}
