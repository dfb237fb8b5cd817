import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';

/** Sampling period; a blocked loop shows as a late tick. */
const INTERVAL_MS = 50;
/** A spike is remembered for one to two windows, so a probe arriving just after a stall sees it. */
const WINDOW_MS = 1000;

/**
 * Event-loop lag as liveness sees it: the worst lateness of a periodic timer over the last
 * window, or the current stall if the timer is overdue. The timer is a side effect, so it
 * lives in this injectable class (unref'd: it never keeps the process alive).
 */
@Injectable()
export class EventLoopMonitor implements OnModuleInit, OnModuleDestroy {
  private timer: NodeJS.Timeout | null = null;
  private last = 0;
  private windowStart = 0;
  private windowMax = 0;
  private previousMax = 0;

  onModuleInit(): void {
    if (this.timer) return;
    this.last = this.windowStart = performance.now();
    this.timer = setInterval(() => this.tick(), INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Milliseconds the loop has recently been late (0 when not sampling). */
  lagMs(): number {
    if (!this.timer) return 0;
    const stall = performance.now() - this.last - INTERVAL_MS;
    return Math.max(0, Math.round(Math.max(this.windowMax, this.previousMax, stall)));
  }

  private tick(): void {
    const now = performance.now();
    const drift = now - this.last - INTERVAL_MS;
    this.last = now;
    if (drift > this.windowMax) this.windowMax = drift;
    if (now - this.windowStart >= WINDOW_MS) {
      this.previousMax = this.windowMax;
      this.windowMax = 0;
      this.windowStart = now;
    }
  }
}
