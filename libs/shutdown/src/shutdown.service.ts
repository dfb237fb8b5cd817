import { setTimeout as sleep } from 'node:timers/promises';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnModuleInit,
} from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import {
  MAX_SHUTDOWN_PRIORITY,
  MIN_SHUTDOWN_PRIORITY,
  SHUTDOWN_PRIORITY,
  SHUTDOWN_SIGNALS,
} from './shutdown.constants';
import { ShutdownHook } from './shutdown.decorator';
import { ShutdownError } from './shutdown.error';
import type {
  ClosableApplication,
  OnShutdown,
  ShutdownContext,
  ShutdownHookFn,
  ShutdownHookHandle,
  ShutdownHookRegistration,
  ShutdownHookReport,
  ShutdownModuleOptions,
  ShutdownResult,
  ShutdownState,
} from './shutdown.interface';
import { SHUTDOWN_MODULE_OPTIONS } from './shutdown.module-definition';
import { type FatalOrigin, ProcessSignals } from './process-signals.provider';

interface Hook {
  name: string;
  priority: number;
  timeoutMs?: number;
  fn: ShutdownHookFn;
  seq: number;
}

interface RunOptions {
  /** Exit the process with the result's code when done (signal and fatal-error runs). */
  exit: boolean;
  /** Force exit code 1 (a fatal error started the run). */
  failed?: boolean;
}

const DEFAULTS = { timeoutMs: 30000, hookTimeoutMs: 10000, drainDelayMs: 5000, exitOnSecondInterrupt: false };

/**
 * Ordered shutdown: hooks by priority (FIFO on ties), each cut at its timeout, the whole run
 * cut at the deadline, one failure never stopping the others. Runs once; exit code 0/1.
 */
@Injectable()
export class ShutdownService implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('Shutdown');
  private readonly hooks: Hook[] = [];
  private readonly options: Required<ShutdownModuleOptions>;
  private readonly startListeners = new Set<(reason: string) => void>();
  private seq = 0;
  private current: Promise<ShutdownResult> | null = null;
  private currentReason = '';
  private deadlineAt = 0;
  /** The current run was started by Nest's own close (app.close() called from outside). */
  private closingFromNest = false;
  private runState: ShutdownState = 'running';
  private detach: (() => void)[] = [];
  private fatalDuringRun = false;

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly process: ProcessSignals,
    @Inject(SHUTDOWN_MODULE_OPTIONS) options: ShutdownModuleOptions,
  ) {
    this.options = {
      timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
      hookTimeoutMs: options.hookTimeoutMs ?? DEFAULTS.hookTimeoutMs,
      drainDelayMs: options.drainDelayMs ?? DEFAULTS.drainDelayMs,
      exitOnSecondInterrupt: options.exitOnSecondInterrupt ?? DEFAULTS.exitOnSecondInterrupt,
    };
    const delay = this.options.drainDelayMs;
    // Its own budget: a long drain delay must not be cut by the per-hook default.
    this.register({
      name: 'drain-delay',
      priority: SHUTDOWN_PRIORITY.DRAIN_DELAY,
      timeoutMs: delay + 1000,
      fn: async (ctx) => {
        if (delay <= 0) return;
        this.logger.log(
          `Waiting ${delay} ms (shutdown.drain_delay_ms) so load balancers stop sending traffic`,
        );
        await sleep(delay, undefined, { signal: ctx.signal }).catch(() => undefined);
      },
    });
  }

  get state(): ShutdownState {
    return this.runState;
  }

  get isShuttingDown(): boolean {
    return this.runState !== 'running';
  }

  /** Registers a hook; throws ShutdownError for a bad priority, a non-function or a bad timeout. */
  register(registration: ShutdownHookRegistration): ShutdownHookHandle {
    const { name, priority, timeoutMs, fn } = registration ?? ({} as ShutdownHookRegistration);
    const label = typeof name === 'string' && name ? name : String(name);
    if (typeof name !== 'string' || name.length === 0)
      throw new ShutdownError('SHUTDOWN_INVALID_HOOK', 'A shutdown hook needs a non-empty name');
    if (
      typeof priority !== 'number' ||
      !Number.isInteger(priority) ||
      priority < MIN_SHUTDOWN_PRIORITY ||
      priority > MAX_SHUTDOWN_PRIORITY
    )
      throw new ShutdownError(
        'SHUTDOWN_INVALID_PRIORITY',
        `Shutdown hook "${label}": priority ${String(priority)} is not an integer in ${MIN_SHUTDOWN_PRIORITY}-${MAX_SHUTDOWN_PRIORITY}; ` +
          'use 0-9 to stop intake, 10-19 for connections, 20-29 for caches and temp files, 30+ for flushes',
      );
    if (typeof fn !== 'function')
      throw new ShutdownError(
        'SHUTDOWN_INVALID_HOOK',
        `Shutdown hook "${label}": fn must be a function (got ${fn === null ? 'null' : typeof fn})`,
      );
    if (
      timeoutMs !== undefined &&
      !(typeof timeoutMs === 'number' && Number.isFinite(timeoutMs) && timeoutMs > 0)
    )
      throw new ShutdownError(
        'SHUTDOWN_INVALID_TIMEOUT',
        `Shutdown hook "${label}": timeoutMs must be a positive number of milliseconds (got ${String(timeoutMs)})`,
      );
    if (this.current)
      throw new ShutdownError(
        'SHUTDOWN_IN_PROGRESS',
        `Shutdown hook "${label}" registered while shutting down; register hooks at start-up`,
      );
    const hook: Hook = { name, priority, timeoutMs, fn, seq: this.seq++ };
    this.hooks.push(hook);
    return {
      name,
      priority,
      unregister: () => {
        const i = this.hooks.indexOf(hook);
        if (i < 0) return false;
        this.hooks.splice(i, 1);
        return true;
      },
    };
  }

  /** Registered hooks in run order (for diagnostics and tests). */
  list(): { name: string; priority: number }[] {
    return this.ordered().map(({ name, priority }) => ({ name, priority }));
  }

  /** Called synchronously when a run starts, before any hook. */
  onStart(listener: (reason: string) => void): () => void {
    this.startListeners.add(listener);
    return () => this.startListeners.delete(listener);
  }

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders({ metadataKey: ShutdownHook.KEY })) {
      const options = this.discovery.getMetadataByDecorator(ShutdownHook, wrapper);
      if (!options) continue;
      const instance = wrapper.instance as Partial<OnShutdown> | undefined;
      if (!instance || typeof instance.onShutdown !== 'function')
        throw new ShutdownError(
          'SHUTDOWN_INVALID_HOOK',
          `Provider ${String(wrapper.name)} is marked @ShutdownHook({ name: "${options.name}" }) but has no onShutdown() method ` +
            '(or is not a singleton); implement OnShutdown',
        );
      this.register({ ...options, fn: (ctx) => instance.onShutdown!(ctx) });
    }
  }

  /**
   * Takes over process signals (SIGTERM, SIGINT) and fatal errors for `app`: each runs the
   * sequence once, then exits 0/1. Nest's own close runs as the `nest-application` hook, so
   * use this instead of app.enableShutdownHooks().
   */
  attach(app: ClosableApplication): void {
    this.register({
      name: 'nest-application',
      priority: SHUTDOWN_PRIORITY.NEST_APPLICATION,
      // When the run itself came from app.close() (beforeApplicationShutdown), Nest is already
      // closing: calling close() again would wait on its own in-flight promise until the timeout.
      fn: () => (this.closingFromNest ? undefined : app.close()),
    });
    this.detach.push(
      this.process.onSignals(SHUTDOWN_SIGNALS, (signal) => {
        if (this.current) {
          if (signal === 'SIGINT' && this.currentReason === 'SIGINT' && this.options.exitOnSecondInterrupt) {
            this.logger.warn('Received a second SIGINT; exiting now without finishing the shutdown');
            this.process.exit(130);
            return;
          }
          this.logger.warn(
            `Received ${signal} while already shutting down (${this.currentReason}); ` +
              `continuing, ${Math.max(0, this.deadlineAt - Date.now())} ms left before the deadline`,
          );
          return;
        }
        this.logger.log(`Received ${signal}; shutting down`);
        void this.run(signal, { exit: true });
      }),
      this.process.onFatal((error, origin) => this.fatal(error, origin)),
    );
  }

  /**
   * Runs the sequence once; later calls return the same result. With `exit`, the process
   * exits with the result's code when done.
   */
  run(reason: string, options: RunOptions = { exit: false }): Promise<ShutdownResult> {
    if (this.current) return this.current;
    this.currentReason = reason;
    this.runState = 'shutting_down';
    this.deadlineAt = Date.now() + this.options.drainDelayMs + this.options.timeoutMs;
    for (const listener of this.startListeners) {
      try {
        listener(reason);
      } catch (err) {
        this.logger.error(
          `A shutdown start listener failed: ${(err as Error).message}`,
          (err as Error).stack,
        );
      }
    }
    this.current = this.execute(reason, options).then((result) => {
      this.runState = 'stopped';
      for (const d of this.detach.splice(0)) d();
      if (options.exit) this.process.exit(result.exitCode);
      return result;
    });
    return this.current;
  }

  /** When someone else calls app.close() (tests, an embedding app): run the hooks without exiting. */
  async beforeApplicationShutdown(signal?: string): Promise<void> {
    // Inside our own run, app.close() is the `nest-application` hook: nothing more to do.
    if (this.current) return;
    this.closingFromNest = true;
    await this.run(signal ?? 'application close', { exit: false });
  }

  private fatal(error: unknown, origin: FatalOrigin): void {
    const err = error instanceof Error ? error : new Error(String(error));
    this.logger.error(`Fatal ${origin}: ${err.message}`, err.stack);
    if (this.current) {
      // Already stopping: the run goes on, but the exit code must say something went wrong.
      this.fatalDuringRun = true;
      return;
    }
    void this.run(origin, { exit: true, failed: true });
  }

  private ordered(): Hook[] {
    return [...this.hooks].sort((a, b) => a.priority - b.priority || a.seq - b.seq);
  }

  private async execute(reason: string, options: RunOptions): Promise<ShutdownResult> {
    const started = Date.now();
    const hooks = this.ordered();
    this.logger.log(
      `Shutdown started (${reason}): ${hooks.length} hook(s), drain delay ${this.options.drainDelayMs} ms, ` +
        `deadline ${this.options.timeoutMs} ms after it`,
    );
    const reports: ShutdownHookReport[] = [];
    let deadlineExceeded = false;
    for (const hook of hooks) {
      const remaining = this.deadlineAt - Date.now();
      // Once a hook was cut by the deadline the rest are skipped, even if the clock reads a
      // millisecond left (timers and Date.now() round differently).
      if (remaining <= 0 || deadlineExceeded) {
        deadlineExceeded = true;
        this.logger.error(
          `Shutdown hook "${hook.name}" (priority ${hook.priority}) skipped: the deadline passed`,
        );
        reports.push({ name: hook.name, priority: hook.priority, outcome: 'skipped', duration_ms: 0 });
        continue;
      }
      const limit = hook.timeoutMs ?? this.options.hookTimeoutMs;
      const report = await this.runHook(hook, reason, Math.min(limit, remaining), limit > remaining);
      if (report.outcome === 'timed_out' && limit > remaining) deadlineExceeded = true;
      reports.push(report);
    }
    const failed = reports.some((r) => r.outcome !== 'completed');
    const exitCode: 0 | 1 = failed || deadlineExceeded || options.failed || this.fatalDuringRun ? 1 : 0;
    const durationMs = Date.now() - started;
    const summary = `Shutdown finished in ${durationMs} ms with exit code ${exitCode}`;
    if (exitCode === 0) this.logger.log(summary);
    else
      this.logger.error(
        `${summary}: ${reports
          .filter((r) => r.outcome !== 'completed')
          .map((r) => `${r.name} ${r.outcome}`)
          .join(
            ', ',
          )}${deadlineExceeded ? ' (deadline exceeded)' : ''}${options.failed || this.fatalDuringRun ? ' (fatal error)' : ''}`,
      );
    return { reason, exitCode, deadlineExceeded, durationMs, hooks: reports };
  }

  private async runHook(
    hook: Hook,
    reason: string,
    budgetMs: number,
    cutByDeadline: boolean,
  ): Promise<ShutdownHookReport> {
    const controller = new AbortController();
    const context: ShutdownContext = {
      reason,
      budgetMs,
      signal: controller.signal,
      remainingMs: () => Math.max(0, this.deadlineAt - Date.now()),
    };
    const base = { name: hook.name, priority: hook.priority };
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const outcome = await Promise.race([
        Promise.resolve()
          .then(() => hook.fn(context))
          .then(() => 'completed' as const),
        new Promise<'timed_out'>((resolve) => {
          timer = setTimeout(() => resolve('timed_out'), budgetMs);
        }),
      ]);
      const duration_ms = Date.now() - started;
      if (outcome === 'timed_out') {
        controller.abort(new Error(`shutdown hook ${hook.name} timed out`));
        this.logger.error(
          `Shutdown hook "${hook.name}" (priority ${hook.priority}) timed out after ${budgetMs} ms ` +
            `(${cutByDeadline ? 'the shutdown deadline' : 'its timeout'}); cut, continuing with the others`,
        );
        return { ...base, outcome, duration_ms };
      }
      this.logger.log(
        `Shutdown hook "${hook.name}" (priority ${hook.priority}) completed in ${duration_ms} ms`,
      );
      return { ...base, outcome, duration_ms };
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      this.logger.error(
        `Shutdown hook "${hook.name}" (priority ${hook.priority}) failed: ${e.message}; continuing with the others`,
        e.stack,
      );
      return { ...base, outcome: 'failed', duration_ms: Date.now() - started, error: e.message };
    } finally {
      clearTimeout(timer);
      if (!controller.signal.aborted) controller.abort();
    }
  }
}
