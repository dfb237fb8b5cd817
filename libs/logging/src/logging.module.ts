import { Global, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { ClsModule } from 'nestjs-cls';
import { LoggerModule } from 'nestjs-pino';
import { ConfigStore } from '@mira/config';
import { ClsContextPropagator } from './correlation/cls-context.propagator';
import { CorrelationMiddleware } from './correlation/correlation.middleware';
import { LogLevelWatcher } from './log-level.watcher';
import { LOG_DESTINATION } from './logging.constants';
import { buildLoggerParams, CATCH_ALL_ROUTE } from './logging.options';
import { LoggerShutdownHook } from './logging.shutdown';
import { RedactionModule } from './redaction/redaction.module';
import { RedactionRegistry } from './redaction/redaction.registry';

/**
 * The application logger (nestjs-pino): JSON lines (or pretty when `logging.json` is false),
 * live `logging.level`, optional `logging.file`, redaction, and the correlation context
 * (nestjs-cls) on every line. Each HTTP request gets its CLS scope from CorrelationMiddleware;
 * the broker restores it per message through ClsContextPropagator.
 */
@Global()
@Module({
  imports: [
    ClsModule.forRoot({ global: true }),
    RedactionModule,
    LoggerModule.forRootAsync({
      imports: [RedactionModule],
      inject: [ConfigStore, RedactionRegistry, { token: LOG_DESTINATION, optional: true }],
      useFactory: (config: ConfigStore, redaction: RedactionRegistry, destination?: NodeJS.WritableStream) =>
        buildLoggerParams(config.get('logging'), { redaction, destination }),
    }),
  ],
  providers: [ClsContextPropagator, LogLevelWatcher, LoggerShutdownHook],
  exports: [LoggerModule, ClsModule, RedactionModule, ClsContextPropagator],
})
export class LoggingModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    // Every request gets its correlation scope and echoed id, probes included; only the access
    // log line is skipped for logging.access_log_exclude (see buildLoggerParams).
    consumer.apply(CorrelationMiddleware).forRoutes(CATCH_ALL_ROUTE);
  }
}
