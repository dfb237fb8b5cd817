import type { Counter } from 'prom-client';
import { trace } from '@opentelemetry/api';
import type { EvaluationDetails, FlagValue, Hook, HookContext } from '@openfeature/server-sdk';
import { BoundedLabel, type MetricsService } from '@mira/metrics';

/** What one evaluation reports, whichever path (OpenFeature client or the synchronous one) ran it. */
export interface EvaluationRecord {
  flagKey: string;
  providerName: string;
  targetingKey?: string;
  variant?: string;
  reason?: string;
  errorCode?: string;
}

/**
 * Observability of every evaluation: the `feature_flag.evaluation` event on the active span
 * (OpenTelemetry semantic conventions for feature flags) and mira_feature_flag_evaluations_total.
 * Flag keys are bounded by the configured set (others count as "other"); so are variants.
 */
export class FlagsObserver {
  private readonly counter: Counter<'flag' | 'variant' | 'reason'> | null;
  private readonly flags = new BoundedLabel(0);
  private readonly variants = new BoundedLabel(0);
  private readonly reasons = new BoundedLabel(8, [
    'STATIC',
    'DEFAULT',
    'TARGETING_MATCH',
    'SPLIT',
    'CACHED',
    'DISABLED',
    'UNKNOWN',
    'ERROR',
    'STALE',
  ]);

  constructor(metrics: MetricsService | null) {
    this.counter = metrics
      ? metrics.counter({
          name: 'mira_feature_flag_evaluations_total',
          help: 'Feature flag evaluations, by flag key (configured flags only), variant and reason',
          labelNames: ['flag', 'variant', 'reason'],
        })
      : null;
  }

  /** The configured keys and their variants (called on every definition change). */
  allow(definitions: Record<string, { variants: Record<string, unknown> }>): void {
    this.flags.allow(Object.keys(definitions));
    for (const d of Object.values(definitions)) this.variants.allow(Object.keys(d.variants));
  }

  record(r: EvaluationRecord): void {
    const attributes: Record<string, string> = {
      'feature_flag.key': r.flagKey,
      'feature_flag.provider.name': r.providerName,
    };
    if (r.variant !== undefined) attributes['feature_flag.result.variant'] = r.variant;
    if (r.reason !== undefined) attributes['feature_flag.result.reason'] = r.reason.toLowerCase();
    if (r.targetingKey !== undefined) attributes['feature_flag.context.id'] = r.targetingKey;
    if (r.errorCode !== undefined) attributes['error.type'] = r.errorCode.toLowerCase();
    trace.getActiveSpan()?.addEvent('feature_flag.evaluation', attributes);
    this.counter?.inc({
      flag: this.flags.value(r.flagKey),
      variant: this.variants.value(r.variant),
      reason: this.reasons.value(r.reason ?? 'UNKNOWN'),
    });
  }

  /** The same as an OpenFeature hook, for evaluations through the client (any provider). */
  hook(): Hook {
    return {
      finally: (hookContext: HookContext, details: EvaluationDetails<FlagValue>) =>
        this.record({
          flagKey: hookContext.flagKey,
          providerName: hookContext.providerMetadata.name,
          targetingKey: hookContext.context.targetingKey,
          variant: details.variant,
          reason: details.reason,
          errorCode: details.errorCode,
        }),
    };
  }
}
