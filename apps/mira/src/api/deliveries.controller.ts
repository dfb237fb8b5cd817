import { Controller, Get, HttpCode, HttpException, Param, Post, Query } from '@nestjs/common';
import { z } from 'zod';
import { DELIVERY_STATUSES, DeliveriesError, DeliveriesService, type DeliveryRow } from '@mira/deliveries';
import { Roles } from '../security';

const listQuerySchema = z.strictObject({
  status: z.enum(DELIVERY_STATUSES as [string, ...string[]]).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
});
type ListQuery = z.output<typeof listQuerySchema>;

/** The outbox, for operators: what was sent, what is pending, what is dead (and a retry). */
@Controller('api/v1/deliveries')
export class DeliveriesController {
  constructor(private readonly deliveries: DeliveriesService) {}

  @Get()
  @Roles('auditor')
  async list(@Query({ schema: listQuerySchema }) query: ListQuery): Promise<{ deliveries: DeliveryRow[] }> {
    return {
      deliveries: await this.deliveries.list({
        status: query?.status as DeliveryRow['status'] | undefined,
        limit: query?.limit,
      }),
    };
  }

  @Post(':id/retry')
  @Roles('admin')
  @HttpCode(202)
  async retry(@Param('id') id: string): Promise<DeliveryRow> {
    try {
      return await this.deliveries.retry(id);
    } catch (err) {
      if (err instanceof DeliveriesError)
        throw new HttpException(
          { message: err.message, code: err.code },
          err.code === 'DELIVERY_NOT_FOUND' ? 404 : 409,
        );
      throw err;
    }
  }
}
