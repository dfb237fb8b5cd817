import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { setFlagContext } from '@mira/flags';
import type { CallerIdentity } from './security/caller-identity';
import { CALLER_IDENTITY } from './security/security.constants';

/** Reads the caller the API guard resolved (cached on the request), or null. */
export function callerOf(req: unknown): CallerIdentity | null {
  return (req as Record<symbol, CallerIdentity | null | undefined>)[CALLER_IDENTITY] ?? null;
}

/**
 * Puts the authenticated caller into the request's flag evaluation context: targetingKey = the
 * caller's stable name, roles = its roles. Runs after the guards, so the identity is resolved.
 */
@Injectable()
export class FlagsCallerInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() === 'http') {
      const caller = callerOf(context.switchToHttp().getRequest());
      if (caller) setFlagContext({ targetingKey: caller.name, roles: caller.roles });
    }
    return next.handle();
  }
}
