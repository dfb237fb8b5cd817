import type { MiraConfig } from '@mira/config';

export type WebhookServiceSettings = MiraConfig['webhooks'][string];

/** One delivery as the verifier sees it: the exact bytes received and the request around them. */
export interface WebhookDelivery {
  service: string;
  rawBody: Buffer;
  /** Lower-cased header names, as Node delivers them. */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The URL the request was sent to (scheme, host, path and query). */
  url: string;
  /** Epoch milliseconds at receipt. */
  receivedAt: number;
  settings: WebhookServiceSettings;
}

export type WebhookRejection =
  | { reason: 'missing_signature'; header: string }
  | { reason: 'malformed_signature'; header: string }
  | { reason: 'stale_timestamp'; header: string }
  | { reason: 'invalid_signature'; header: string };

/**
 * A webhook provider: how its deliveries are signed and identified. Declare one as a provider
 * decorated `@WebhookProvider({ service: 'name' })`; its key is `webhooks.<name>.secret`.
 */
export interface WebhookVerifier {
  /**
   * Checks the signature against every candidate secret (current, previous, in-grace) in constant
   * time per candidate; returns null when one matches.
   */
  verify(delivery: WebhookDelivery, secrets: readonly string[]): WebhookRejection | null;
  /**
   * The header carrying the delivery id, when the provider always sends one (GitHub, Jira): a
   * delivery without it is refused with a 400 naming it, as a replay stripped of its id would
   * otherwise be published again. Absent: the id is optional (the body digest still de-duplicates).
   */
  readonly deliveryIdHeader?: string;
  /** A stable id of this delivery (retries keep it), used to drop replays; null if none. */
  deliveryId(delivery: WebhookDelivery, payload: unknown): string | null;
  /** The provider's event name, if it sends one. */
  eventType?(delivery: WebhookDelivery, payload: unknown): string | null;
}

export interface WebhookProviderOptions {
  /** The `:service` path segment and config key: lower-case letters, digits, `_` or `-`. */
  service: string;
  description?: string;
}

/** Remembers delivery ids; `claim` is true only for the first sighting within the ttl. */
export interface DeliveryDeduplicator {
  readonly kind: string;
  claim(key: string, ttlMs: number): Promise<boolean>;
  /** Forgets a claim whose delivery could not be handed over, so the provider's retry is accepted. */
  release(key: string): Promise<void>;
  /** Sets a new TTL on an existing claim; false when it is gone. */
  extend(key: string, ttlMs: number): Promise<boolean>;
}

/** What a verified delivery becomes on the broker as `webhook.<service>`. */
export interface WebhookEvent {
  service: string;
  delivery_id: string | null;
  event: string | null;
  received_at: string;
  content_type: string | null;
  payload: unknown;
}

/** Milliseconds since the epoch; injectable so tests can move time. */
export interface WebhookClock {
  now(): number;
}

export interface WebhooksModuleOptions {
  /** Time source of signature tolerance, key rotation grace and de-duplication (default: Date.now). */
  clock?: WebhookClock;
  /**
   * Checks a verified payload against the HTTP edge's limits, which webhook routes bypass (their
   * raw body skips the JSON parser): returns the message of a 400, or null to accept it.
   */
  payloadLimit?: (payload: unknown) => string | null;
  /**
   * Parses a JSON body (the API passes its own prototype-safe parser); throws on invalid JSON.
   * Default: safeJsonParse, which refuses `__proto__` and `constructor.prototype` keys as well.
   */
  parseJson?: (text: string) => unknown;
}

/** Whether a request's caller is authenticated as an admin (see WEBHOOK_ADMIN_CHECK). */
export interface WebhookAdminCheck {
  isAdmin(req: import('fastify').FastifyRequest): Promise<boolean>;
}
