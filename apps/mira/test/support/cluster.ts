import { startPostgres, type PostgresServer } from './postgres-server';
import { startRedisServer, type RedisServer } from './redis-server';
import {
  builtEntry,
  eventually,
  startService,
  type LaunchOptions,
  type ServiceProcess,
} from './service-process';

/**
 * Several BUILT service processes sharing one real PostgreSQL (and, unless `redis: false`, one
 * real redis-server), the way replicas run in production. Every process a spec starts through the
 * cluster is killed by PID in afterAll, before the servers stop.
 */
export interface Cluster {
  readonly postgres: PostgresServer;
  /** Throws when the cluster was made with `redis: false`. */
  readonly redis: RedisServer;
  /**
   * A fresh database and the `broker` (Redis Streams, unless `redis: false`) and `state`
   * (PostgreSQL) config sections pointing at it, to spread into a service config.
   */
  shared(
    database: string,
    options?: { streamPrefix?: string; postgres?: Record<string, unknown> },
  ): Promise<Record<string, unknown>>;
  /** Starts one service (config written as its YAML file), waits for readiness. */
  start(options?: LaunchOptions, readyTimeoutMs?: number): Promise<ServiceProcess>;
  /** Starts `count` services with the same options at once, then waits for each one's readiness. */
  startReplicas(count: number, options?: LaunchOptions, readyTimeoutMs?: number): Promise<ServiceProcess[]>;
  /** Kills (SIGKILL by PID) every service started so far. */
  killAll(): Promise<void>;
}

export interface ClusterOptions {
  /** Also builds dist/ first (default true; a nested describe whose parent built it may skip it). */
  build?: boolean;
  /** With a redis-server (default true). */
  redis?: boolean;
  /** beforeAll's timeout: the build and the servers' start (default 240 s). */
  setupTimeoutMs?: number;
  /** PostgreSQL with synchronous_commit=on (tests that SIGKILL the postmaster; see startPostgres). */
  durableCommits?: boolean;
}

/** Ready = config valid, agents registered, store and broker reachable. */
export function waitReady(service: ServiceProcess, timeoutMs = 30_000): Promise<boolean> {
  return eventually(
    async () => (await fetch(`${service.url}/healthz/ready`)).status === 200,
    timeoutMs,
    'readiness',
  );
}

/** For a describe block: starts the servers in beforeAll and stops everything in afterAll. */
export function useCluster(options: ClusterOptions = {}): Cluster {
  const withRedis = options.redis ?? true;
  let postgres: PostgresServer | undefined;
  let redis: RedisServer | undefined;
  const started: ServiceProcess[] = [];

  beforeAll(async () => {
    if (options.build ?? true) builtEntry();
    [postgres, redis] = await Promise.all([
      startPostgres({ durableCommits: options.durableCommits }),
      withRedis ? startRedisServer() : Promise.resolve(undefined),
    ]);
  }, options.setupTimeoutMs ?? 240_000);

  afterAll(async () => {
    await Promise.all(started.map((s) => s.kill()));
    await Promise.all([postgres?.stop(), redis?.stop()]);
  });

  const cluster: Cluster = {
    get postgres() {
      if (!postgres) throw new Error('the cluster is not started: call useCluster() inside a describe');
      return postgres;
    },
    get redis() {
      if (!redis) throw new Error('the cluster has no redis-server: useCluster({ redis: true })');
      return redis;
    },
    async shared(database, opts = {}) {
      const url = await cluster.postgres.createDatabase(database);
      const state = { backend: 'postgres', postgres: { url, ...opts.postgres } };
      if (!withRedis) return { state };
      const redisSection: Record<string, unknown> = { url: cluster.redis.url };
      if (opts.streamPrefix !== undefined) redisSection.stream_prefix = opts.streamPrefix;
      return { broker: { transport: 'redis', redis: redisSection }, state };
    },
    async start(launch = {}, readyTimeoutMs = 30_000) {
      const s = await startService(launch);
      started.push(s);
      await waitReady(s, readyTimeoutMs);
      return s;
    },
    async startReplicas(count, launch = {}, readyTimeoutMs = 30_000) {
      const replicas = await Promise.all(Array.from({ length: count }, () => startService(launch)));
      started.push(...replicas);
      for (const r of replicas) await waitReady(r, readyTimeoutMs);
      return replicas;
    },
    async killAll() {
      await Promise.all(started.map((s) => s.kill()));
    },
  };
  return cluster;
}
