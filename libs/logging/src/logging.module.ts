import { Global, Module } from '@nestjs/common';
import { ClsModule } from 'nestjs-cls';
import { LoggerModule } from 'nestjs-pino';
import { ConfigModule, ConfigStore } from '@mira/config';
import { ClsContextPropagator } from './correlation/cls-context.propagator';
import { LogLevelWatcher } from './log-level.watcher';
import { LOG_DESTINATION } from './logging.constants';
import { buildLoggerParams } from './logging.options';
import { LoggerShutdownHook } from './logging.shutdown';
import { RedactionModule } from './redaction/redaction.module';
import { RedactionRegistry } from './redaction/redaction.registry';
import { loggingConfig } from './logging.config';

/**
 * The application logger (nestjs-pino): JSON lines (or pretty when `logging.json` is false),
 * live `logging.level`, optional `logging.file`, redaction, and the correlation context
 * (nestjs-cls) on every line. Each HTTP request gets its CLS scope and access line from
 * httpLoggingHooks (Fastify hooks the app's HTTP edge registers); the broker restores the scope per message through
 * ClsContextPropagator.
 */
@Global()
@Module({
  imports: [
    ConfigModule.forFeature(loggingConfig),
    // forFeature, not forRoot: the ClsService is all we use (scopes are opened by our own hooks),
    // and forRoot always mounts a global pass-through guard and interceptor, which alone put every
    // request through Nest's rxjs interceptor chain.
    ClsModule.forFeature(),
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
export class LoggingModule {}
