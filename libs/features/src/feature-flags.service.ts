import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { ConfigStore } from '@mira/config';
import { FeatureDisabledError } from './features.error';

export type FeatureFlagListener = (enabled: boolean, flag: string) => void;

/**
 * Feature flags from the `features` config section, read live from the current snapshot on every
 * call so a hot reload takes effect at once. A flag that is not listed is off.
 */
@Injectable()
export class FeatureFlagsService implements OnModuleDestroy {
  private readonly logger = new Logger('Features');
  private readonly unsubscribe: () => void;
  private readonly listeners = new Set<{ flag: string | null; fn: FeatureFlagListener }>();

  constructor(private readonly config: ConfigStore) {
    this.unsubscribe = config.onChange(({ changes }) => {
      for (const change of changes) {
        const flag = change.path.slice('features.'.length);
        const enabled = change.current === true;
        this.logger.log(`Feature ${flag} ${enabled ? 'enabled' : 'disabled'} by a config reload`);
        for (const l of this.listeners) {
          if (l.flag !== null && l.flag !== flag) continue;
          try {
            l.fn(enabled, flag);
          } catch (err) {
            this.logger.warn(`A listener of feature ${flag} failed: ${(err as Error).message}`);
          }
        }
      }
    }, 'features');
  }

  isEnabled(flag: string): boolean {
    return Object.hasOwn(this.config.get('features'), flag) && this.config.get('features')[flag] === true;
  }

  /** Every configured flag with its current value. */
  all(): Record<string, boolean> {
    return { ...this.config.get('features') };
  }

  /** For agents and workflow steps: throws FeatureDisabledError (code FEATURE_DISABLED) when off. */
  assertEnabled(flag: string): void {
    if (!this.isEnabled(flag)) throw new FeatureDisabledError(flag);
  }

  /** Runs `fn` when the flag is on, otherwise returns `fallback` (e.g. to skip a workflow step). */
  async whenEnabled<T, F = undefined>(flag: string, fn: () => T | Promise<T>, fallback?: F): Promise<T | F> {
    return this.isEnabled(flag) ? await fn() : (fallback as F);
  }

  /** Called after a reload flips `flag` (or any flag with null). Returns an unsubscribe function. */
  onChange(flag: string | null, fn: FeatureFlagListener): () => void {
    const entry = { flag, fn };
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  onModuleDestroy(): void {
    this.unsubscribe();
    this.listeners.clear();
  }
}
