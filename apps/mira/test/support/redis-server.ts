import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import { startServerProcess, type ServerProcess } from './server-process';

/** `down()` then `restart()` keeps the data when started with `aof`. */
export interface RedisServer extends ServerProcess {
  /** redis://127.0.0.1:<port> */
  readonly url: string;
}

/** One PING over a raw socket: true when the server answers +PONG. */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    let buf = '';
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once('error', () => done(false));
    s.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
    s.once('connect', () => s.write('PING\r\n'));
  });
}

/**
 * Starts a real `redis-server` on a free loopback port without persistence (or with an
 * append-only file fsynced on every write, `aof: true`), waits until it
 * answers PING and stops it by PID. Needs the Debian `redis-server` package (`.ci/run` installs it).
 */
export async function startRedisServer(
  options: { port?: number; timeoutMs?: number; aof?: boolean } = {},
): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'mira-redis-'));
  const server = await startServerProcess({
    name: 'redis-server',
    port: options.port,
    command: (port) => {
      mkdirSync(dir, { recursive: true });
      return [
        'redis-server',
        [
          '--port',
          String(port),
          '--bind',
          '127.0.0.1',
          '--save',
          '',
          '--appendonly',
          options.aof ? 'yes' : 'no',
          ...(options.aof ? ['--appendfsync', 'always'] : []),
          '--dir',
          dir,
        ],
      ];
    },
    ready: ping,
    timeoutMs: options.timeoutMs ?? 15000,
    pollMs: 50,
    stopSignal: 'SIGTERM',
    killAfterMs: 5000,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  });
  return Object.assign(server, { url: `redis://127.0.0.1:${server.port}` });
}

export interface RedisTestServer {
  /** The server (set once beforeAll ran): its URL, down() / restart(). */
  readonly server: RedisServer;
  readonly url: string;
  /** A plain ioredis client for looking at (and breaking) what the code under test did. */
  readonly admin: Redis;
  /** Runs `fn` in afterAll, before the server stops (errors ignored: cleanup must not hide a failure). */
  onCleanup(fn: () => unknown): void;
}

/**
 * One real redis-server per describe block: call it in the describe body; it registers the
 * beforeAll that starts it (with an admin client) and the afterAll that runs the cleanups,
 * disconnects the admin client and stops the server.
 */
export function useRedisServer(adminOptions: RedisOptions = {}): RedisTestServer {
  let redis: RedisServer | undefined;
  let admin: Redis | undefined;
  const cleanups: (() => unknown)[] = [];
  beforeAll(async () => {
    // Connection-loss warnings are expected in these specs; errors still show.
    Logger.overrideLogger(['error']);
    redis = await startRedisServer();
    admin = new Redis(redis.url, adminOptions);
  });
  afterAll(async () => {
    await Promise.all(cleanups.map(async (fn) => fn()).map((p) => p.catch(() => undefined)));
    admin?.disconnect();
    await redis?.stop();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined)
      throw new Error('useRedisServer: the server starts in beforeAll; use it inside a test');
    return value;
  };
  return {
    get server() {
      return started(redis);
    },
    get url() {
      return started(redis).url;
    },
    get admin() {
      return started(admin);
    },
    onCleanup(fn) {
      cleanups.push(fn);
    },
  };
}
