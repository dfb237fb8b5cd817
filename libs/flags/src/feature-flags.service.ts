import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { FeatureDisabledError } from './features.error';
import { FlagsService } from './flags.service';

export type FeatureFlagListener = (enabled: boolean, flag: string) => void;

/**
 * The @mira/features API, kept for its users: boolean flags by name, evaluated through the flags
 * service (so `features.<name>: true|false` and a boolean flagd definition both work) with the
 * running request's context. A flag that is not defined is off.
 */
@Injectable()
export class FeatureFlagsService implements OnModuleDestroy {
  private readonly unsubscribe: () => void;
  private readonly listeners = new Set<{ flag: string | null; fn: FeatureFlagListener }>();

  constructor(private readonly flags: FlagsService) {
    this.unsubscribe = flags.onChange((changed) => {
      for (const flag of changed)
        for (const l of this.listeners)
          if (l.flag === null || l.flag === flag) l.fn(this.isEnabled(flag), flag);
    });
  }

  isEnabled(flag: string): boolean {
    return this.flags.config.typeOf(flag) === 'boolean' && this.flags.isEnabled(flag, false);
  }

  /** Every boolean flag with its value for the running context. */
  all(): Record<string, boolean> {
    const out: Record<string, boolean> = {};
    for (const key of this.flags.keys())
      if (this.flags.config.typeOf(key) === 'boolean') out[key] = this.isEnabled(key);
    return out;
  }

  /** For agents and workflow steps: throws FeatureDisabledError (code FEATURE_DISABLED) when off. */
  assertEnabled(flag: string): void {
    if (!this.isEnabled(flag)) throw new FeatureDisabledError(flag);
  }

  /** Runs `fn` when the flag is on, otherwise returns `fallback` (e.g. to skip a workflow step). */
  async whenEnabled<T, F = undefined>(flag: string, fn: () => T | Promise<T>, fallback?: F): Promise<T | F> {
    return this.isEnabled(flag) ? await fn() : (fallback as F);
  }

  /** Called after a reload changes `flag` (or any flag with null). Returns an unsubscribe function. */
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
