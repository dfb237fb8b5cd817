/** Inject the delivery de-duplicator with `@Inject(WEBHOOK_DEDUPLICATOR)`. */
export const WEBHOOK_DEDUPLICATOR = Symbol('mira:WEBHOOK_DEDUPLICATOR');
/** Broker message type of a verified delivery: `webhook.<service>`. */
export const WEBHOOK_EVENT_PREFIX = 'webhook.';
/** Service names accepted in the path; anything else is a 404 without further work. */
export const SERVICE_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;
/** Memory de-duplication keeps at most this many delivery ids (least recently seen evicted first). */
export const MEMORY_DEDUP_CAPACITY = 10_000;

/**
 * `webhooks.default`: not a service but the secret of every service without one of its own
 * (the reference's single `webhook.secret_key` / MIRA_WEBHOOK_SECRET lands here).
 */
export const DEFAULT_WEBHOOK_SETTINGS_KEY = 'default';

/** The module's time source (WebhooksModuleOptions.clock, else Date.now): `@Inject(WEBHOOK_CLOCK)`. */
export const WEBHOOK_CLOCK = Symbol('mira:WEBHOOK_CLOCK');

/**
 * Optional: `{ isAdmin(req): Promise<boolean> }`, provided by the application. A delivery for a
 * service with no secret names that cause in its 401 only for a caller it says is an admin.
 */
export const WEBHOOK_ADMIN_CHECK = Symbol('mira:WEBHOOK_ADMIN_CHECK');
