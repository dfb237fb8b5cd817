import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  Optional,
} from '@nestjs/common';
import { createHmac } from 'node:crypto';
import type { Gauge } from 'prom-client';
import { ConfigStore } from '@mira/config';
import { MetricsService } from '@mira/metrics';
import { STATE_STORE, type AuditHead, type StateStore } from '@mira/state';
import { anchorWebhookProblem } from './governance.anchor-url';
import { GovernanceAuditKeys } from './governance.audit-key';

/**
 * Publishes the audit trail's head (seq + link of the newest entry) outside the database, every
 * governance.audit.anchor_interval_seconds when it moved: a log line `audit head`, the gauge
 * mira_audit_head_seq, and, when governance.audit.anchor_webhook is set, a POST signed with the
 * key derived from the audit key (HMAC-SHA256(key, "mira-audit-anchor"), hex; HMAC-SHA256 of `<timestamp>.<body>` in `x-mira-audit-signature`). An auditor keeps
 * these copies; a database owner cannot edit them, so a truncated or rewritten trail shows against
 * them. Degrades open: a store or webhook failure is logged, never fatal.
 */
@Injectable()
export class GovernanceAuditAnchor implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('GovernanceAudit');
  private timer: NodeJS.Timeout | null = null;
  private last: AuditHead | null = null;
  private readonly seq: Gauge | null = null;

  constructor(
    private readonly config: ConfigStore,
    private readonly keys: GovernanceAuditKeys,
    @Inject(STATE_STORE) private readonly store: StateStore,
    @Optional() @Inject(MetricsService) metrics: MetricsService | null = null,
  ) {
    this.seq =
      metrics?.gauge({
        name: 'mira_audit_head_seq',
        help: 'Seq of the newest audit entry as last anchored (compare with the log line "audit head")',
      }) ?? null;
  }

  onApplicationBootstrap(): void {
    const seconds = this.config.get('governance').audit.anchor_interval_seconds;
    void this.publish();
    this.timer = setInterval(() => void this.publish(), seconds * 1000);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Reads the head and publishes it when it moved; returns what was published (null: nothing new). */
  async publish(): Promise<AuditHead | null> {
    let head: AuditHead | null;
    try {
      head = await this.store.auditHead();
    } catch (err) {
      this.logger.warn(`audit head not anchored: ${(err as Error).message}`);
      return null;
    }
    if (!head || (this.last && this.last.seq === head.seq && this.last.link === head.link)) return null;
    this.last = head;
    this.seq?.set(head.seq);
    this.logger.log({ msg: 'audit head', ...head });
    const { anchor_webhook: url, anchor_allowed_hosts: hosts } = this.config.get('governance').audit;
    if (url) await this.post(url, hosts, head);
    return head;
  }

  private async post(url: string, hosts: readonly string[], head: AuditHead): Promise<void> {
    // Checked at config load already; checked again here (defence in depth), and no redirects.
    const problem = anchorWebhookProblem(url, hosts, this.keys.production);
    if (problem) {
      this.logger.warn(`governance.audit.anchor_webhook ${problem}; the head was not posted`);
      return;
    }
    const body = JSON.stringify({ type: 'audit.head', ...head });
    const timestamp = Math.floor(Date.now() / 1000).toString();
    // A derived key: the receiver never holds the audit-chain key itself.
    const anchorKey = createHmac('sha256', this.keys.current.key).update('mira-audit-anchor').digest('hex');
    const signature = createHmac('sha256', anchorKey).update(`${timestamp}.${body}`).digest('hex');
    try {
      const res = await fetch(url, {
        method: 'POST',
        redirect: 'error',
        signal: AbortSignal.timeout(5000),
        headers: {
          'content-type': 'application/json',
          'x-mira-audit-timestamp': timestamp,
          'x-mira-audit-key-id': this.keys.current.id,
          'x-mira-audit-signature': `sha256=${signature}`,
        },
        body,
      });
      if (!res.ok) this.logger.warn(`audit head webhook answered ${res.status}`);
    } catch (err) {
      this.logger.warn(`audit head webhook failed: ${(err as Error).name}`);
    }
  }
}
