import {
  BadRequestException,
  Body,
  ConflictException,
  Controller,
  Delete,
  ForbiddenException,
  Get,
  HttpCode,
  HttpException,
  Param,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import { z } from 'zod';
import { DeliveriesService } from '@mira/deliveries';
import {
  scheduleDefinitionSchema,
  SchedulesError,
  SchedulesService,
  type ScheduleInput,
  type ScheduleRecord,
  type ScheduleRun,
  type ScheduleView,
} from '@mira/schedules';
import { Caller, Roles, type CallerIdentity } from '../security';

export const scheduleBodySchema = scheduleDefinitionSchema.omit({ owner: true }).extend({
  name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'name: lower case letters, digits, _ and -'),
});
type ScheduleBody = z.output<typeof scheduleBodySchema>;
const runsQuerySchema = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(50) });

const STATUS: Record<string, number> = {
  SCHEDULE_INVALID_CRON: 400,
  SCHEDULE_INVALID_TIMEZONE: 400,
  SCHEDULE_NOT_FOUND: 404,
  SCHEDULE_READ_ONLY: 409,
  SCHEDULE_NAME_TAKEN: 409,
  SCHEDULE_FORBIDDEN: 403,
  SCHEDULE_UNKNOWN_DESTINATION: 400,
  SCHEDULE_NO_OWNER: 400,
  SCHEDULE_TOO_FREQUENT: 400,
  SCHEDULE_LIMIT: 409,
};

/** Who acts on a schedule (owner, editor, trigger): one place to switch to CallerIdentity's stable id. */
export function scheduleActor(caller: CallerIdentity): string {
  return caller.id;
}

async function mapped<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof SchedulesError)
      throw new HttpException({ message: err.message, code: err.code }, STATUS[err.code] ?? 400);
    throw err;
  }
}

/**
 * Schedules: admins manage all; a submitter creates and manages their own (its runs are requested
 * by them, so separation of duties holds); auditors read.
 */
@Controller('api/v1/schedules')
export class SchedulesController {
  constructor(
    private readonly schedules: SchedulesService,
    private readonly deliveries: DeliveriesService,
  ) {}

  private input(body: ScheduleBody): ScheduleInput {
    const unknown = this.deliveries.unknownDestinations(body.deliveries);
    if (unknown.length)
      throw new BadRequestException(
        `deliveries: unknown destination(s) ${unknown.join(', ')}; declare them under deliveries.destinations`,
      );
    return body;
  }

  private async owned(id: string, caller: CallerIdentity): Promise<ScheduleRecord> {
    const s = await mapped(() => this.schedules.get(id));
    if (!caller.roles.includes('admin') && s.owner !== scheduleActor(caller))
      throw new ForbiddenException(
        `Schedule ${s.name} belongs to ${s.owner}; only its owner or an admin may change it`,
      );
    return s;
  }

  @Post()
  @Roles('submitter')
  @HttpCode(201)
  create(
    @Body({ schema: scheduleBodySchema }) body: ScheduleBody,
    @Caller() caller: CallerIdentity,
  ): Promise<ScheduleRecord> {
    return mapped(() => this.schedules.create(this.input(body), scheduleActor(caller)));
  }

  @Get()
  @Roles('auditor', 'submitter')
  async list(): Promise<{ schedules: ScheduleRecord[] }> {
    return { schedules: await this.schedules.list() };
  }

  @Get(':id')
  @Roles('auditor', 'submitter')
  view(@Param('id') id: string): Promise<ScheduleView> {
    return mapped(() => this.schedules.view(id));
  }

  @Get(':id/runs')
  @Roles('auditor', 'submitter')
  async runs(
    @Param('id') id: string,
    @Query({ schema: runsQuerySchema }) query: { limit: number },
  ): Promise<{ runs: ScheduleRun[] }> {
    const s = await mapped(() => this.schedules.get(id));
    return { runs: await this.schedules.runs(s.id, query?.limit ?? 50) };
  }

  @Patch(':id')
  @Roles('submitter')
  async update(
    @Param('id') id: string,
    @Body({ schema: scheduleBodySchema }) body: ScheduleBody,
    @Caller() caller: CallerIdentity,
  ): Promise<ScheduleRecord> {
    const s = await this.owned(id, caller);
    return mapped(() => this.schedules.update(s.id, this.input(body), scheduleActor(caller)));
  }

  @Delete(':id')
  @Roles('submitter')
  @HttpCode(204)
  async remove(@Param('id') id: string, @Caller() caller: CallerIdentity): Promise<void> {
    const s = await this.owned(id, caller);
    await mapped(() => this.schedules.remove(s.id));
  }

  @Post(':id/pause')
  @Roles('submitter')
  @HttpCode(200)
  async pause(@Param('id') id: string, @Caller() caller: CallerIdentity): Promise<ScheduleRecord> {
    const s = await this.owned(id, caller);
    return mapped(() => this.schedules.setPaused(s.id, true));
  }

  @Post(':id/resume')
  @Roles('submitter')
  @HttpCode(200)
  async resume(@Param('id') id: string, @Caller() caller: CallerIdentity): Promise<ScheduleRecord> {
    const s = await this.owned(id, caller);
    return mapped(() => this.schedules.setPaused(s.id, false));
  }

  @Post(':id/trigger')
  @Roles('submitter')
  @HttpCode(202)
  async trigger(@Param('id') id: string, @Caller() caller: CallerIdentity): Promise<ScheduleRun> {
    const s = await this.owned(id, caller);
    try {
      return await mapped(() => this.schedules.trigger(s.id, scheduleActor(caller)));
    } catch (err) {
      if (err instanceof HttpException) throw err;
      throw new ConflictException((err as Error).message);
    }
  }
}
