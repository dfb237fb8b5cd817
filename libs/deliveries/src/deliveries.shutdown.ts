import { Injectable } from '@nestjs/common';
import { SHUTDOWN_PRIORITY, ShutdownHook, type OnShutdown } from '@mira/shutdown';
import { DeliveriesService } from './deliveries.service';

// After the broker stops intake, before connections (the state store) close: sends in flight finish.
export const DELIVERIES_SHUTDOWN_PRIORITY = SHUTDOWN_PRIORITY.AGENTS + 1;

@Injectable()
@ShutdownHook({ name: 'deliveries', priority: DELIVERIES_SHUTDOWN_PRIORITY })
export class DeliveriesShutdownHook implements OnShutdown {
  constructor(private readonly deliveries: DeliveriesService) {}

  onShutdown(): Promise<void> {
    return this.deliveries.drain();
  }
}
