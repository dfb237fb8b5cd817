import { createHash } from 'node:crypto';
import { type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  InjectThrottlerOptions,
  ThrottlerGuard,
  type ThrottlerModuleOptions,
  type ThrottlerStorage,
} from '@nestjs/throttler';
import type { FastifyRequest } from 'fastify';
import { ConfigStore } from '@mira/config';
import { ApiKeyService } from './api-key.service';
import { routeGroup } from './route-group';
import { EDGE_THROTTLER_STORAGE } from './throttler-storage.provider';

/**
 * @nestjs/throttler's guard scoped to /api/* (per API key, else per client IP) and /webhooks/*
 * (per client IP). One counter per client across all routes of a group; limits and windows are
 * read from config on each request so reloads apply at once. Blocked requests get 429 with
 * Retry-After (seconds) from the base guard.
 */
@Injectable()
export class EdgeThrottlerGuard extends ThrottlerGuard {
  constructor(
    @InjectThrottlerOptions() options: ThrottlerModuleOptions,
    @Inject(EDGE_THROTTLER_STORAGE) storage: ThrottlerStorage,
    reflector: Reflector,
    private readonly config: ConfigStore,
    private readonly keys: ApiKeyService,
  ) {
    super(options, storage, reflector);
  }

  /** The settings for this request's group, or null when it is not limited. */
  settings(context: ExecutionContext): { limit: number; window_ms: number } | null {
    if (context.getType() !== 'http') return null;
    const group = routeGroup(context.switchToHttp().getRequest<FastifyRequest>());
    const api = this.config.get('api');
    const s = group === 'api' ? api.rate_limit : group === 'webhooks' ? api.webhook_rate_limit : null;
    return s?.enabled ? s : null;
  }

  /**
   * The base guard's canActivate without what Mira's routes never use: five metadata lookups per
   * request for @Throttle/@SkipThrottle overrides and limits resolved through option functions,
   * each behind an await. Same storage, key, headers and 429. A route or controller that does
   * carry throttler metadata (a plugin's) goes through the base guard unchanged.
   */
  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const s = this.settings(context);
    if (s === null) return true;
    if (this.overridden(context)) return super.canActivate(context);
    const { req, res } = this.getRequestResponse(context);
    const tracker = await this.getTracker(req);
    const key = this.generateKey(context, tracker, 'default');
    // blockDuration: the base guard's default (the window) for the one `default` throttler.
    const hit = await this.storageService.increment(key, s.window_ms, s.limit, s.window_ms, 'default');
    if (hit.isBlocked) {
      this.setResponseHeader(res, 'Retry-After', hit.timeToBlockExpire);
      await this.throwThrottlingException(context, {
        limit: s.limit,
        ttl: s.window_ms,
        key,
        tracker,
        ...hit,
      });
    }
    this.setResponseHeader(res, `${this.headerPrefix}-Limit`, s.limit);
    this.setResponseHeader(res, `${this.headerPrefix}-Remaining`, Math.max(0, s.limit - hit.totalHits));
    this.setResponseHeader(res, `${this.headerPrefix}-Reset`, hit.timeToExpire);
    return true;
  }

  /**
   * Whether the handler or its class carries any @nestjs/throttler metadata, cached per
   * (class, handler): a handler inherited by two controllers may be decorated on one class only.
   */
  private overridden(context: ExecutionContext): boolean {
    const handler = context.getHandler();
    const cls = context.getClass();
    let perClass = this.overrides.get(cls);
    if (!perClass) this.overrides.set(cls, (perClass = new WeakMap()));
    let found = perClass.get(handler);
    if (found === undefined) {
      found = [handler, cls].some((t) =>
        Reflect.getMetadataKeys(t).some((k) => String(k).startsWith('THROTTLER:')),
      );
      perClass.set(handler, found);
    }
    return found;
  }

  private readonly overrides = new WeakMap<object, WeakMap<object, boolean>>();

  protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
    return this.settings(context) === null;
  }

  protected override async getTracker(req: Record<string, any>): Promise<string> {
    const request = req as FastifyRequest;
    const group = routeGroup(request);
    const id = group === 'api' ? this.keys.identify(request) : null;
    return id ? `key:${id}` : `${group}:ip:${request.ip}`;
  }

  protected override generateKey(_context: ExecutionContext, tracker: string, name: string): string {
    const input = `${name}:${tracker}`;
    let key = this.keyCache.get(input);
    if (key === undefined) {
      // Bounded: many distinct client IPs empty it now and then instead of growing it.
      if (this.keyCache.size >= 10_000) this.keyCache.clear();
      this.keyCache.set(input, (key = createHash('sha256').update(input).digest('hex')));
    }
    return key;
  }

  /** Storage key per tracker: the same few callers hash the same input on every request. */
  private readonly keyCache = new Map<string, string>();
}

/** Options for the guard: one throttler whose limit and window follow the request's group. */
export function edgeThrottlerOptions(config: ConfigStore): ThrottlerModuleOptions {
  const pick = (context: ExecutionContext) => {
    const group = routeGroup(context.switchToHttp().getRequest<FastifyRequest>());
    const api = config.get('api');
    return group === 'webhooks' ? api.webhook_rate_limit : api.rate_limit;
  };
  return {
    throttlers: [{ name: 'default', limit: (c) => pick(c).limit, ttl: (c) => pick(c).window_ms }],
    errorMessage: 'Too many requests: retry after the number of seconds in the Retry-After header',
  };
}
