import { BrokerError } from '../broker.error';
import type { PublishOptions } from '../broker.interface';
import { endPublishSpan, startPublishSpan } from '../broker.tracing';
import { encodeEntry, errorText, messageId } from './redis.codec';
import type { RedisConnection } from './redis.connection';
import { DEAD_LETTER_TYPE } from './redis.dead-letters';
import type { RedisRuntime } from './redis.runtime';

/** Idempotency keys of publishes live apart from webhook delivery ids. */
const PUBLISH_KEY_SPACE = 'publish:';

// XADD at most once per idempotency key, atomically: a repeat answers the first entry id.
const PUBLISH_ONCE = `
local seen = redis.call('GET', KEYS[2])
if seen then return seen end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, 3))
redis.call('SET', KEYS[2], id, 'PX', ARGV[2])
return id
`;

/** Error replies of a Redis that is starting, busy, full or read-only for now. */
const TRANSIENT_REPLY = /^(LOADING|BUSY|OOM|READONLY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|NOREPLICAS)\b/;

/**
 * A type is part of a key name (`<prefix><type>`). Every other key the service keeps under the
 * prefix is `<prefix><space>:<rest>` (idempotency:, throttle:), so a type without `:` can never
 * name one of them: no event type reaches webhook dedup or rate-limit keys.
 */
const TYPE_PATTERN = /^[^\s:]{1,200}$/;

export function checkType(type: unknown): asserts type is string {
  if (typeof type !== 'string' || type.length === 0)
    throw new BrokerError('BROKER_INVALID_MESSAGE', 'Message type must be a non-empty string');
  if (!TYPE_PATTERN.test(type))
    throw new BrokerError(
      'BROKER_INVALID_MESSAGE',
      `Message type "${type.slice(0, 200)}" is not a valid type on Redis: at most 200 characters, no ':' and no whitespace (':' separates the broker's own key spaces); use '.' to build names like webhook.github`,
    );
}

/**
 * XADD (or, with an idempotency key, XADD at most once per key) on the command connection; never
 * queued while disconnected, and a failure says whether the message may have been stored.
 */
export class RedisPublisher {
  constructor(
    private readonly rt: RedisRuntime,
    private readonly connection: RedisConnection,
  ) {}

  /** The stream key of a message type. */
  streamOf(type: string): string {
    return this.rt.options.streamPrefix + type;
  }

  async publish<T>(
    type: string,
    data: T,
    headers?: Record<string, string>,
    options: PublishOptions = {},
  ): Promise<string> {
    const o = this.rt.options;
    checkType(type);
    if (type === DEAD_LETTER_TYPE)
      throw new BrokerError(
        'BROKER_INVALID_MESSAGE',
        `Message type "${DEAD_LETTER_TYPE}" is reserved for the dead-letter stream`,
      );
    if (!this.rt.lifecycle.accepting)
      throw new BrokerError(
        'BROKER_STOPPED',
        `Broker is shutting down and no longer accepts messages (type ${type}); retry against another replica`,
        true,
      );
    let payload: string;
    try {
      payload = JSON.stringify(data === undefined ? null : data);
    } catch (err) {
      throw new BrokerError(
        'BROKER_INVALID_MESSAGE',
        `Message data of type ${type} is not JSON-serialisable: ${errorText(err)}`,
      );
    }
    const client = this.connection.client;
    if (!client || client.status !== 'ready')
      throw unavailable(type, `connection ${client?.status ?? 'not started'}`);
    // encodeEntry only reads the headers: the caller's object is copied only for the propagator to fill.
    const injected = o.propagator ? o.propagator.inject({ ...headers }) : headers;
    const key = options.idempotencyKey;
    if (key !== undefined && (typeof key !== 'string' || key.length === 0 || key.length > 200))
      throw new BrokerError(
        'BROKER_INVALID_MESSAGE',
        'Idempotency key must be a string of 1 to 200 characters',
      );
    const { span, headers: h } = startPublishSpan('redis', type, injected);
    let entryId: string;
    try {
      entryId = (
        key === undefined
          ? await client.xadd(this.streamOf(type), 'MAXLEN', '~', o.maxlen, '*', ...encodeEntry(h, payload))
          : await client.eval(
              PUBLISH_ONCE,
              2,
              this.streamOf(type),
              `${o.streamPrefix}idempotency:${PUBLISH_KEY_SPACE}${key}`,
              o.maxlen,
              Math.max(1, Math.round(options.idempotencyTtlMs ?? 15 * 60_000)),
              ...encodeEntry(h, payload),
            )
      ) as string;
    } catch (err) {
      const failure = publishFailed(type, err, key);
      endPublishSpan(span, null, failure);
      throw failure;
    }
    endPublishSpan(span, messageId(type, entryId));
    this.rt.counters.published++;
    for (const ob of this.rt.observers) ob.onPublished?.(type);
    return messageId(type, entryId);
  }
}

/**
 * Redis answered with an error, or the command was never sent (offline queue off): nothing was
 * stored. Anything else (connection closed or timed out after sending) has an unknown fate.
 */
function publishFailed(type: string, err: unknown, key?: string): BrokerError {
  const text = errorText(err);
  if (text.includes('enableOfflineQueue')) return unavailable(type, text);
  if ((err as Error)?.name === 'ReplyError')
    // Transient server states are worth retrying; any other error reply (WRONGTYPE, a script
    // error) will answer the same way every time, so retrying it forever helps nobody.
    return TRANSIENT_REPLY.test(text)
      ? unavailable(type, text)
      : new BrokerError(
          'BROKER_UNAVAILABLE',
          `Redis refused message ${type} (${text}); it was not published`,
        );
  return new BrokerError(
    'BROKER_PUBLISH_UNCONFIRMED',
    key === undefined
      ? `Redis did not confirm message ${type} (${text}): it MAY have been stored and delivered; retrying may publish it twice (publish with an idempotency key to retry safely)`
      : `Redis did not confirm message ${type} (${text}): it MAY have been stored; retry with the same idempotency key (${key}) to publish it at most once`,
    true,
  );
}

function unavailable(type: string, why: string): BrokerError {
  return new BrokerError(
    'BROKER_UNAVAILABLE',
    `Redis did not accept message ${type} (${why}); it was not published, retry later`,
    true,
  );
}
