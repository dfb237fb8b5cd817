import { errorText, pairs } from './redis.codec';
import type { RedisConnection } from './redis.connection';
import type { Delivery, HeldEntry } from './redis.delivery';
import type { DeadLetter } from './redis.interface';
import { JitteredBackoff, retryWhile } from './redis.policies';
import type { RedisRuntime } from './redis.runtime';

export const DEAD_LETTER_TYPE = 'dead-letter';

// XADD to the dead-letter stream, then XACK the source. A script rather than MULTI: an error
// inside EXEC (WRONGTYPE) does not stop the XACK after it, and the message would be lost; a
// failing redis.call ends the script before the XACK.
const DEAD_LETTER = `
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, 4))
redis.call('XACK', KEYS[2], ARGV[2], ARGV[3])
return 1
`;

/** An entry that could not be decoded: dead-lettered as stored. */
export interface RawEntry {
  raw: string;
  headers: Record<string, string>;
  id: string;
  ts: string;
}

/**
 * The dead-letter stream `<stream_prefix>dead-letter`: messages that exhausted their attempts or
 * could not be decoded, moved there and acknowledged at the source in one transaction.
 */
export class RedisDeadLetters {
  readonly stream: string;
  private readonly backoff: JitteredBackoff;

  constructor(
    private readonly rt: RedisRuntime,
    private readonly connection: RedisConnection,
  ) {
    this.stream = rt.options.streamPrefix + DEAD_LETTER_TYPE;
    this.backoff = new JitteredBackoff(100, rt.options.reconnectMaxDelayMs);
  }

  /**
   * Moves a held entry to the dead-letter stream and releases it; retried with backoff while its
   * consumer reads. When the consumer stops first, the entry stays pending for another replica.
   */
  move(d: Delivery, error: string): Promise<void>;
  /** An entry that did not decode goes with its raw fields. */
  move(d: HeldEntry, error: string, raw: RawEntry): Promise<void>;
  async move(d: HeldEntry | Delivery, error: string, raw?: RawEntry): Promise<void> {
    const source = raw ?? ('message' in d ? rawEntry(d) : null);
    if (source === null) throw new Error('an entry that did not decode is dead-lettered with its raw fields');
    const c = d.consumer;
    const keepGoing = () => c.reading && !this.rt.lifecycle.stopped;
    const policy = retryWhile(keepGoing, this.backoff);
    const onRetry = policy.onRetry((r) => {
      if ('error' in r)
        this.rt.log.warnOnce(
          `Could not dead-letter message ${d.entryId} of ${d.stream}: ${errorText(r.error)}; retrying`,
        );
    });
    try {
      await policy.execute(({ attempt }) => {
        // The consumer stopped during the backoff: leave the entry pending (another replica reclaims it).
        if (attempt > 0 && !keepGoing()) throw new Error('dead-lettering abandoned: consumer stopped');
        return this.transaction(d, error, source);
      });
    } catch {
      return; // stays pending: another replica reclaims it
    } finally {
      onRetry.dispose();
    }
    this.rt.counters.dead_lettered++;
    for (const o of this.rt.observers) {
      o.onDeadLettered?.(d.type, c.group);
      o.onMessageDeadLettered?.({ id: source.id, type: d.type, headers: source.headers }, c.group, error);
    }
    this.rt.log.warn(
      `Message ${source.id} (${d.type}) of group ${c.group} moved to ${this.stream} after ${d.attempts} attempt(s): ${errorText(error, 500)}`,
    );
    c.release(d);
  }

  /** One script: the dead-letter entry exists if and only if the source is acknowledged. */
  private async transaction(d: HeldEntry, error: string, raw: RawEntry): Promise<void> {
    const c = d.consumer;
    const fields = [
      'id', raw.id,
      'type', d.type,
      'group', c.group,
      'stream', d.stream,
      'entry_id', d.entryId,
      'error', error,
      'attempts', String(d.attempts),
      'headers', JSON.stringify(raw.headers),
      'data', raw.raw,
      'published_at', raw.ts,
      'failed_at', new Date().toISOString(),
      'consumer', c.name,
    ]; // prettier-ignore
    await this.connection
      .require()
      .eval(DEAD_LETTER, 2, this.stream, d.stream, this.rt.options.maxlen, c.group, d.entryId, ...fields);
  }

  /** The newest dead-lettered messages (newest first), for operators and tests. */
  async list(count = 100): Promise<DeadLetter[]> {
    const rows = (await this.connection.require().xrevrange(this.stream, '+', '-', 'COUNT', count)) as [
      string,
      string[],
    ][];
    return rows.map(([entryId, fields]) => {
      const f = pairs(fields) as Record<string, string>;
      let headers: Record<string, string>;
      try {
        headers = JSON.parse(f.headers ?? '{}') as Record<string, string>;
      } catch {
        headers = {};
      }
      return {
        entry_id: entryId,
        id: f.id,
        type: f.type,
        group: f.group,
        error: f.error,
        attempts: Number(f.attempts),
        headers,
        data: f.data,
        published_at: f.published_at,
        failed_at: f.failed_at,
      };
    });
  }
}

/** A decoded delivery's message as the fields the dead-letter entry keeps. */
function rawEntry(d: Delivery): RawEntry {
  const m = d.message;
  return { id: m.id, headers: m.headers, raw: m.rawData, ts: m.timestamp };
}
