import type { FastifyReply } from 'fastify';
import { markRefusal, refusalReason } from './http-refusals';

const reply = (statusCode: number) => ({ statusCode }) as unknown as FastifyReply;

describe('refusal reasons', () => {
  it.each([
    [429, 'GET', 'rate_limited'],
    [401, 'GET', 'unauthorized'],
    [403, 'POST', 'forbidden'],
    [413, 'POST', 'body_too_large'],
    [415, 'POST', 'unsupported_media_type'],
    [400, 'POST', 'invalid_body'],
    [422, 'PUT', 'invalid_body'],
    [400, 'GET', null], // a bad query is not a refused body
    [404, 'GET', null],
    [503, 'POST', null], // only a marked 503 says why
    [200, 'POST', null],
  ])('status %i on %s -> %s', (status, method, reason) => {
    expect(refusalReason(reply(status), method)).toBe(reason);
  });

  it('prefers the reason marked on the reply over the one its status says', () => {
    const r = reply(401);
    markRefusal(r, 'webhook_signature');
    expect(refusalReason(r, 'POST')).toBe('webhook_signature');
    const full = reply(503);
    markRefusal(full, 'queue_full');
    expect(refusalReason(full, 'POST')).toBe('queue_full');
  });
});
