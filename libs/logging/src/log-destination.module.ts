import { type DynamicModule, Module } from '@nestjs/common';
import { LOG_DESTINATION } from './logging.constants';

/**
 * Sends the app's log lines to a stream instead of stdout: import
 * `LogDestinationModule.forStream(stream)` next to the app's modules (tests capture lines so).
 */
@Module({})
export class LogDestinationModule {
  static forStream(stream: NodeJS.WritableStream | { write(chunk: string): unknown }): DynamicModule {
    return {
      module: LogDestinationModule,
      global: true,
      providers: [{ provide: LOG_DESTINATION, useValue: stream }],
      exports: [LOG_DESTINATION],
    };
  }
}
