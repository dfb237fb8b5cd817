import { errorText, type StreamEntries } from './redis.codec';
import type { RedisConnection } from './redis.connection';
import type { RedisConsumer } from './redis.consumer';
import type { RedisRuntime } from './redis.runtime';

/** Claimed entries larger than this many ids per XCLAIM are split (keeps command size sane). */
const CLAIM_CHUNK = 500;

/**
 * The visibility timeout, both ways: keeps the claim of our own held entries young (a slow
 * handler's message is not taken by another replica) and takes over entries left idle longer than
 * the timeout by a consumer that died.
 */
export class RedisClaims {
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly rt: RedisRuntime,
    private readonly connection: RedisConnection,
    private readonly consumers: () => Iterable<RedisConsumer>,
  ) {}

  /** Runs extend() and reclaim() on timers derived from the visibility timeout; `afterReclaim` follows each reclaim. */
  start(afterReclaim: () => Promise<void> = async () => undefined): void {
    const v = this.rt.options.visibilityTimeoutMs;
    this.every(Math.max(20, Math.floor(v / 3)), () => this.extend());
    this.every(Math.max(20, Math.min(Math.floor(v / 2), 5000)), async () => {
      await this.reclaim();
      await afterReclaim();
    });
  }

  stop(): void {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
  }

  /** Keeps our held entries young (XCLAIM JUSTID) so a slow handler's message is not reclaimed. */
  async extend(): Promise<void> {
    const client = this.connection.client;
    if (!client || client.status !== 'ready') return;
    // Entries another consumer claimed recently are not taken back (their handler may be running).
    const minIdle = Math.floor(this.rt.options.visibilityTimeoutMs / 6);
    for (const c of this.consumers()) {
      if (c.held.size === 0) continue;
      const byStream = new Map<string, string[]>();
      for (const d of c.held.values()) {
        const ids = byStream.get(d.stream) ?? [];
        ids.push(d.entryId);
        byStream.set(d.stream, ids);
      }
      for (const [stream, ids] of byStream) {
        for (let i = 0; i < ids.length; i += CLAIM_CHUNK) {
          await client
            .xclaim(stream, c.group, c.name, minIdle, ...ids.slice(i, i + CLAIM_CHUNK), 'JUSTID')
            .catch((err: unknown) =>
              this.rt.log.warnOnce(`Could not extend claims on ${stream}: ${errorText(err)}`),
            );
        }
      }
    }
  }

  /** Takes over entries idle longer than the visibility timeout (their consumer died) and hands them to their consumer. */
  async reclaim(): Promise<void> {
    const client = this.connection.client;
    if (!client || client.status !== 'ready') return;
    const o = this.rt.options;
    for (const c of this.consumers()) {
      if (!c.reading) continue;
      for (const stream of c.streams) {
        const room = o.maxInFlight - c.held.size;
        if (room <= 0 || !c.reading) break;
        try {
          const [next, entries, deleted] = (await client.xautoclaim(
            stream,
            c.group,
            c.name,
            o.visibilityTimeoutMs,
            c.cursors.get(stream) ?? '0-0',
            'COUNT',
            Math.min(room, o.batchSize * 4),
          )) as [string, StreamEntries, string[]?];
          c.cursors.set(stream, next);
          if (deleted?.length) this.rt.counters.trimmed += deleted.length;
          const fresh = entries.filter(([id]) => !c.held.has(c.heldKey(stream, id)));
          if (fresh.length === 0) continue;
          // Delivery counts (XAUTOCLAIM raised them) decide whether attempts are exhausted.
          const counts = new Map<string, number>();
          const rows = (await client.xpending(
            stream,
            c.group,
            fresh[0][0],
            fresh[fresh.length - 1][0],
            fresh.length + c.held.size,
            c.name,
          )) as [string, string, number, number][];
          for (const [id, , , n] of rows) counts.set(id, Number(n));
          this.rt.counters.reclaimed += fresh.length;
          const type = c.typeOf.get(stream)!;
          for (const ob of this.rt.observers) ob.onReclaimed?.(type, c.group, fresh.length);
          this.rt.log.log(`Reclaimed ${fresh.length} message(s) of ${type} idle in group ${c.group}`);
          c.accept(stream, fresh, counts);
        } catch (err) {
          const text = errorText(err);
          if (!text.includes('NOGROUP')) this.rt.log.warnOnce(`Reclaiming on ${stream} failed: ${text}`);
        }
      }
    }
  }

  private every(ms: number, fn: () => Promise<void>): void {
    let busy = false;
    const t = setInterval(() => {
      if (busy) return;
      busy = true;
      fn()
        .catch((err: unknown) => this.rt.log.warnOnce(errorText(err)))
        .finally(() => (busy = false));
    }, ms);
    t.unref?.();
    this.timers.push(t);
  }
}
