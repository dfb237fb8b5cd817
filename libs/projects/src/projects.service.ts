import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { ConfigStore } from '@mira/config';
import { StateService } from '@mira/state';
import { ConnectorRegistry } from './connectors/connector.registry';
import type { ProjectSource } from './connectors/connector.interface';
import { PROJECT_NAME, projectSchema } from './projects.config';
import { ProjectsError } from './projects.error';
import { ProjectsStore } from './store/projects.store';
import type { StatusMap } from './task.interface';

export interface ProjectDefinition {
  name: string;
  sources: ProjectSource[];
  status_map: StatusMap;
  sync_interval_seconds: number;
  stale_after_seconds: number;
  origin: 'config' | 'api';
}

/** POST /api/v1/projects: the config entry's shape plus its name. */
export const createProjectSchema = projectSchema.extend({
  name: z
    .string()
    .regex(PROJECT_NAME, 'lower-case letters, digits, - and _ (at most 63), starting with a letter or digit'),
});

/** Projects from config (`projects.<name>`) and from the API (stored); config wins a name. */
@Injectable()
export class ProjectsService {
  private storeInstance: ProjectsStore | null = null;

  constructor(
    private readonly config: ConfigStore,
    private readonly state: StateService,
    private readonly connectors: ConnectorRegistry,
  ) {}

  /** Usable from onApplicationBootstrap on (the state store must be open). */
  get store(): ProjectsStore {
    return (this.storeInstance ??= new ProjectsStore(this.state.sql()));
  }

  /** Parses `{ github: {...} }` entries and lets each connector check its settings. */
  sourcesOf(name: string, raw: readonly Record<string, Record<string, unknown>>[]): ProjectSource[] {
    return raw.map((entry, i) => {
      const [kind, settings] = Object.entries(entry)[0];
      const problem = this.connectors.get(kind).validate(settings);
      if (problem) throw new ProjectsError('PROJECTS_INVALID', `projects.${name}.sources[${i}]: ${problem}`);
      return { kind, settings };
    });
  }

  /** Checks every configured project (at start: a wrong source stops the service with the key named). */
  validateConfigured(): void {
    for (const [name, p] of Object.entries(this.config.get('projects'))) this.sourcesOf(name, p.sources);
  }

  async list(): Promise<ProjectDefinition[]> {
    const out = new Map<string, ProjectDefinition>();
    for (const p of await this.store.listProjects()) {
      const parsed = projectSchema.safeParse(p.definition);
      if (parsed.success) out.set(p.name, this.definition(p.name, parsed.data, 'api'));
    }
    for (const [name, p] of Object.entries(this.config.get('projects')))
      out.set(name, this.definition(name, p, 'config'));
    return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async get(name: string): Promise<ProjectDefinition> {
    const found = (await this.list()).find((p) => p.name === name);
    if (!found)
      throw new ProjectsError(
        'PROJECTS_NOT_FOUND',
        `no project named ${name}: declare it under projects.${name} or POST /api/v1/projects`,
      );
    return found;
  }

  async create(
    input: z.output<typeof createProjectSchema>,
    createdBy: string,
    now: Date,
  ): Promise<ProjectDefinition> {
    const { name, ...definition } = input;
    this.sourcesOf(name, definition.sources);
    if (Object.hasOwn(this.config.get('projects'), name))
      throw new ProjectsError(
        'PROJECTS_DUPLICATE',
        `project ${name} is declared in config (projects.${name}); choose another name`,
      );
    await this.store.createProject({
      name,
      definition,
      created_by: createdBy,
      created_at: now.toISOString(),
    });
    return this.definition(name, definition, 'api');
  }

  sourceId(source: ProjectSource): string {
    return this.connectors.get(source.kind).sourceId(source);
  }

  private definition(
    name: string,
    p: z.output<typeof projectSchema>,
    origin: ProjectDefinition['origin'],
  ): ProjectDefinition {
    const status_map = Object.fromEntries(Object.entries(p.status_map).map(([k, v]) => [k.toLowerCase(), v]));
    return {
      name,
      sources: p.sources.map((entry) => {
        const [kind, settings] = Object.entries(entry)[0];
        return { kind, settings };
      }),
      status_map,
      sync_interval_seconds: p.sync_interval_seconds,
      stale_after_seconds: p.stale_after_seconds,
      origin,
    };
  }
}
