import {
  type EvaluationContext,
  type JsonValue,
  type Logger,
  OpenFeatureEventEmitter,
  type Provider,
  ProviderEvents,
  type ResolutionDetails,
} from '@openfeature/server-sdk';
import { FlagdCore } from '@openfeature/flagd-core';
import type { FlagDefinition } from './flags.config';

type Resolved<T> = ResolutionDetails<T>;

/**
 * The OpenFeature provider serving Mira's own flag definitions (the flagd format, from
 * `features.flags` and `features.flags_file`), evaluated in process by flagd-core. load() swaps
 * the whole set and emits PROVIDER_CONFIGURATION_CHANGED with the keys that changed.
 */
export class ConfigFlagProvider implements Provider {
  readonly metadata = { name: 'mira-config' } as const;
  readonly runsOn = 'server' as const;
  readonly events = new OpenFeatureEventEmitter();
  private readonly core = new FlagdCore(undefined, QUIET);
  private current: Record<string, FlagDefinition> = {};

  /** Replaces the served set; returns the keys whose definition changed (added, removed, edited). */
  load(flags: Record<string, FlagDefinition>): string[] {
    const changed = [...new Set([...Object.keys(this.current), ...Object.keys(flags)])].filter(
      (k) => JSON.stringify(this.current[k]) !== JSON.stringify(flags[k]),
    );
    this.core.setConfigurations(JSON.stringify({ flags }));
    this.current = flags;
    if (changed.length > 0) this.events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: changed });
    return changed;
  }

  definitions(): Readonly<Record<string, FlagDefinition>> {
    return this.current;
  }

  has(key: string): boolean {
    return Object.hasOwn(this.current, key);
  }

  /** The type of a flag's variants (boolean, string, number, object), for type-agnostic callers (OFREP). */
  typeOf(key: string): 'boolean' | 'string' | 'number' | 'object' | undefined {
    if (!this.has(key)) return undefined;
    const flag = this.current[key];
    const first = Object.values(flag.variants)[0];
    const t = typeof first;
    return t === 'boolean' || t === 'string' || t === 'number' ? t : 'object';
  }

  resolveBooleanEvaluation(key: string, dflt: boolean, ctx: EvaluationContext): Promise<Resolved<boolean>> {
    return this.settle('boolean', key, dflt, ctx);
  }

  resolveStringEvaluation(key: string, dflt: string, ctx: EvaluationContext): Promise<Resolved<string>> {
    return this.settle('string', key, dflt, ctx);
  }

  resolveNumberEvaluation(key: string, dflt: number, ctx: EvaluationContext): Promise<Resolved<number>> {
    return this.settle('number', key, dflt, ctx);
  }

  resolveObjectEvaluation<T extends JsonValue>(
    key: string,
    dflt: T,
    ctx: EvaluationContext,
  ): Promise<Resolved<T>> {
    return this.settle('object', key, dflt, ctx);
  }

  private async settle<T extends JsonValue>(
    type: 'boolean' | 'string' | 'number' | 'object',
    key: string,
    dflt: T,
    ctx: EvaluationContext,
  ): Promise<Resolved<T>> {
    return this.resolve(type, key, dflt, ctx);
  }

  /** Synchronous resolution (the provider is in process), used by sync callers such as the agent registry. */
  resolve<T extends boolean | string | number | JsonValue>(
    type: 'boolean' | 'string' | 'number' | 'object',
    key: string,
    dflt: T,
    ctx: EvaluationContext,
  ): Resolved<T> {
    const r = this.core.resolve(type, key, dflt, ctx) as Resolved<T>;
    // flagd-core leaves value unset when a flag has no default variant and no targeting match.
    return r.value === undefined ? { ...r, value: dflt } : r;
  }
}

const noop = (): void => undefined;
const QUIET: Logger = { error: noop, warn: noop, info: noop, debug: noop };
