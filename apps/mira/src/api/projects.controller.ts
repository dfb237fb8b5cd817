import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Query,
} from '@nestjs/common';
import { z } from 'zod';
import {
  ProjectsError,
  ProjectsService,
  ProjectsView,
  SyncService,
  TASK_STATUSES,
  createProjectSchema,
  type ProjectView,
} from '@mira/projects';
import { Caller, Roles, type CallerIdentity } from '../security';

const taskQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  offset: z.coerce.number().int().min(0).default(0),
  status: z.enum(TASK_STATUSES).optional(),
  source: z.string().max(300).optional(),
});

/** A ProjectsError as the 4xx it is (the message says what to fix). */
function asHttp(err: unknown): never {
  if (!(err instanceof ProjectsError)) throw err;
  if (err.code === 'PROJECTS_NOT_FOUND') throw new NotFoundException(err.message);
  if (err.code === 'PROJECTS_DUPLICATE') throw new ConflictException(err.message);
  if (err.code === 'PROJECTS_INVALID' || err.code === 'CONNECTOR_UNKNOWN')
    throw new BadRequestException(err.message);
  throw err;
}

@Controller('api/v1/projects')
export class ProjectsController {
  constructor(
    private readonly projects: ProjectsService,
    private readonly view: ProjectsView,
    private readonly syncs: SyncService,
  ) {}

  @Get()
  @Roles('submitter', 'auditor')
  async list(): Promise<{ projects: { name: string; origin: string; sources: number }[] }> {
    const all = await this.projects.list();
    return { projects: all.map((p) => ({ name: p.name, origin: p.origin, sources: p.sources.length })) };
  }

  /** Declares a project (admin); config-declared names are taken. */
  @Post()
  @Roles('admin')
  @HttpCode(201)
  async create(
    @Body({ schema: createProjectSchema }) body: z.output<typeof createProjectSchema>,
    @Caller() caller: CallerIdentity,
  ): Promise<ProjectView> {
    try {
      await this.projects.create(body, caller.id, new Date());
      return await this.view.view(body.name);
    } catch (err) {
      asHttp(err);
    }
  }

  @Get(':name')
  @Roles('submitter', 'auditor')
  async get(@Param('name') name: string): Promise<ProjectView> {
    return this.view.view(name).catch(asHttp);
  }

  @Get(':name/tasks')
  @Roles('submitter', 'auditor')
  async tasks(@Param('name') name: string, @Query() query: Record<string, unknown>) {
    const q = taskQuerySchema.safeParse(query);
    if (!q.success)
      throw new BadRequestException(
        q.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      );
    await this.projects.get(name).catch(asHttp);
    const page = await this.projects.store.tasks(name, q.data);
    return {
      project: name,
      total: page.total,
      limit: q.data.limit,
      offset: q.data.offset,
      tasks: page.tasks,
    };
  }

  /** Syncs every source now and answers what each did (errors included: a failing tracker is not a 5xx here). */
  @Post(':name/sync')
  @Roles('submitter')
  @HttpCode(200)
  async sync(@Param('name') name: string) {
    return this.syncs.sync(name).catch(asHttp);
  }
}
