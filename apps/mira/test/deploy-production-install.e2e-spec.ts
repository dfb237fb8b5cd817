// Production-install smoke test (slow: a real `npm ci --omit=dev`, about 10-60 s). It replays
// the Dockerfile's runtime stage without Docker: the files its COPY lines put in the image, the
// production dependencies only, a read-only tree, the image's ENV, USER and CMD, then the
// HEALTHCHECK command, readiness, and a SIGTERM drain. It catches a runtime dependency that only
// exists in devDependencies, a write outside /tmp, and a signal that does not stop the process.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import {
  type DockerStage,
  REPO_ROOT,
  lastOf,
  parseDockerfile,
  readRepoFile,
  stageEnv,
} from './support/deploy-manifests';
import { freePort } from './support/child';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureBuilt } = require('../../../scripts/build-if-needed.js') as {
  ensureBuilt: (o?: object) => string;
};

jest.setTimeout(150_000);

const dockerfile = parseDockerfile(readRepoFile('Dockerfile'));
const runtime = dockerfile.stages.at(-1)!;

/** The WORKDIR a stage ends with, following `FROM <earlier stage>`. */
function workdirOf(stage: DockerStage): string {
  const own = lastOf(stage, 'WORKDIR');
  if (own) return own.args;
  const parent = dockerfile.stages.find((s) => s.name === stage.image);
  return parent ? workdirOf(parent) : '/';
}

/** Runs the command as the image's user (tests run as root here; setpriv keeps the numeric ids). */
function asImageUser(cmd: string[]): string[] {
  const [uid, gid] = lastOf(runtime, 'USER')!.args.split(':');
  if (process.getuid?.() !== 0) return cmd; // already unprivileged
  return ['setpriv', `--reuid=${uid}`, `--regid=${gid ?? uid}`, '--clear-groups', ...cmd];
}

/** `node` in an exec-form command is the image's Node; here the project's Node 24 (the one running jest). */
const withNode = (cmd: string[]) => (cmd[0] === 'node' ? [process.execPath, ...cmd.slice(1)] : cmd);

describe('production install, run like the image', () => {
  let root: string;
  let app: ReturnType<typeof spawn> | undefined;
  let output = '';
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  let url: string;
  let env: Record<string, string>;
  const apiKey = randomBytes(18).toString('base64url');

  beforeAll(() => {
    ensureBuilt({ quiet: true });
    // The image's WORKDIR, re-rooted in a temp dir (world-readable like the image's /app).
    root = mkdtempSync(join(tmpdir(), 'mira-prod-install-'));
    chmodSync(root, 0o755);
    const workdir = lastOf(runtime, 'WORKDIR')!.args;
    for (const ins of runtime.instructions) {
      if (ins.keyword === 'COPY') {
        const parts = ins.args.split(/\s+/);
        const sources = parts.slice(0, -1);
        const dest = posix.resolve(workdir, parts.at(-1)!);
        const intoDir = sources.length > 1 || parts.at(-1)!.endsWith('/');
        const from = ins.flags.from ? dockerfile.stages.find((s) => s.name === ins.flags.from) : undefined;
        for (const src of sources) {
          // A build stage's files are this checkout's built ones (the build stage mirrors the repo layout).
          const local = from ? join(REPO_ROOT, posix.relative(workdirOf(from), src)) : join(REPO_ROOT, src);
          const target = join(
            root,
            posix.relative(workdir, intoDir ? posix.join(dest, posix.basename(src)) : dest),
          );
          mkdirSync(dirname(target), { recursive: true });
          cpSync(local, target, { recursive: true });
        }
      } else if (ins.keyword === 'RUN' && /\bnpm ci\b/.test(ins.args)) {
        expect(ins.args).toMatch(/--omit=dev/);
        execFileSync(
          'npm',
          [
            'ci',
            '--omit=dev',
            '--ignore-scripts',
            '--no-audit',
            '--no-fund',
            '--prefer-offline',
            '--loglevel=error',
          ],
          { cwd: root, stdio: 'pipe', timeout: 120_000, env: { ...process.env, NODE_ENV: 'production' } },
        );
      }
    }
    expect(existsSync(join(root, 'node_modules/@nestjs/core'))).toBe(true);
    // No dev-only package (jest, the nest CLI, the `node` binary package...) in the install.
    const lock = JSON.parse(readRepoFile('package-lock.json')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const devOnly = Object.keys(lock.packages).filter((p) => p && lock.packages[p].dev === true);
    expect(devOnly).toEqual(expect.arrayContaining(['node_modules/jest', 'node_modules/node']));
    expect(devOnly.filter((p) => existsSync(join(root, p)))).toEqual([]);
    // Read-only working tree, as with readOnlyRootFilesystem (only /tmp and the VOLUMEs are writable).
    execFileSync('chmod', ['-R', 'a-w,a+rX', root]);
    // Each VOLUME under WORKDIR (e.g. /app/data for the sqlite store) is a writable mount, owned by
    // the image user as the image's own `chown` makes it.
    const [uid, gid] = lastOf(runtime, 'USER')!.args.split(':').map(Number);
    for (const ins of runtime.instructions.filter((i) => i.keyword === 'VOLUME')) {
      for (const path of (ins.exec ?? ins.args.split(/\s+/)) as string[]) {
        const rel = posix.relative(workdir, path);
        if (rel.startsWith('..')) continue;
        const dir = join(root, rel);
        execFileSync('chmod', ['u+w', dirname(dir)]);
        mkdirSync(dir, { recursive: true });
        execFileSync('chmod', ['a-w', dirname(dir)]);
        chmodSync(dir, 0o755);
        if (process.getuid?.() === 0) chownSync(dir, uid, gid ?? uid);
        else chmodSync(dir, 0o777);
      }
    }
  });

  afterAll(async () => {
    if (app && app.exitCode === null && app.signalCode === null) {
      app.kill('SIGKILL');
      await exited;
    }
    if (root) {
      execFileSync('chmod', ['-R', 'u+w', root]);
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('starts with the image CMD as the image user and answers /healthz/ready', async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    env = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ...stageEnv(runtime),
      PORT: String(port),
      // What an operator passes at `docker run`: loopback here, and an API key (required with NODE_ENV=production).
      MIRA_SERVER__HOST: '127.0.0.1',
      MIRA_API__KEYS: apiKey,
      // Required with NODE_ENV=production too: the audit chain's HMAC key.
      MIRA_GOVERNANCE__AUDIT__KEY: 'install-test-audit-key-0123456789abcdef',
    };
    const [cmd, ...args] = asImageUser(withNode(lastOf(runtime, 'CMD')!.exec!));
    app = spawn(cmd, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    app.stdout!.on('data', (d) => (output += d));
    app.stderr!.on('data', (d) => (output += d));
    exited = new Promise((resolve) => app!.on('exit', (code, signal) => resolve({ code, signal })));

    const deadline = Date.now() + 60_000;
    let status = 0;
    while (status !== 200) {
      if (app.exitCode !== null || app.signalCode !== null)
        throw new Error(`exited during start:\n${output}`);
      if (Date.now() > deadline)
        throw new Error(`/healthz/ready not 200 within 60 s (last ${status}):\n${output}`);
      status = await fetch(`${url}/healthz/ready`).then(
        (r) => r.status,
        () => 0,
      );
      if (status !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${app.pid}/status`, 'utf8'))![1];
    expect(uid).toBe(lastOf(runtime, 'USER')!.args.split(':')[0]);
    const api = await fetch(`${url}/api/v1/agents`, { headers: { 'x-api-key': apiKey } });
    expect(api.status).toBe(200);
    // The default sqlite store lives in the writable volume, not in the read-only tree.
    expect(existsSync(join(root, 'data', 'mira.db'))).toBe(true);
  });

  it('passes the image HEALTHCHECK command, run as the image user with the image env', () => {
    const hc = lastOf(runtime, 'HEALTHCHECK')!;
    const [cmd, ...args] = asImageUser(withNode(JSON.parse(hc.args.replace(/^CMD\s+/, ''))));
    // The HEALTHCHECK runs in the container's WORKDIR with its absolute /app path re-rooted here.
    const workdir = lastOf(runtime, 'WORKDIR')!.args;
    const local = args.map((a) => (a.startsWith(`${workdir}/`) ? join(root, posix.relative(workdir, a)) : a));
    const run = spawnSync(cmd, local, { cwd: root, env, encoding: 'utf8', timeout: 15_000 });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  });

  it('drains on SIGTERM (ready 503, live 200) and exits 0', async () => {
    expect(app).toBeDefined();
    app!.kill('SIGTERM');
    // The image's config has a 5 s drain delay: readiness must flip while liveness stays up.
    const deadline = Date.now() + 10_000;
    let ready = 200;
    while (ready === 200 && Date.now() < deadline) {
      ready = await fetch(`${url}/healthz/ready`).then(
        (r) => r.status,
        () => -1,
      );
      if (ready === 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ready).toBe(503);
    expect((await fetch(`${url}/healthz/live`)).status).toBe(200);
    let timer: NodeJS.Timeout | undefined;
    const result = await Promise.race([
      exited,
      new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 60_000))),
    ]).finally(() => clearTimeout(timer));
    expect({ result, output: result === 'timeout' || result.code !== 0 ? output.slice(-3000) : '' }).toEqual({
      result: { code: 0, signal: null },
      output: '',
    });
    expect(output).not.toMatch(/EROFS|EACCES/); // nothing tried to write outside /tmp
  });
});
