import { Module } from '@nestjs/common';
import { ConfigModule } from '@mira/config';
import { DeliveriesModule } from '@mira/deliveries';
import { eventsConfig } from './event-results.config';
import { EventLifecycleObserver } from './event-lifecycle.observer';
import { EventResultsService } from './event-results.service';

/** Event statuses and answers for GET /api/v1/events/:id, and `reply_to` deliveries. */
@Module({
  imports: [ConfigModule.forFeature(eventsConfig), DeliveriesModule],
  providers: [EventResultsService, EventLifecycleObserver],
  exports: [EventResultsService],
})
export class EventResultsModule {}
