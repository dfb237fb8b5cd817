import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { freePort } from './child';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RedisServer {
  port: number;
  url: string;
  pid: number;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its temp dir. */
  stop(): Promise<void>;
  /**
   * Stops the process only (a simulated outage; SIGKILL for a crash); `restart()` brings it back
   * on the same port, with its data when started with `aof`.
   */
  down(signal?: NodeJS.Signals): Promise<void>;
  /** (Re)starts it on the same port, e.g. to end a simulated outage. */
  restart(): Promise<void>;
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
  const timeoutMs = options.timeoutMs ?? 15000;
  let port = options.port ?? (await freePort());
  let proc: ChildProcess | null = null;

  async function launch(): Promise<void> {
    mkdirSync(dir, { recursive: true });
    const args = [
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
    ];
    const p = spawn('redis-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr!.on('data', (d) => (stderr += d));
    let exited: string | null = null;
    p.once('error', (err) => (exited = err.message));
    p.once('exit', (code, signal) => (exited ??= `exited with ${code ?? signal}`));
    proc = p;
    const deadline = Date.now() + timeoutMs;
    while (!(await ping(port))) {
      if (exited)
        throw new Error(`redis-server on port ${port} failed to start (${exited}): ${stderr.trim()}`);
      if (Date.now() > deadline) {
        p.kill('SIGKILL');
        throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async function stopProc(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill(signal);
    const t = setTimeout(() => p.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(t);
  }

  // A port taken between freePort() and bind: try a few others.
  for (let attempt = 0; ; attempt++) {
    try {
      await launch();
      break;
    } catch (err) {
      await stopProc();
      if (options.port !== undefined || attempt >= 3) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
      port = await freePort();
    }
  }

  return {
    get port() {
      return port;
    },
    get url() {
      return `redis://127.0.0.1:${port}`;
    },
    get pid() {
      return proc?.pid ?? -1;
    },
    async stop() {
      await stopProc('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
    down: (signal?: NodeJS.Signals) => stopProc(signal),
    async restart() {
      await stopProc('SIGTERM');
      await launch();
    },
  };
}
