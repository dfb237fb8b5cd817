/** The session cookie: sent to /inbox and /api (the page calls the JSON API with it). */
export const SESSION_COOKIE = 'mira_session';
/** The sign-in transaction (PKCE verifier, state, nonce) between /inbox/login and /inbox/callback. */
export const LOGIN_COOKIE = 'mira_login';
/** The page sends the session's CSRF token in this header on every API call and on logout. */
export const CSRF_HEADER = 'x-csrf-token';
/** A sign-in must come back from the provider within this time. */
export const LOGIN_TTL_SECONDS = 600;
