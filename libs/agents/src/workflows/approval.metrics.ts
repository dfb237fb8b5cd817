import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Counter, Histogram } from 'prom-client';
import { MetricsService } from '@mira/metrics';
import { STATE_STORE, type StateStore } from '@mira/state';

export type ApprovalOutcome = 'approve' | 'reject' | 'expire' | 'cancel';

/**
 * Approval series: workflows waiting (read from the store at scrape time, so every replica
 * reports the shared number), decisions by kind, and how long a workflow waited for its outcome.
 */
@Injectable()
export class ApprovalMetrics {
  private readonly decisions: Counter<'decision'> | null = null;
  private readonly wait: Histogram<'outcome'> | null = null;

  constructor(
    @Inject(STATE_STORE) store: StateStore,
    @Optional() @Inject(MetricsService) metrics: MetricsService | null = null,
  ) {
    if (!metrics) return;
    metrics.gauge({
      name: 'mira_approvals_pending',
      help: 'Workflows waiting for a human decision (from the shared state store)',
      async collect() {
        // A store outage must not fail the scrape: the series keeps its last value.
        const counts = await store.countByStatus().catch(() => null);
        if (counts) this.set(counts.pending_approval ?? 0);
      },
    });
    metrics.gauge({
      name: 'mira_approvals_oldest_pending_age_seconds',
      help: 'Age of the oldest workflow still waiting for a decision (0 when none waits)',
      async collect() {
        // Oldest by creation, whether or not it expires (expires_at may be null or differ by policy).
        const [oldest] = await store.oldestIn(['pending_approval'], 1).catch(() => [null]);
        if (oldest === null) return;
        this.set(oldest ? Math.max(0, (Date.now() - Date.parse(oldest.created_at)) / 1000) : 0);
      },
    });
    this.decisions = metrics.counter({
      name: 'mira_approval_decisions_total',
      help: 'Decisions on held workflows: approve, reject, expire (by the service), cancel',
      labelNames: ['decision'],
    });
    this.wait = metrics.histogram({
      name: 'mira_approval_wait_seconds',
      help: 'Seconds from a workflow being held to its outcome (approved, rejected, expired, cancelled)',
      labelNames: ['outcome'],
      buckets: [1, 10, 60, 300, 900, 3600, 4 * 3600, 86400, 3 * 86400, 7 * 86400],
    });
  }

  decision(decision: ApprovalOutcome): void {
    this.decisions?.inc({ decision });
  }

  /** A held workflow reached `outcome` after waiting since `createdAt`. */
  settled(outcome: string, createdAt: string, now: Date): void {
    this.wait?.observe({ outcome }, Math.max(0, (now.getTime() - Date.parse(createdAt)) / 1000));
  }
}
