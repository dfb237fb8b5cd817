import { Injectable, Logger } from '@nestjs/common';
import type { WorkflowRecord } from '@mira/state';
import { Clock } from '../clock.service';
import { WorkflowJournal } from './workflow.journal';

export function leaseUntil(now: Date, leaseMs: number): string {
  return new Date(now.getTime() + leaseMs).toISOString();
}

export interface HeldLease {
  /** Stops renewing and waits for a renewal under way. */
  stop(): Promise<void>;
}

/** Keeps a running workflow's lease alive, so a slow run is not taken over by another replica. */
@Injectable()
export class WorkflowLease {
  // The engine's context, as before the lease existed: log queries keep finding these lines.
  private readonly logger = new Logger('WorkflowEngine');

  constructor(
    private readonly journal: WorkflowJournal,
    private readonly clock: Clock,
  ) {}

  /** Renews every third of `leaseMs`; `set` receives each renewed record (its version moves on). */
  keep(leaseMs: number, get: () => WorkflowRecord, set: (r: WorkflowRecord) => void): HeldLease {
    const every = leaseMs / 3;
    let renewing: Promise<void> = Promise.resolve();
    const timer = setInterval(() => {
      renewing = renewing.then(async () => {
        const r = get();
        const now = this.clock.now();
        const renewed = await this.journal.extendLease(r, leaseUntil(now, leaseMs)).catch((err: Error) => {
          this.logger.warn(`Workflow ${r.workflow_id}: lease renewal failed: ${err.message}`);
          return null;
        });
        if (renewed) set(renewed);
      });
    }, every);
    timer.unref();
    return {
      stop: async () => {
        clearInterval(timer);
        await renewing;
      },
    };
  }
}
