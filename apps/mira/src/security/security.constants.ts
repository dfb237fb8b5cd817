/** Metadata key set by @RequireApiKey(): routes outside /api that still need a key. */
export const REQUIRE_API_KEY_METADATA = 'mira:require-api-key';
/** Request property caching the API key identity so the throttler and the guard hash once. */
export const API_KEY_IDENTITY = Symbol('mira:api-key-identity');
/** Path prefixes the edge policies apply to. */
export const API_PREFIX = '/api/';
export const WEBHOOKS_PREFIX = '/webhooks/';
export const METRICS_PATH = '/metrics';
