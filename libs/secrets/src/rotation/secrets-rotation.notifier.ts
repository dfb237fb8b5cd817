import type { LoggerService } from '@nestjs/common';
import { describeError, formatRef } from '../secrets.error';
import type { RotationListener } from '../secrets.interface';

/** Tells subscribers that a secret's value changed; one failing subscriber never stops the others. */
export class SecretsRotationNotifier {
  private readonly listeners = new Set<RotationListener>();

  constructor(private readonly logger: LoggerService) {}

  /** Returns an unsubscribe function. */
  subscribe(listener: RotationListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify(name: string, key: string | undefined): void {
    this.logger.log(`Secret ${formatRef(name, key)} rotated`);
    for (const listener of [...this.listeners]) {
      // Each subscriber is isolated, sync throw or async rejection alike.
      try {
        void Promise.resolve(listener(name, key)).catch((err: unknown) => this.failed(name, key, err));
      } catch (err) {
        this.failed(name, key, err);
      }
    }
  }

  private failed(name: string, key: string | undefined, err: unknown): void {
    this.logger.error(`A rotation subscriber failed for ${formatRef(name, key)}: ${describeError(err)}`);
  }
}
