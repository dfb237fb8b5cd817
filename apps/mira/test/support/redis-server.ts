import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
