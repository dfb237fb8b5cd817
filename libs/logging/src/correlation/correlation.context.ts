import { ClsServiceManager } from 'nestjs-cls';
import { CORRELATION_CLS_KEY, CORRELATION_HEADER } from '../logging.constants';
import type { CorrelationContext, CorrelationFields } from '../logging.interface';
import { generateCorrelationId, isValidCorrelationId } from './correlation-id';

type Store = Record<symbol, CorrelationContext | undefined>;

/** The process-wide CLS service (nestjs-cls keeps one AsyncLocalStorage per process). */
const cls = () => ClsServiceManager.getClsService();

/** The context of the running code, or undefined outside any request, message or job. */
export function currentCorrelation(): CorrelationContext | undefined {
  return (cls().get() as Store | undefined)?.[CORRELATION_CLS_KEY];
}

export function currentCorrelationId(): string | undefined {
  return currentCorrelation()?.correlation_id;
}

function normalise(context?: string | Partial<CorrelationContext>): CorrelationContext {
  const given = typeof context === 'string' ? { correlation_id: context } : { ...context };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(given))
    if (
      typeof v === 'string' &&
      (isValidCorrelationId(v) || (k === 'actor_roles' && /^[a-z_,]{1,700}$/.test(v)))
    )
      out[k] = v;
  // An invalid or missing id is replaced, never propagated.
  out.correlation_id ??= generateCorrelationId();
  return out as unknown as CorrelationContext;
}

/**
 * Runs `fn` in a fresh context (a new CLS scope) with the given id/context or a generated id.
 * For work outside HTTP: timers, startup jobs, consumers, tests. Returns what `fn` returns;
 * an async `fn` keeps the context across its awaits.
 */
export function runWithCorrelation<R>(fn: () => R, context?: string | Partial<CorrelationContext>): R {
  return cls().runWith({ [CORRELATION_CLS_KEY]: normalise(context) } as Store, fn);
}

/** Opens the CLS scope of an HTTP request. */
export function enterRequestScope<R>(correlationId: string, fn: () => R): R {
  return cls().runWith({ [CORRELATION_CLS_KEY]: { correlation_id: correlationId } } as Store, fn);
}

/**
 * Runs `fn` in a nested scope: the current context plus `fields` (agent_id, task_id, workflow_id),
 * so the fields apply to the lines `fn` writes and vanish when it returns. Outside any context a
 * new one is created.
 */
export function runWithContextFields<R>(fields: CorrelationFields, fn: () => R): R {
  const store = cls().get() as Store | undefined;
  const base = store?.[CORRELATION_CLS_KEY] ?? normalise();
  return cls().runWith({ ...store, [CORRELATION_CLS_KEY]: { ...base, ...defined(fields) } } as Store, fn);
}

/** Adds fields to the current context for the rest of the current scope; false when there is none. */
export function setContextFields(fields: CorrelationFields): boolean {
  const store = cls().get() as Store | undefined;
  const base = store?.[CORRELATION_CLS_KEY];
  if (!store || !base) return false;
  store[CORRELATION_CLS_KEY] = { ...base, ...defined(fields) };
  return true;
}

/** Headers to forward on an outbound call made by the service (empty outside any context). */
export function correlationHeaders(): Record<string, string> {
  const id = currentCorrelationId();
  return id ? { [CORRELATION_HEADER]: id } : {};
}

function defined(fields: CorrelationFields): CorrelationFields {
  const out: Record<string, string> = {};
  // Values come from requests (workflow ids): only log-safe ones are kept.
  for (const [k, v] of Object.entries(fields)) if (isValidCorrelationId(v)) out[k] = v;
  return out;
}
