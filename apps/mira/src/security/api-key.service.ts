import { createHash, timingSafeEqual } from 'node:crypto';
import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ConfigStore, type MiraConfig } from '@mira/config';
import { API_ROLES } from './security.config';
import type { ApiRole, CallerIdentity } from './caller-identity';
import { API_KEY_IDENTITY } from './security.constants';
import { EdgeClock } from './edge-clock';
import { isUnresolvedReference } from '@mira/secrets';
import { RotatingKeySet } from '@mira/webhooks';
import { apiKeyId } from './stable-identity';

/** Request property caching the matched key's identity (the throttler and the guard both ask). */
const KEY_IDENTITY = Symbol('mira:api-key-caller');
const KEY_DIGEST = Symbol('mira:api-key-digest');

const sha256 = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * The API keys from `api.keys` (already resolved from secret:// references by the secrets module),
 * held only as sha256 digests. A presented key is hashed and compared with every digest using
 * timingSafeEqual (equal-length buffers, no early exit), so timing reveals neither which key
 * matched nor how much of it. Follows config reloads; removed keys may keep a grace period.
 */
@Injectable()
export class ApiKeyService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('ApiKeys');
  private readonly digests: RotatingKeySet;
  /** digest hex -> identity; a retired key keeps its identity while its grace lasts. */
  private readonly identities = new Map<string, CallerIdentity>();
  /** Accepted digests as bytes, made once per key instead of once per request. */
  private readonly digestBytes = new Map<string, Buffer>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly config: ConfigStore,
    clock: EdgeClock,
  ) {
    this.digests = new RotatingKeySet(() => clock.now());
    this.load(0);
    // Subscribed from construction on: the secrets module swaps resolved values in during module init.
    this.unsubscribe = this.config.onChange(() => {
      const before = this.digests.configuredCount;
      this.load(this.config.get('api').rotation_grace_seconds * 1000);
      this.logger.log(`API keys reloaded: ${this.digests.configuredCount} active (was ${before})`);
    }, 'api');
  }

  /** After every module's init, so secret:// keys are resolved before anyone asks. */
  onApplicationBootstrap(): void {
    this.load(0);
  }

  onModuleDestroy(): void {
    this.unsubscribe();
  }

  /** Whether any usable key is configured (or still in its grace period). */
  get hasKeys(): boolean {
    return this.digests.values().length > 0;
  }

  /** The key presented as `Authorization: Bearer <key>` or `X-API-Key: <key>`, if any. */
  static presentedKey(headers: FastifyRequest['headers']): string | null {
    const auth = headers.authorization;
    if (typeof auth === 'string') {
      const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
      if (m) return m[1];
    }
    const header = headers['x-api-key'];
    const value = Array.isArray(header) ? header[0] : header;
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
  }

  /**
   * A short non-secret id of the matching key (prefix of its digest) for rate limiting and logs,
   * or null. Cached on the request so the throttler and the guard hash only once.
   */
  identify(req: FastifyRequest): string | null {
    const cached = (req as unknown as Record<symbol, string | null | undefined>)[API_KEY_IDENTITY];
    if (cached !== undefined) return cached;
    const hex = this.requestDigest(req);
    const id = hex === null ? null : hex.slice(0, 12);
    (req as unknown as Record<symbol, string | null>)[API_KEY_IDENTITY] = id;
    return id;
  }

  /** Constant-time check of one presented key against every accepted digest. */
  match(presented: string): string | null {
    const hex = this.matchDigest(presented);
    return hex === null ? null : hex.slice(0, 12);
  }

  /** Drops what this service cached on `req`, so the next look-up checks the keys accepted now. */
  forget(req: FastifyRequest): void {
    const bag = req as unknown as Record<symbol, unknown>;
    delete bag[KEY_IDENTITY];
    delete bag[KEY_DIGEST];
    delete bag[API_KEY_IDENTITY];
  }

  /** The identity of the presented API key, if it is one of the accepted keys. Cached on the request. */
  keyIdentity(req: FastifyRequest): CallerIdentity | null {
    const bag = req as unknown as Record<symbol, CallerIdentity | null | undefined>;
    const cached = bag[KEY_IDENTITY];
    if (cached !== undefined) return cached;
    const hex = this.requestDigest(req);
    const found = hex === null ? null : (this.identities.get(hex) ?? null);
    bag[KEY_IDENTITY] = found;
    return found;
  }

  /** The accepted digest the request's key matches; the throttler and the guard both ask: hashed once per request. */
  private requestDigest(req: FastifyRequest): string | null {
    const bag = req as unknown as Record<symbol, string | null | undefined>;
    const cached = bag[KEY_DIGEST];
    if (cached !== undefined) return cached;
    const key = ApiKeyService.presentedKey(req.headers);
    return (bag[KEY_DIGEST] = key === null ? null : this.matchDigest(key));
  }

  private matchDigest(presented: string): string | null {
    const digest = sha256(presented);
    let found: string | null = null;
    for (const hex of this.digests.values()) {
      let candidate = this.digestBytes.get(hex);
      if (!candidate) this.digestBytes.set(hex, (candidate = Buffer.from(hex, 'hex')));
      if (timingSafeEqual(candidate, digest) && found === null) found = hex;
    }
    return found;
  }

  private load(graceMs: number): void {
    const usable = configuredKeys(this.config.get('api').keys).filter((k) => !isUnresolvedReference(k.key));
    for (const k of usable)
      this.identities.set(sha256(k.key).toString('hex'), {
        id: apiKeyId(k.name),
        name: k.name,
        roles: k.roles,
      });
    this.digests.update(
      usable.map((k) => sha256(k.key).toString('hex')),
      graceMs,
    );
    const alive = new Set(this.digests.values());
    for (const hex of this.identities.keys()) if (!alive.has(hex)) this.identities.delete(hex);
    for (const hex of this.digestBytes.keys()) if (!alive.has(hex)) this.digestBytes.delete(hex);
  }
}

/** `api.keys` as identities: a plain string is `key-<n>` (its position, from 1) with every role. */
export function configuredKeys(
  keys: MiraConfig['api']['keys'],
): { name: string; key: string; roles: readonly ApiRole[] }[] {
  return keys.map((k, i) =>
    typeof k === 'string' ? { name: `key-${i + 1}`, key: k, roles: API_ROLES } : { ...k, roles: k.roles },
  );
}
