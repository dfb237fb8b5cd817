import type { CorrelationContext } from '../logging.interface';
import { currentCorrelation, runWithCorrelation } from './correlation.context';

export interface WithCorrelationOptions {
  /** Always start a new context, even when called inside one (default: reuse the caller's). */
  fresh?: boolean;
  /** Builds the context from the call's arguments (e.g. a job id); default: a generated id. */
  from?: (...args: any[]) => string | Partial<CorrelationContext> | undefined;
}

/**
 * Method decorator: the method runs in a correlation context (for @Cron-style jobs, startup
 * work, message consumers wired outside the broker). Inside an existing context it keeps that
 * one unless `fresh` is set.
 */
export function WithCorrelation(options: WithCorrelationOptions = {}): MethodDecorator {
  return (_target, _key, descriptor: PropertyDescriptor) => {
    const original = descriptor.value as (...args: unknown[]) => unknown;
    descriptor.value = function (this: unknown, ...args: unknown[]) {
      if (!options.fresh && currentCorrelation()) return original.apply(this, args);
      return runWithCorrelation(() => original.apply(this, args), options.from?.(...args));
    };
    // Keep the name and any metadata other decorators put on the method (e.g. schedulers).
    Object.defineProperty(descriptor.value, 'name', { value: original.name });
    for (const key of Reflect.getMetadataKeys?.(original) ?? [])
      Reflect.defineMetadata(key, Reflect.getMetadata(key, original), descriptor.value);
    return descriptor;
  };
}
