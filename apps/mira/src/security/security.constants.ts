/** Metadata key set by @RequireCaller(): routes outside /api that still need a caller. */
export const REQUIRE_CALLER_METADATA = 'mira:require-caller';
/** Request property caching the API key identity so the throttler and the guard hash once. */
export const API_KEY_IDENTITY = Symbol('mira:api-key-identity');
/** Path prefixes the edge policies apply to. */
export const API_PREFIX = '/api/';
export const WEBHOOKS_PREFIX = '/webhooks/';
export const METRICS_PATH = '/metrics';
/** Request property caching the caller's identity (name and roles). */
export const CALLER_IDENTITY = Symbol('mira:caller-identity');
/** Metadata key set by @Roles(): the roles (any one of them, or admin) a route needs. */
export const REQUIRED_ROLES_METADATA = 'mira:required-roles';
/** The acting person's name, honoured only while no API keys are configured (development). */
export const ACTOR_HEADER = 'x-mira-actor';
