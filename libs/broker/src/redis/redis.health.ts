import { redactRedisUrl } from '@mira/redis';
import type { BrokerHealth, BrokerHealthStatus } from '../broker.interface';
import { errorText, pairs } from './redis.codec';
import type { RedisConnection } from './redis.connection';
import type { RedisConsumer } from './redis.consumer';
import type { RedisBrokerStats, RedisGroupInfo } from './redis.interface';
import type { RedisRuntime } from './redis.runtime';

/**
 * Lag and pending of this process's consumer groups (XINFO GROUPS), polled at most once a second
 * by the reclaim timer and on every health check, judged against `broker.redis.health.*`.
 */
export class RedisHealth {
  private lastPoll = 0;
  private groupInfo: RedisGroupInfo[] = [];
  /** `<stream> <group>` of our groups found missing at the last poll (Redis lost its data). */
  private missingGroups: string[] = [];

  constructor(
    private readonly rt: RedisRuntime,
    private readonly connection: RedisConnection,
    private readonly consumers: () => Iterable<RedisConsumer>,
  ) {}

  /** Sums over this process's groups at the last poll (null before the first one). */
  totals(): { lag: number | null; pending: number | null } {
    if (!this.lastPoll) return { lag: null, pending: null };
    return {
      lag: this.groupInfo.reduce((n, g) => n + (g.lag ?? 0), 0),
      pending: this.groupInfo.reduce((n, g) => n + g.pending, 0),
    };
  }

  /** Polls when the last poll is a second old or more; failures wait for the next tick. */
  async pollIfDue(): Promise<void> {
    if (!this.connection.ready) return;
    if (Date.now() - this.lastPoll >= 1000) await this.poll().catch(() => undefined);
  }

  /** Lag and pending of this process's groups (XINFO GROUPS), for health and stats. */
  async poll(): Promise<void> {
    const client = this.connection.require();
    const out: RedisGroupInfo[] = [];
    const missing: string[] = [];
    for (const c of this.consumers()) {
      if (!c.reading) continue; // not started or draining: nothing recreates its groups
      for (const stream of c.streams) {
        let groups: unknown[];
        try {
          groups = (await client.xinfo('GROUPS', stream)) as unknown[];
        } catch (err) {
          if (!errorText(err).includes('no such key')) throw err;
          groups = [];
        }
        const g = groups.map(pairs).find((x) => x.name === c.group);
        if (!g) {
          missing.push(`${stream} ${c.group}`);
          continue;
        }
        out.push({
          type: c.typeOf.get(stream)!,
          group: c.group,
          lag: g.lag === null || g.lag === undefined ? null : Number(g.lag),
          pending: Number(g.pending ?? 0),
          consumers: Number(g.consumers ?? 0),
        });
      }
    }
    this.groupInfo = out;
    this.missingGroups = missing;
    this.lastPoll = Date.now();
  }

  /** PING, a fresh poll, then the verdict; `stats` is read after the poll so it carries its totals. */
  async check(stats: () => RedisBrokerStats, consumerName: string): Promise<BrokerHealth> {
    const client = this.connection.client;
    const url = redactRedisUrl(this.rt.options.url);
    const base = { transport: 'redis' };
    if (!client || client.status !== 'ready') {
      return {
        ...base,
        status: 'unhealthy',
        connected: false,
        reason: `Redis unreachable at ${url} (connection ${client?.status ?? (this.rt.lifecycle.stopped ? 'stopped' : 'not started')}); reconnecting with backoff`,
        details: { ...stats(), consumer: consumerName },
      };
    }
    try {
      await client.ping();
      await this.poll();
    } catch (err) {
      return {
        ...base,
        status: 'unhealthy',
        connected: false,
        reason: `Redis at ${url} is unreachable (did not answer: ${errorText(err, 200)})`,
        details: { ...stats(), consumer: consumerName },
      };
    }
    const s = stats();
    const lag = s.lag ?? 0;
    const pending = s.pending ?? 0;
    const t = this.rt.options.health;
    const over = (v: number, limit: number) => limit > 0 && v >= limit;
    let status: BrokerHealthStatus = 'healthy';
    let reason: string | undefined;
    if (this.missingGroups.length > 0) {
      // Messages published now would wait for a group that does not exist yet: not ready.
      status = 'unhealthy';
      reason = `consumer group(s) missing (Redis lost its data?), being recreated: ${this.missingGroups.slice(0, 5).join(', ')}`;
    } else if (over(lag, t.lagUnhealthy) || over(pending, t.pendingUnhealthy)) {
      status = 'unhealthy';
      reason = `consumer groups behind: lag ${lag}, pending ${pending} (unhealthy at lag ${t.lagUnhealthy || 'off'}, pending ${t.pendingUnhealthy || 'off'})`;
    } else if (over(lag, t.lagDegraded) || over(pending, t.pendingDegraded)) {
      status = 'degraded';
      reason = `consumer groups behind: lag ${lag}, pending ${pending} (degraded at lag ${t.lagDegraded || 'off'}, pending ${t.pendingDegraded || 'off'})`;
    }
    return {
      ...base,
      status,
      connected: true,
      ...(reason ? { reason } : {}),
      details: {
        ...s,
        accepting: this.rt.lifecycle.accepting,
        consumer: consumerName,
        groups: this.groupInfo,
      },
    };
  }
}
