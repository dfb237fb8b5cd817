import { Injectable } from '@nestjs/common';
import { type OnShutdown, SHUTDOWN_PRIORITY, ShutdownHook } from '@mira/shutdown';
import { activeTracing } from './tracing.sdk';

/**
 * Exports the spans still queued (the last requests' and the shutdown's own) and stops the SDK.
 * With the metrics flush, after intake and connections are closed; bounded by the exporter's
 * timeout and the hook timeout, so a dead collector cannot hold the exit.
 */
@Injectable()
@ShutdownHook({ name: 'tracing', priority: SHUTDOWN_PRIORITY.METRICS })
export class TracingShutdownHook implements OnShutdown {
  async onShutdown(): Promise<void> {
    await activeTracing()?.shutdown();
  }
}
