import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort, repoRoot, runNode } from './support/child';
import { builtEntry, eventually, tempDir, useBuiltServices } from './support/service-process';

// The first run on a laptop: the Node version check, the log format, the start line, and how
// Ctrl-C behaves outside Kubernetes. The built service as a child process, real signals.

/** A real Node older than 24 on this machine (Debian's is 20), or null. */
function olderNode(): string | null {
  let candidates: string[];
  try {
    candidates = execFileSync('which', ['-a', 'node'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return null;
  }
  for (const bin of candidates) {
    try {
      const v = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim();
      if (Number(/^v(\d+)/.exec(v)?.[1]) < 24) return bin;
    } catch {
      continue;
    }
  }
  return null;
}

const dev = { NODE_ENV: 'development', CI: '', KUBERNETES_SERVICE_HOST: '' };

describe('first hour: start-up of the built service', () => {
  const start = useBuiltServices(180_000);

  it('an older Node gets one line naming the fix and exit 1', async () => {
    const entry = builtEntry();
    const old = olderNode();
    let code: number | null;
    let stderr: string;
    let found: string;
    if (old) {
      const r = await new Promise<{ code: number | null; err: string }>((resolve) => {
        const p = spawn(old, [entry], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
        let err = '';
        p.stderr.on('data', (d) => (err += d));
        p.on('exit', (c) => resolve({ code: c, err }));
      });
      ({ code, err: stderr } = r);
      found = execFileSync(old, ['--version'], { encoding: 'utf8' }).trim().slice(1);
    } else {
      // No older Node installed: this Node reporting 20.11.1, as a stub would.
      const stub = join(tempDir(), 'node20.js');
      writeFileSync(
        stub,
        "Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '20.11.1' } });\n",
      );
      const child = runNode(['--require', stub, entry], {});
      ({ code } = await child.exited);
      stderr = child.stderr();
      found = '20.11.1';
    }
    expect(code).toBe(1);
    const lines = stderr.trimEnd().split('\n');
    expect(lines).toEqual([
      `mira: needs Node >= 24.9, found ${found}; run it through \`npm start\` (which uses the project's own Node 24) or install Node 24`,
    ]);
  }, 60_000);

  it('at info the bootstrap is a few lines, Nest chatter at debug, one start line with modules, routes, store, broker, URL', async () => {
    const s = await start({ config: { logging: { level: 'info' } }, env: dev });
    const line = await s.waitForLog(/^Listening on /);
    // Stdout is a pipe here: JSON lines even in development, with logging.json unset.
    expect(line.msg).toMatch(
      /^Listening on http:\/\/127\.0\.0\.1:\d+ \(Mira \d+\.\d+\.\d+: \d+ modules, \d+ routes, store sqlite, broker memory\)$/,
    );
    const [, modules, routes] = /: (\d+) modules, (\d+) routes/.exec(line.msg)!.map(Number);
    expect(modules).toBeGreaterThan(10);
    expect(routes).toBeGreaterThan(10);
    const before = s.logs().slice(0, s.logs().indexOf(s.logs().find((l) => l.msg === line.msg)!) + 1);
    expect(before.length).toBeLessThan(10);
    expect(s.logs().some((l) => /dependencies initialized|Mapped \{/.test(l.msg))).toBe(false);
  }, 60_000);

  it('at debug the Nest bootstrap lines are still there', async () => {
    const s = await start({ config: { logging: { level: 'debug' } }, env: dev });
    await s.waitForLog(/^Listening on /);
    const debug = s.logs().filter((l) => l.level === 'debug');
    expect(debug.some((l) => /dependencies initialized/.test(l.msg))).toBe(true);
    expect(debug.some((l) => /^Mapped \{/.test(l.msg))).toBe(true);
  }, 60_000);

  it('outside Kubernetes the drain delay defaults to 0; in a pod (KUBERNETES_SERVICE_HOST) to 5000', async () => {
    const laptop = await start({ config: { logging: { level: 'info' } }, env: dev });
    const { exit } = laptop.signal('SIGTERM');
    expect((await exit).code).toBe(0);
    expect(laptop.logs().find((l) => /^Shutdown started/.test(l.msg))?.msg).toMatch(/drain delay 0 ms/);

    const pod = await start({
      config: { logging: { level: 'info' } },
      env: { ...dev, KUBERNETES_SERVICE_HOST: '10.96.0.1' },
    });
    pod.signal('SIGTERM');
    expect((await pod.waitForLog(/^Shutdown started/)).msg).toMatch(/drain delay 5000 ms/);
  }, 60_000);

  it('in development a second Ctrl-C exits at once (130), without waiting for the slow hooks', async () => {
    const s = await start({
      config: { logging: { level: 'info' } },
      env: dev,
      spec: {
        hooks: [
          { name: 'slow', priority: 20, behaviour: 'sleep', ms: 20000, via: 'register', timeoutMs: 25000 },
        ],
      },
    });
    const { exit } = s.signal('SIGINT');
    await s.waitForLog(/^Shutdown started \(SIGINT\)/);
    s.child.proc.kill('SIGINT');
    expect((await exit).code).toBe(130);
    expect(s.logs().some((l) => /second SIGINT; exiting now/.test(l.msg))).toBe(true);
    expect(s.logs().some((l) => /Shutdown hook "slow" .* completed/.test(l.msg))).toBe(false);
  }, 60_000);

  it('on a terminal in development the logs are pretty; NODE_ENV=production keeps JSON', async () => {
    const onTerminal = async (env: Record<string, string>): Promise<string> => {
      const dir = tempDir();
      const port = await freePort();
      const file = join(dir, 'mira.yaml');
      writeFileSync(
        file,
        stringify({
          logging: { level: 'info' },
          // NODE_ENV=production refuses an open API unless it is disabled on purpose.
          api: { auth: 'disabled' },
          state: { sqlite: { path: join(dir, 'mira.db') } },
          server: { host: '127.0.0.1', port },
        }),
      );
      const base: Record<string, string> = {};
      for (const [k, v] of Object.entries(process.env))
        if (v !== undefined && !k.startsWith('MIRA_') && k !== 'PORT') base[k] = v;
      // `script` runs the service on a pseudo-terminal: its stdout is a TTY, as in a shell.
      const cmd = `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(builtEntry())}`;
      const pty = spawn('script', ['-qefc', cmd, '/dev/null'], {
        cwd: repoRoot,
        env: { ...base, ...env, MIRA_CONFIG_FILE: file, PORT: String(port) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      pty.stdout.on('data', (d) => (out += d));
      const exited = new Promise((resolve) => pty.on('exit', resolve));
      try {
        await eventually(async () => /Listening on/.test(out), 30_000, 'the Listening line').catch(
          (e: Error) => {
            throw new Error(`${e.message}; output: ${out.slice(-800)}`);
          },
        );
      } finally {
        // The service is script's only child (exec): stop it by its pid, then script ends.
        let pids: number[] = [];
        try {
          pids = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pty.pid)], { encoding: 'utf8' })
            .split('\n')
            .map((p) => Number(p.trim()))
            .filter((p) => p > 0);
        } catch {
          // ps exits 1 when script has no child left (the service already ended)
        }
        if (pids.length === 0 && pty.exitCode === null) pty.kill('SIGKILL');
        for (const pid of pids) process.kill(pid, 'SIGKILL');
        await exited;
      }
      return out;
    };
    const pretty = await onTerminal(dev);
    const listening = pretty.split('\n').find((l) => /Listening on/.test(l))!;
    expect(listening).not.toMatch(/^\{/);
    expect(listening).toMatch(/INFO/);
    // Colourised: ANSI escape sequences on a terminal.
    expect(pretty).toContain('\u001b[32mINFO');

    // Production needs an audit key (governance.audit.key, 32+ characters).
    const prod = await onTerminal({
      ...dev,
      NODE_ENV: 'production',
      MIRA_GOVERNANCE__AUDIT__KEY: 'first-hour-audit-key-0123456789abcdef',
    });
    const json = prod.split('\n').find((l) => /Listening on/.test(l))!;
    expect(JSON.parse(json.trim())).toMatchObject({
      level: 'info',
      msg: expect.stringMatching(/^Listening on /),
    });
  }, 90_000);
});
