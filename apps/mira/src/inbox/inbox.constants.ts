/**
 * The session cookie: sent to /inbox and /api (the page calls the JSON API with it). `__Host-`:
 * the browser takes it only with Secure, Path=/ and no Domain, so neither a sibling subdomain
 * nor a plain-HTTP page can plant or overwrite it.
 */
export const SESSION_COOKIE = '__Host-mira_session';
/** The sign-in transaction (PKCE verifier, state, nonce) between /inbox/login and /inbox/callback. */
export const LOGIN_COOKIE = '__Host-mira_login';
/** The page sends the session's CSRF token in this header on every API call and on logout. */
export const CSRF_HEADER = 'x-csrf-token';
/** A sign-in must come back from the provider within this time. */
export const LOGIN_TTL_SECONDS = 600;
