import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Sleeper } from '../connectors/sleeper';
import { ProjectsService } from '../projects.service';
import { SyncService } from './sync.service';

/** How often each replica looks for due syncs; the claim in the store decides who runs one. */
export const SYNC_TICK_MS = 5_000;
/** A claim lapses after this long, so a replica that died mid-sync does not hold the project forever. */
export const SYNC_LEASE_MS = 15 * 60_000;

/**
 * Periodic sync per project (`sync_interval_seconds`), run once across replicas: every replica
 * ticks, and a conditional UPDATE of the project's lease row lets exactly one of them run it.
 */
@Injectable()
export class SyncScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Projects');
  readonly holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(
    private readonly projects: ProjectsService,
    private readonly sync: SyncService,
    private readonly sleeper: Sleeper,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), SYNC_TICK_MS);
    this.timer.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }

  /** One pass: claims and runs every due project. Public so tests can drive it without waiting. */
  tick(): Promise<void> {
    this.running ??= this.pass().finally(() => (this.running = null));
    return this.running;
  }

  private async pass(): Promise<void> {
    try {
      for (const project of await this.projects.list()) {
        if (project.sync_interval_seconds <= 0) continue;
        const now = this.sleeper.now();
        const claimed = await this.projects.store.claimSync(
          project.name,
          this.holder,
          new Date(now).toISOString(),
          new Date(now + SYNC_LEASE_MS).toISOString(),
        );
        if (!claimed) continue;
        try {
          await this.sync.sync(project.name);
        } finally {
          const next = new Date(this.sleeper.now() + project.sync_interval_seconds * 1000).toISOString();
          await this.projects.store.releaseSync(project.name, this.holder, next);
        }
      }
    } catch (err) {
      // The store may be briefly unavailable: the next tick tries again.
      this.logger.warn(`Periodic sync pass failed: ${(err as Error).message}`);
    }
  }
}
