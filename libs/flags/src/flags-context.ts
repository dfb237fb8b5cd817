import { hostname } from 'node:os';
import { Inject, Injectable } from '@nestjs/common';
import { ClsServiceManager } from 'nestjs-cls';
import { CONFIG_MODULE_OPTIONS, type ConfigModuleDefinitionOptions } from '@mira/config';
import { currentCorrelation, SERVICE_VERSION } from '@mira/logging';
import type { EvaluationContext } from '@openfeature/server-sdk';

/** The fields Mira puts in an evaluation context (besides any a caller passes). */
export interface FlagContextFields {
  targetingKey?: string;
  roles?: readonly string[];
  workflow_type?: string;
  message_type?: string;
  project?: string;
}

const FLAGS_CLS_KEY = Symbol('mira:flags-context');
type Store = Record<symbol, FlagContextFields | undefined>;
const cls = () => ClsServiceManager.getClsService();

/** Adds fields to the current request's / message's flag context; false outside any CLS scope. */
export function setFlagContext(fields: FlagContextFields): boolean {
  const store = cls().isActive() ? (cls().get() as Store | undefined) : undefined;
  if (!store) return false;
  store[FLAGS_CLS_KEY] = { ...store[FLAGS_CLS_KEY], ...fields };
  return true;
}

/** Runs `fn` with `fields` added to the flag context (a nested CLS scope). */
export function runWithFlagContext<R>(fields: FlagContextFields, fn: () => R): R {
  const store = (cls().isActive() ? cls().get() : undefined) as Store | undefined;
  return cls().runWith({ ...store, [FLAGS_CLS_KEY]: { ...store?.[FLAGS_CLS_KEY], ...fields } } as Store, fn);
}

function currentFields(): FlagContextFields {
  if (!cls().isActive()) return {};
  return (cls().get() as Store | undefined)?.[FLAGS_CLS_KEY] ?? {};
}

/**
 * Builds the evaluation context: the process's fixed fields (replica, environment, version),
 * the current request's or message's fields (CLS), then what the caller passes. targetingKey
 * falls back to the caller's name in the log context, then to the workflow id (background work).
 */
@Injectable()
export class FlagContextBuilder {
  readonly fixed: { replica: string; environment: string; version: string };

  constructor(@Inject(CONFIG_MODULE_OPTIONS) options: ConfigModuleDefinitionOptions) {
    const env = options.env ?? process.env;
    this.fixed = {
      replica: env.POD_NAME || env.HOSTNAME || hostname(),
      environment: env.MIRA_ENVIRONMENT || env.NODE_ENV || 'development',
      version: SERVICE_VERSION,
    };
  }

  build(extra: EvaluationContext = {}): EvaluationContext {
    const correlation = currentCorrelation();
    const fields = currentFields();
    const ctx: EvaluationContext = { ...this.fixed };
    const key = fields.targetingKey ?? correlation?.actor ?? correlation?.workflow_id;
    if (key !== undefined) ctx.targetingKey = key;
    // On the broker path the request's flag fields are gone; the roles came with the message.
    if (fields.roles) ctx.roles = [...fields.roles];
    else if (correlation?.actor_roles) ctx.roles = correlation.actor_roles.split(',');
    for (const k of ['workflow_type', 'message_type', 'project'] as const)
      if (fields[k] !== undefined) ctx[k] = fields[k];
    return { ...ctx, ...extra };
  }
}
