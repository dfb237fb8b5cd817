import type { LoggerService } from '@nestjs/common';

/** Nest's own start-up chatter: one line per module and per route, useful only when debugging. */
const BOOTSTRAP_CONTEXTS = new Set([
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'NestFactory',
  'NestApplication',
]);

/**
 * The app logger with Nest's bootstrap lines ("dependencies initialized", "Mapped route") moved
 * to debug; it counts them so main.ts can print one start line (modules, routes) instead.
 */
export class BootstrapQuietLogger implements LoggerService {
  modules = 0;
  routes = 0;

  constructor(private readonly inner: LoggerService) {}

  log(message: unknown, ...rest: unknown[]): void {
    const context = rest[rest.length - 1];
    if (typeof context === 'string' && BOOTSTRAP_CONTEXTS.has(context)) {
      if (context === 'InstanceLoader') this.modules++;
      else if (context === 'RouterExplorer') this.routes++;
      (this.inner.debug ?? this.inner.log).call(this.inner, message, ...rest);
      return;
    }
    this.inner.log(message, ...rest);
  }

  error(message: unknown, ...rest: unknown[]): void {
    this.inner.error(message, ...rest);
  }

  warn(message: unknown, ...rest: unknown[]): void {
    this.inner.warn(message, ...rest);
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.inner.debug?.(message, ...rest);
  }

  verbose(message: unknown, ...rest: unknown[]): void {
    this.inner.verbose?.(message, ...rest);
  }

  fatal(message: unknown, ...rest: unknown[]): void {
    (this.inner.fatal ?? this.inner.error).call(this.inner, message, ...rest);
  }
}

/** The bootstrap logger of each app createApp built (main.ts reads its counts for the start line). */
export const bootstrapLoggers = new WeakMap<object, BootstrapQuietLogger>();
