import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MiraConfig } from '@mira/config';

/** Cookies of a request, as parsed by @fastify/cookie (registered by the HTTP edge, apps/mira/src/edge). */
export function requestCookies(req: FastifyRequest): Record<string, string | undefined> {
  return (req as FastifyRequest & { cookies?: Record<string, string | undefined> }).cookies ?? {};
}

/**
 * Secure unless the service is reached over plain HTTP on loopback (a laptop or a test): the
 * redirect URI says how people reach it.
 */
export function secureCookies(oidc: MiraConfig['auth']['oidc']): boolean {
  if (oidc.redirect_uri === null) return true;
  const url = new URL(oidc.redirect_uri);
  return !(url.protocol === 'http:' && ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname));
}

/** Sets a cookie through @fastify/cookie; HttpOnly and SameSite=Lax always. */
export function setCookie(
  reply: FastifyReply,
  name: string,
  value: string,
  options: { path: string; maxAge: number; secure: boolean },
): void {
  (reply as FastifyReply & { setCookie: (n: string, v: string, o: object) => void }).setCookie(name, value, {
    path: options.path,
    maxAge: options.maxAge,
    httpOnly: true,
    sameSite: 'lax',
    secure: options.secure,
  });
}
