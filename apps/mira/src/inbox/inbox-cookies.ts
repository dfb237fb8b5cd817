import fastifyCookie from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MiraConfig } from '@mira/config';

/** Cookies of a request (parsed with @fastify/cookie's parser, no plugin needed). */
export function requestCookies(req: FastifyRequest): Record<string, string | undefined> {
  const header = req.headers.cookie;
  return typeof header === 'string' ? fastifyCookie.parse(header) : {};
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

/** Appends a Set-Cookie (several may be set on one answer). HttpOnly and SameSite=Lax always. */
export function setCookie(
  reply: FastifyReply,
  name: string,
  value: string,
  options: { path: string; maxAge: number; secure: boolean },
): void {
  const cookie = fastifyCookie.serialize(name, value, {
    path: options.path,
    maxAge: options.maxAge,
    httpOnly: true,
    sameSite: 'lax',
    secure: options.secure,
  });
  const existing = reply.getHeader('set-cookie');
  const list = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
  void reply.header('set-cookie', [...list, cookie]);
}
