import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { ConfigStore, type MiraConfig } from '@mira/config';

/**
 * Applies `logging.level` changes live: the root pino logger's level is set, so the next line
 * obeys (the access-line child accepts every level and checks the root's before each line).
 */
@Injectable()
export class LogLevelWatcher implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Logging');
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly config: ConfigStore) {}

  onModuleInit(): void {
    this.unsubscribe = this.config.onChange(({ current, changes }) => {
      const level: MiraConfig['logging']['level'] = current.logging.level;
      const root = PinoLogger.root;
      if (!root || root.level === level) return;
      const previous = root.level;
      root.level = level;
      this.logger.log(`Log level changed from ${previous} to ${level}`);
      void changes;
    }, 'logging.level');
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }
}
