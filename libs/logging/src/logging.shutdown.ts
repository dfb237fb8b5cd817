import { Injectable } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { type OnShutdown, SHUTDOWN_PRIORITY, ShutdownHook } from '@mira/shutdown';

/** The last shutdown step: buffered log lines reach their destination before the process exits. */
@Injectable()
@ShutdownHook({ name: 'logger', priority: SHUTDOWN_PRIORITY.LOGGER })
export class LoggerShutdownHook implements OnShutdown {
  onShutdown(): Promise<void> {
    return new Promise((resolve, reject) =>
      PinoLogger.root.flush((err?: Error) => (err ? reject(err) : resolve())),
    );
  }
}
