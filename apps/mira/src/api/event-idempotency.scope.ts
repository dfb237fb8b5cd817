import { createHash } from 'node:crypto';

/**
 * The broker idempotency key of an event publish: scoped to the caller (its stable id) and the event type, so two
 * clients, or two kinds of event, never share a key. Built as a SHA-256 of the JSON array of the
 * parts, not by joining them with a separator: `a:b` + `c` and `a` + `b:c` were one key when
 * joined with ':'. The `event:` prefix keeps it apart from webhook delivery keys (`webhook:...`).
 */
export function eventIdempotencyScope(caller: string, type: string, key: string): string {
  return `event:${createHash('sha256')
    .update(JSON.stringify(['event', caller, type, key]))
    .digest('hex')}`;
}
