/** What a hook receives: why we stop, its time budget and a signal aborted when it is cut. */
export interface ShutdownContext {
  /** e.g. `SIGTERM`, `uncaughtException`, `application close`. */
  readonly reason: string;
  /** This hook's budget: min(its timeout, time left before the deadline). */
  readonly budgetMs: number;
  /** Aborted when the hook is cut (timeout or deadline). */
  readonly signal: AbortSignal;
  /** Milliseconds left before the whole run's deadline. */
  remainingMs(): number;
}

export type ShutdownHookFn = (context: ShutdownContext) => unknown;

export interface ShutdownHookOptions {
  /** Shown in the logs; need not be unique. */
  name: string;
  /** 0-100, lower runs first; equal priorities run in registration order. */
  priority: number;
  /** Per-hook time limit; default `shutdown.hook_timeout_ms`. */
  timeoutMs?: number;
}

export interface ShutdownHookRegistration extends ShutdownHookOptions {
  fn: ShutdownHookFn;
}

/** Returned by register(): lets the owner take its hook back (e.g. a connection closed early). */
export interface ShutdownHookHandle {
  readonly name: string;
  readonly priority: number;
  /** True when the hook was still registered. */
  unregister(): boolean;
}

/** What a provider marked with @ShutdownHook() implements. */
export interface OnShutdown {
  onShutdown(context: ShutdownContext): unknown;
}

export type ShutdownHookOutcome = 'completed' | 'failed' | 'timed_out' | 'skipped';

export interface ShutdownHookReport {
  name: string;
  priority: number;
  outcome: ShutdownHookOutcome;
  duration_ms: number;
  error?: string;
}

export interface ShutdownResult {
  reason: string;
  /** 0 when every hook completed in time and no fatal error started the run; 1 otherwise. */
  exitCode: 0 | 1;
  deadlineExceeded: boolean;
  durationMs: number;
  hooks: ShutdownHookReport[];
}

export type ShutdownState = 'running' | 'shutting_down' | 'stopped';

export interface ShutdownModuleOptions {
  /** Whole-run deadline, counted after the drain delay (`shutdown.timeout_ms`, default 30000). */
  timeoutMs?: number;
  /** Default per-hook limit (`shutdown.hook_timeout_ms`, default 10000). */
  hookTimeoutMs?: number;
  /** Wait after readiness turns 503 before closing the server (`shutdown.drain_delay_ms`, default 5000). */
  drainDelayMs?: number;
  /**
   * A second SIGINT (Ctrl-C) while a SIGINT-started shutdown runs exits at once with 130
   * (development: the person at the terminal wants out). Off by default: production waits.
   */
  exitOnSecondInterrupt?: boolean;
}

/** What `attach()` needs from the application: Nest's own close (module destroy hooks, adapter). */
export interface ClosableApplication {
  close(): Promise<void>;
}
