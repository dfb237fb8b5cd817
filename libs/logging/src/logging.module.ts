import { hostname } from 'node:os';
import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { stdTimeFunctions } from 'pino';
import { ConfigStore } from '@mira/config';
import { SERVICE_NAME, SERVICE_VERSION } from './logging.constants';

/**
 * nestjs-pino as the application logger: JSON lines on stdout, level from `logging.level`.
 * Correlation context and redaction build on this module.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [ConfigStore],
      useFactory: (config: ConfigStore) => {
        const logging = config.get('logging');
        return {
          pinoHttp: {
            level: logging.level,
            base: { service: SERVICE_NAME, version: SERVICE_VERSION, pid: process.pid, hostname: hostname() },
            timestamp: stdTimeFunctions.isoTime,
            formatters: { level: (label: string) => ({ level: label }) },
            messageKey: 'msg',
          },
        };
      },
    }),
  ],
  exports: [LoggerModule],
})
export class LoggingModule {}
