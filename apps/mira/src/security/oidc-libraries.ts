import type * as Jose from 'jose';
import type * as OpenIdClient from 'openid-client';

/*
 * jose and openid-client, loaded on first use rather than at start: they serve bearer JWTs, OIDC
 * sign-in and inbox session cookies, all per request, and cost about 20 ms of every start
 * (bench/startup.js) on instances that use none of them.
 */
let joseModule: typeof Jose | undefined;
let openIdClientModule: typeof OpenIdClient | undefined;

export function jose(): typeof Jose {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (joseModule ??= require('jose') as typeof Jose);
}

export function openIdClient(): typeof OpenIdClient {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (openIdClientModule ??= require('openid-client') as typeof OpenIdClient);
}
