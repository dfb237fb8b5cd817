import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort, repoRoot } from './support/child';
import { builtEntry, eventually, send, tempDir } from './support/service-process';

/** True while `pid` is a live process (a zombie waiting to be reaped counts as gone). */
function alive(pid: number): boolean {
  const status = `/proc/${pid}/status`;
  if (!existsSync(status)) return false;
  try {
    return !/^State:\s+Z/m.test(readFileSync(status, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * `npm start` under a supervisor (issue 16 item 11): the supervisor signals the process it
 * started, npm, and the server must get the signal and shut down gracefully.
 */
describe('npm start', () => {
  let npm: ChildProcess | undefined;
  let serverPid = 0;
  afterAll(() => {
    // Whatever the outcome, leave nothing running.
    if (serverPid && alive(serverPid)) process.kill(serverPid, 'SIGKILL');
    if (npm && npm.exitCode === null && npm.signalCode === null) npm.kill('SIGKILL');
  });

  it('stops the server when the npm process gets SIGTERM', async () => {
    builtEntry(); // prestart then finds dist/ up to date
    const port = await freePort();
    const file = join(tempDir(), 'mira.yaml');
    writeFileSync(
      file,
      stringify({
        server: { host: '127.0.0.1', port },
        logging: { level: 'info', json: true },
        shutdown: { drain_delay_ms: 0, timeout_ms: 5000 },
      }),
    );
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env))
      if (v !== undefined && !k.startsWith('MIRA_') && !k.startsWith('npm_') && k !== 'PORT') env[k] = v;
    let out = '';
    npm = spawn('npm', ['start', '--silent'], {
      cwd: repoRoot,
      env: { ...env, MIRA_CONFIG_FILE: file, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    npm.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    npm.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<void>((resolve) => npm!.on('exit', () => resolve()));
    const url = `http://127.0.0.1:${port}`;

    await eventually(async () => (await send(`${url}/healthz/ready`)).status === 200, 60000, 'readiness');
    // The server's own pid, from its log lines (npm's child, or further down without exec).
    serverPid = (
      JSON.parse(out.split('\n').find((l) => l.startsWith('{') && l.includes('"pid"'))!) as { pid: number }
    ).pid;
    expect(serverPid).not.toBe(npm.pid);
    expect(alive(serverPid)).toBe(true);

    npm.kill('SIGTERM');
    // Within the shutdown deadline (5 s) plus start-up slack of the checks.
    await eventually(async () => !alive(serverPid), 15000, `server pid ${serverPid} to exit`);
    await expect(send(`${url}/healthz/live`, { timeoutMs: 2000 })).rejects.toThrow();
    await exited;
    // It shut down through its own graceful sequence, not a kill.
    expect(out).toMatch(/Received SIGTERM; shutting down/);
  }, 120_000);
});
