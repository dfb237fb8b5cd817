/**
 * Runs the background refresh every `intervalMs`, measured from the end of the previous run so a slow
 * backend never stacks runs. The timer is unref'd: it never keeps the process alive.
 */
export class SecretsRefreshScheduler {
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly intervalMs: number,
    private readonly refresh: () => Promise<void>,
  ) {}

  get running(): boolean {
    return this.timer !== null;
  }

  start(): void {
    if (this.stopped || this.timer) return;
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private arm(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.refresh()
        .catch(() => undefined)
        .finally(() => this.arm());
    }, this.intervalMs);
    this.timer.unref();
  }
}
