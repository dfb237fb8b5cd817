import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './child';

export interface ServerProcessOptions {
  /** Names the server in errors, e.g. `redis-server`. */
  name: string;
  /** The command line for a port: [command, args]. */
  command: (port: number) => [string, string[]];
  /** True once the server answers on `port`; polled every `pollMs` until `timeoutMs`. */
  ready: (port: number) => Promise<boolean>;
  timeoutMs: number;
  pollMs: number;
  /** A fixed port (not retried on another); default a free one. */
  port?: number;
  /** The signal of an orderly stop, and how long before SIGKILL follows it. */
  stopSignal: NodeJS.Signals;
  killAfterMs: number;
  /** The PID to signal when it is not the spawned one's (a server started through runuser). */
  pid?: () => number | null;
  /** Removes what the server leaves behind (its temp dir): on stop(), or when it never starts. */
  cleanup?: () => void;
}

export interface ServerProcess {
  readonly port: number;
  /** The spawned process' PID, -1 while down. */
  readonly pid: number;
  /** Stops the server (the stop signal, SIGKILL after the grace) and cleans up. */
  stop(): Promise<void>;
  /** Stops the process only (a simulated outage; SIGKILL for a crash); restart() brings it back. */
  down(signal?: NodeJS.Signals): Promise<void>;
  /** (Re)starts it on the same port, e.g. to end a simulated outage. */
  restart(): Promise<void>;
}

/**
 * A real server binary on a loopback port for tests: spawned, polled until ready (failing fast,
 * with its stderr, if it exits first), stopped by PID. A port taken between freePort() and bind
 * is retried on another a few times.
 */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  let port = options.port ?? (await freePort());
  let proc: ChildProcess | null = null;

  async function launch(): Promise<void> {
    const [cmd, args] = options.command(port);
    const p = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
    let exited: string | null = null;
    p.once('error', (err) => (exited = err.message));
    p.once('exit', (code, signal) => (exited ??= `exited with ${code ?? signal}`));
    proc = p;
    const deadline = Date.now() + options.timeoutMs;
    while (!(await options.ready(port))) {
      if (exited)
        throw new Error(`${options.name} on port ${port} failed to start (${exited}): ${stderr.trim()}`);
      if (Date.now() > deadline)
        throw new Error(`${options.name} on port ${port} was not ready within ${options.timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, options.pollMs));
    }
  }

  async function stopProc(signal = options.stopSignal): Promise<void> {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise<void>((r) => p.once('exit', () => r()));
    const target = options.pid?.() ?? p.pid!;
    const send = (sig: NodeJS.Signals) => {
      try {
        process.kill(target, sig);
      } catch {
        // already gone
      }
    };
    send(signal);
    const t = setTimeout(() => {
      send('SIGKILL');
      p.kill('SIGKILL');
    }, options.killAfterMs);
    await gone;
    clearTimeout(t);
  }

  for (let attempt = 0; ; attempt++) {
    try {
      await launch();
      break;
    } catch (err) {
      await stopProc();
      if (options.port !== undefined || attempt >= 3) {
        options.cleanup?.();
        throw err;
      }
      port = await freePort();
    }
  }

  return {
    get port() {
      return port;
    },
    get pid() {
      return proc?.pid ?? -1;
    },
    async stop() {
      await stopProc();
      options.cleanup?.();
    },
    down: (signal?: NodeJS.Signals) => stopProc(signal),
    async restart() {
      await stopProc();
      await launch();
    },
  };
}
