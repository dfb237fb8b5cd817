import { Injectable } from '@nestjs/common';
import { ClsServiceManager } from 'nestjs-cls';
import {
  ACTOR_HEADER,
  ACTOR_ROLES_HEADER,
  CORRELATION_CLS_KEY,
  CORRELATION_HEADER,
  WORKFLOW_HEADER,
} from '../logging.constants';
import { generateCorrelationId, isValidCorrelationId } from './correlation-id';
import { currentCorrelation } from './correlation.context';

/**
 * The broker's context propagator (it satisfies @mira/broker's BrokerContextPropagator
 * structurally; logging does not depend on the broker). `inject` copies the current correlation
 * id and workflow id into the message headers at publish; `run` gives every delivery a fresh
 * CLS scope rebuilt from those headers, so handler logs carry the originating id — in this
 * replica or another one reading the same headers from Redis.
 */
const ROLES = /^[a-z_]{1,40}(,[a-z_]{1,40}){0,15}$/;

@Injectable()
export class ClsContextPropagator {
  inject(headers: Record<string, string>): Record<string, string> {
    const ctx = currentCorrelation();
    // An explicit valid header from the caller wins; otherwise the ambient context, else a new id
    // is left for `run` to generate on the consuming side.
    if (!isValidCorrelationId(headers[CORRELATION_HEADER])) {
      if (ctx) headers[CORRELATION_HEADER] = ctx.correlation_id;
      else delete headers[CORRELATION_HEADER];
    }
    if (ctx?.workflow_id && !isValidCorrelationId(headers[WORKFLOW_HEADER]))
      headers[WORKFLOW_HEADER] = ctx.workflow_id;
    // Who asked travels with the work, so a workflow submitted as an event keeps its requester.
    if (ctx?.actor && !isValidCorrelationId(headers[ACTOR_HEADER])) headers[ACTOR_HEADER] = ctx.actor;
    // Its roles go along, so a role-targeted agent flag sees them on the consuming side too.
    if (ctx?.actor_roles && !ROLES.test(headers[ACTOR_ROLES_HEADER] ?? ''))
      headers[ACTOR_ROLES_HEADER] = ctx.actor_roles;
    return headers;
  }

  // Runs per delivery: the context is built field by field (what runWithCorrelation's generic
  // normalisation would keep: log-safe values, the roles list as checked above, a fresh id when
  // the message has none) straight into the new CLS scope.
  run<R>(headers: Readonly<Record<string, string>>, fn: () => R): R {
    const id = headers[CORRELATION_HEADER];
    const workflow = headers[WORKFLOW_HEADER];
    const actor = headers[ACTOR_HEADER];
    const roles = headers[ACTOR_ROLES_HEADER];
    const context: { correlation_id?: string; workflow_id?: string; actor?: string; actor_roles?: string } =
      {};
    if (isValidCorrelationId(id)) context.correlation_id = id;
    if (isValidCorrelationId(workflow)) context.workflow_id = workflow;
    if (isValidCorrelationId(actor)) context.actor = actor;
    if (roles !== undefined && ROLES.test(roles)) context.actor_roles = roles;
    context.correlation_id ??= generateCorrelationId();
    return ClsServiceManager.getClsService().runWith({ [CORRELATION_CLS_KEY]: context }, fn);
  }
}
