import type { FastifyReply, FastifyRequest } from 'fastify';

/** Cookies of a request, as parsed by @fastify/cookie (registered by the HTTP edge, apps/mira/src/edge). */
export function requestCookies(req: FastifyRequest): Record<string, string | undefined> {
  return (req as FastifyRequest & { cookies?: Record<string, string | undefined> }).cookies ?? {};
}

/**
 * Sets a `__Host-` cookie through @fastify/cookie: Path=/, Secure, HttpOnly and SameSite=Lax
 * always. Browsers accept Secure cookies from http://localhost and 127.0.0.1 (secure contexts),
 * so a laptop or a test over plain HTTP on loopback works too.
 */
export function setCookie(reply: FastifyReply, name: string, value: string, maxAge: number): void {
  (reply as FastifyReply & { setCookie: (n: string, v: string, o: object) => void }).setCookie(name, value, {
    path: '/',
    maxAge,
    httpOnly: true,
    sameSite: 'lax',
    secure: true,
  });
}
