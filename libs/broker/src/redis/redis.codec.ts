import { NO_HEADERS, TransportMessage } from '../broker.message';

/**
 * Field names inside a stream entry: short, since every entry stores them. `i` and `t` are only
 * read (entries written by other producers may carry an id and a time of their own).
 */
export const FIELD = { id: 'i', time: 't', headers: 'h', data: 'd' } as const;

/**
 * A message's id: its type and stream entry id. Redis assigns the entry id at XADD, unique and
 * increasing within the stream; with the type it is unique across the streams of one
 * `stream_prefix` on one Redis (deployments sharing a Redis use different prefixes anyway), and
 * it says where the message is (`XRANGE <prefix><type> <entry> <entry>`). Nothing extra is
 * stored or sent.
 */
export function messageId(type: string, entryId: string): string {
  return `${type}:${entryId}`;
}

/** A stream entry as delivered; keeps the stored data text for the dead-letter entry. */
export class RedisMessage<T = unknown> extends TransportMessage<T> {
  constructor(
    id: string,
    type: string,
    data: T,
    headers: Readonly<Record<string, string>>,
    /** A time the producer stored (epoch ms), or 0: then the entry id's, read only when asked for. */
    ms: number,
    readonly entryId: string,
    /** The data as stored, kept for the dead-letter entry. */
    readonly rawData: string,
  ) {
    super(id, type, data, headers, ms);
  }
  protected override epochMs(): number {
    return this.ms > 0 ? this.ms : entryTime(this.entryId);
  }
}

/** An entry another producer wrote badly: reported (and dead-lettered), never thrown. */
export class DecodeFailure {
  constructor(
    readonly error: string,
    /** The data field as stored ('' when missing). */
    readonly raw: string,
    readonly headers: Readonly<Record<string, string>>,
  ) {}
}

/**
 * Entry fields: data always, headers only when there are any. The message id and publication
 * time come from the entry id (see messageId, entryTime), so neither is stored.
 */
export function encodeEntry(headers: Readonly<Record<string, string>> | undefined, data: string): string[] {
  for (const _ in headers) return [FIELD.headers, JSON.stringify(headers), FIELD.data, data];
  return [FIELD.data, data];
}

/**
 * Decodes a stream entry's flat field list into the message, or a DecodeFailure for an entry
 * another producer wrote badly (no wrapper object per message on the common path).
 */
export function decodeEntry(
  type: string,
  entryId: string,
  fields: readonly string[],
): RedisMessage | DecodeFailure {
  let id: string | undefined;
  let time = 0;
  let headersText: string | undefined;
  let data: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const f = fields[i];
    if (f === FIELD.data) data = fields[i + 1];
    else if (f === FIELD.headers) headersText = fields[i + 1];
    else if (f === FIELD.id) id = fields[i + 1];
    else if (f === FIELD.time) time = Number(fields[i + 1]);
  }
  let headers: Readonly<Record<string, string>> = NO_HEADERS;
  // Most entries carry no headers field (encodeEntry omits an empty one): nothing to parse.
  if (headersText !== undefined) {
    try {
      const parsed: unknown = JSON.parse(headersText);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
        headers = parsed as Record<string, string>;
    } catch {
      return new DecodeFailure(`entry ${entryId} has unreadable headers`, data ?? '', {});
    }
  }
  if (data === undefined) return new DecodeFailure(`entry ${entryId} has no data field`, '', headers);
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return new DecodeFailure(`entry ${entryId} data is not JSON`, data, headers);
  }
  return new RedisMessage(
    id ?? messageId(type, entryId),
    type,
    value,
    headers,
    Number.isFinite(time) && time > 0 ? time : 0,
    entryId,
    data,
  );
}

/** Milliseconds part of a stream entry id (`<ms>-<seq>`). */
export function entryTime(entryId: string): number {
  const ms = Number(entryId.slice(0, entryId.indexOf('-')));
  return Number.isFinite(ms) ? ms : Date.now();
}

export type StreamEntries = [id: string, fields: string[] | null][];

/**
 * XREAD/XREADGROUP replies: RESP2 gives [[stream, entries], ...]; RESP3 (ioredis 6's default)
 * gives a map, which ioredis flattens to [stream, entries, stream, entries, ...].
 */
export function streamsReply(reply: unknown): [stream: string, entries: StreamEntries][] {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  if (Array.isArray(reply[0])) return reply as [string, StreamEntries][];
  const out: [string, StreamEntries][] = [];
  for (let i = 0; i + 1 < reply.length; i += 2) out.push([String(reply[i]), reply[i + 1] as StreamEntries]);
  return out;
}

/** XINFO-style flat [k1, v1, k2, v2...] reply as an object. */
export function pairs(reply: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!Array.isArray(reply)) return out;
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = reply[i + 1];
  return out;
}

export function errorText(err: unknown, max = 2000): string {
  const s = err instanceof Error ? err.message : String(err);
  return s.length > max ? `${s.slice(0, max)}...` : s;
}
