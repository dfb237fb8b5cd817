import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { ConfigStore } from '@mira/config';
import { runWithCorrelation } from '@mira/logging';
import { ShutdownHook } from '@mira/shutdown';
import { STATE_STORE, type StateStore } from '@mira/state';
import { Clock } from '../clock.service';
import { ApprovalService } from './approval.service';
import { WorkflowEngine } from './workflow.engine';

/** Records handled per sweep and kind, so one sweep stays short however much piled up. */
const BATCH = 100;

/**
 * Runs on every replica: expires workflows pending past `governance.approval_ttl_seconds`, and
 * finishes workflows nobody is running (approved but never picked up, or running under a lease
 * that ran out because its replica died). Safe everywhere at once: each change is a conditional
 * update, so one replica wins each record and the others skip it.
 */
@Injectable()
@ShutdownHook({ name: 'workflow-sweeper', priority: 2 })
export class WorkflowSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('WorkflowSweeper');
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    @Inject(STATE_STORE) private readonly store: StateStore,
    private readonly approvals: ApprovalService,
    private readonly engine: WorkflowEngine,
    private readonly config: ConfigStore,
    private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    // Recovery at start: what a previous instance left behind is picked up at once.
    void this.sweep().then(() => this.scheduleNext());
  }

  /** The interval is read for every pass, so a reload of governance.sweep_interval_seconds applies. */
  private scheduleNext(): void {
    if (this.stopped) return;
    this.timer = setTimeout(
      () => void this.sweep().then(() => this.scheduleNext()),
      this.config.get('governance').sweep_interval_seconds * 1000,
    );
    this.timer.unref();
  }

  /** Shutdown hook: no new sweep starts; the one under way finishes. */
  async onShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  onModuleDestroy(): Promise<void> {
    return this.onShutdown();
  }

  /** One pass; overlapping calls share the pass under way. */
  sweep(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.running ??= runWithCorrelation(() => this.pass()).finally(() => (this.running = null));
    return this.running;
  }

  /** One record's failure is logged and skipped: it must not stop the pass for the others. */
  private async one<T>(id: string, work: () => Promise<T>): Promise<T | null> {
    try {
      return await work();
    } catch (err) {
      this.logger.warn(`Workflow ${id}: sweep step failed: ${(err as Error).message}`);
      return null;
    }
  }

  private async pass(): Promise<void> {
    try {
      const now = this.clock.now();
      for (const record of await this.store.findExpired(['pending_approval'], now.toISOString(), BATCH)) {
        if (this.stopped) return;
        if (await this.one(record.workflow_id, () => this.approvals.expire(record)))
          this.logger.warn(`Workflow ${record.workflow_id} expired without a decision`);
      }
      // An approval is normally taken from the broker at once; one left alone for a lease
      // length (its event lost, say) is run from here.
      const grace = this.config.get('governance').lease_seconds * 1000;
      for (const record of await this.store.findUnleased(['approved', 'running'], now.toISOString(), BATCH)) {
        if (this.stopped) return;
        if (record.status === 'approved' && Date.parse(record.updated_at) > now.getTime() - grace) continue;
        await this.one(record.workflow_id, () => this.engine.resume(record.workflow_id));
      }
    } catch (err) {
      // A store outage shows on /healthz (state check); the next pass tries again.
      this.logger.warn(`Workflow sweep failed: ${(err as Error).message}`);
    }
  }
}
