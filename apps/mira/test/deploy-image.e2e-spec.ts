// Lint of the Dockerfile (the rules the issue sets, in the spirit of hadolint, which is not
// installable here), of the .dockerignore (evaluated with Docker's matching rules against the
// real tree) and of deploy/compose.yaml against the service's own config loader.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { loadConfig } from '@mira/config';
import {
  type DockerStage,
  REPO_ROOT,
  dockerignoreMatcher,
  lastOf,
  parseDockerfile,
  readCompose,
  readRepoFile,
  secretRefs,
  stageEnv,
  whyEnvIgnored,
} from './support/deploy-manifests';

const packageJson = JSON.parse(readRepoFile('package.json'));
const dockerfile = parseDockerfile(readRepoFile('Dockerfile'));
const stageNames = new Set(dockerfile.stages.map((s) => s.name).filter(Boolean));
const runtime = dockerfile.stages.at(-1)!;
const imageEnv = stageEnv(runtime);
const all = (stage: DockerStage, keyword: string) => stage.instructions.filter((i) => i.keyword === keyword);
const userIds = lastOf(runtime, 'USER')!.args.split(':');

describe('Dockerfile', () => {
  it('is multi-stage (install, build, runtime) on the Node major the project pins', () => {
    expect(dockerfile.stages.length).toBeGreaterThanOrEqual(3);
    const pinnedMajor = String(packageJson.devDependencies.node)
      .replace(/^[^\d]*/, '')
      .split('.')[0];
    for (const stage of dockerfile.stages) {
      if (stageNames.has(stage.image)) continue; // FROM <earlier stage>
      const m = /^node:(\d+)(?:\.\d+){0,2}-[a-z0-9.-]+(@sha256:[0-9a-f]{64})?$/.exec(stage.image);
      expect({ image: stage.image, pinned: Boolean(m) }).toEqual({ image: stage.image, pinned: true });
      expect(m![1]).toBe(pinnedMajor);
      expect(stage.image).toMatch(/slim|distroless/);
    }
  });

  it('runs the final stage as a numeric non-root user', () => {
    expect(userIds.every((id) => /^\d+$/.test(id))).toBe(true);
    expect(Number(userIds[0])).toBeGreaterThan(0);
    expect(Number(userIds[1] ?? userIds[0])).toBeGreaterThan(0);
    // Nothing runs as root after the switch (a later USER root would undo it).
    const userIndex = runtime.instructions.lastIndexOf(lastOf(runtime, 'USER')!);
    expect(runtime.instructions.slice(userIndex).filter((i) => i.keyword === 'RUN')).toEqual([]);
  });

  it('installs production dependencies only, with npm ci, in the runtime stage', () => {
    const runs = all(runtime, 'RUN').map((i) => i.args);
    expect(runs.some((r) => /\bnpm ci\b/.test(r) && /--omit=dev\b/.test(r))).toBe(true);
    for (const stage of dockerfile.stages) {
      for (const run of all(stage, 'RUN')) expect(run.args).not.toMatch(/\bnpm (install|i)\b/);
    }
    // node_modules in the runtime come from its own npm ci, never from the build stage (dev deps).
    for (const copy of all(runtime, 'COPY').filter((c) => c.flags.from))
      expect(copy.args).not.toMatch(/node_modules/);
  });

  it('has a HEALTHCHECK on /healthz/live that needs no curl or wget, and the script is in the image', () => {
    const hc = lastOf(runtime, 'HEALTHCHECK')!;
    expect(hc).toBeDefined();
    expect(hc.args).not.toMatch(/\b(curl|wget)\b/);
    const cmd = JSON.parse(hc.args.replace(/^CMD\s+/, '')) as string[];
    expect(cmd[0]).toBe('node');
    expect(cmd).toContain('/healthz/live');
    const workdir = lastOf(runtime, 'WORKDIR')!.args;
    const copied = all(runtime, 'COPY').map((c) => posix.resolve(workdir, c.args.split(/\s+/).at(-1)!));
    expect(copied).toContain(cmd[1]);
    expect(existsSync(join(REPO_ROOT, posix.relative(workdir, cmd[1])))).toBe(true);
  });

  it('stops with SIGTERM sent straight to node (exec-form CMD of the built entry)', () => {
    expect(lastOf(runtime, 'STOPSIGNAL')?.args).toBe('SIGTERM');
    const cmd = lastOf(runtime, 'CMD')!;
    expect(cmd.exec).not.toBeNull(); // shell form would put /bin/sh between the signal and node
    expect(cmd.exec![0]).toBe('node');
    // `npm start` runs the same command, exec'd so npm's shell does not stand between signal and node.
    expect(`exec node ${cmd.exec!.slice(1).join(' ')}`).toBe(packageJson.scripts.start);
    expect(lastOf(runtime, 'ENTRYPOINT')).toBeUndefined();
  });

  it('sets NODE_ENV=production and exposes the port the service listens on', () => {
    expect(imageEnv.NODE_ENV).toBe('production');
    for (const [k, v] of Object.entries(imageEnv)) expect(whyEnvIgnored(k, v)).toBeNull();
    const { config } = loadConfig({ cwd: REPO_ROOT, env: imageEnv });
    expect(lastOf(runtime, 'EXPOSE')!.args).toBe(String(config.server.port));
  });

  it('follows the hadolint basics: no ADD (no remote URLs), absolute WORKDIR, no cd, no sudo, no latest', () => {
    for (const stage of dockerfile.stages) {
      expect(all(stage, 'ADD')).toEqual([]);
      for (const w of all(stage, 'WORKDIR')) expect(w.args.startsWith('/')).toBe(true);
      for (const run of all(stage, 'RUN')) {
        expect(run.args).not.toMatch(/(^|&&|;)\s*cd\s/);
        expect(run.args).not.toMatch(/\bsudo\b|\bcurl\b.*\|\s*(ba)?sh/);
        if (/apt-get install/.test(run.args)) expect(run.args).toMatch(/--no-install-recommends/);
      }
      if (!stageNames.has(stage.image)) expect(stage.image).not.toMatch(/:latest$|^[^:]+$/);
    }
    expect(readRepoFile('Dockerfile')).not.toMatch(/^\s*ADD\s+(--\S+\s+)*https?:/im);
  });

  it('copies only files that exist in the build context', () => {
    for (const stage of dockerfile.stages) {
      for (const copy of all(stage, 'COPY').filter((c) => !c.flags.from)) {
        for (const src of copy.args.split(/\s+/).slice(0, -1))
          expect(existsSync(join(REPO_ROOT, src))).toBe(true);
      }
    }
  });
});

describe('.dockerignore', () => {
  const ignored = dockerignoreMatcher(readRepoFile('.dockerignore'));
  const repoFiles = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((f) => f && existsSync(join(REPO_ROOT, f)));

  it('keeps tests, secrets, git metadata, node_modules and build output out of the context', () => {
    const mustStayOut = [
      '.git/config',
      '.git/HEAD',
      'node_modules/yaml/package.json',
      'dist/apps/mira/src/main.js',
      '.env',
      '.env.production',
      'apps/mira/.env',
      'secrets/db-password',
      'certs/server.key',
      'certs/server.pem',
      'coverage/lcov.info',
      ...repoFiles.filter((f) => /(^|\/)test\/|\.spec\.ts$|\.e2e-spec\.ts$/.test(f)),
    ];
    expect(mustStayOut.filter((f) => !ignored(f))).toEqual([]);
    expect(mustStayOut.length).toBeGreaterThan(15);
  });

  it('keeps in everything the Dockerfile copies (else the build fails) and nothing else from the repo', () => {
    const sources = dockerfile.stages.flatMap((s) =>
      all(s, 'COPY')
        .filter((c) => !c.flags.from)
        .flatMap((c) => c.args.split(/\s+/).slice(0, -1)),
    );
    const needed = repoFiles.filter((f) =>
      sources.some(
        (src) => f === src || (statSync(join(REPO_ROOT, src)).isDirectory() && f.startsWith(`${src}/`)),
      ),
    );
    const neededForBuild = needed.filter((f) => !/\.spec\.ts$|(^|\/)test\//.test(f));
    expect(neededForBuild.filter((f) => ignored(f))).toEqual([]);
    expect(neededForBuild).toEqual(expect.arrayContaining(['package-lock.json', 'apps/mira/src/main.ts']));
    const sent = repoFiles.filter((f) => !ignored(f));
    expect(sent.filter((f) => !neededForBuild.includes(f))).toEqual([]);
  });
});

describe('deploy/compose.yaml', () => {
  const compose = readCompose();
  const services = compose.services as Record<string, any>;
  const miras = Object.entries(services).filter(([, s]) => s.image === 'mira:local');

  it('runs Mira and Redis with healthchecks, Mira waiting for a healthy Redis', () => {
    expect(Object.keys(services)).toEqual(expect.arrayContaining(['mira', 'redis', 'vault']));
    expect(services.redis.healthcheck.test.join(' ')).toContain('redis-cli ping');
    for (const [, svc] of miras) {
      expect(svc.healthcheck.test.join(' ')).not.toMatch(/curl|wget/);
      expect(svc.healthcheck.test).toEqual([
        'CMD',
        ...JSON.parse(lastOf(runtime, 'HEALTHCHECK')!.args.slice(4)),
      ]);
      expect(svc.depends_on.redis.condition).toBe('service_healthy');
      expect(existsSync(join(REPO_ROOT, 'deploy', svc.build.context, svc.build.dockerfile))).toBe(true);
    }
  });

  it.each(['mira', 'mira-vault'])(
    '%s: hardened like the manifests (read-only, tmpfs /tmp, image user, no caps)',
    (name) => {
      const svc = services[name];
      expect(svc.read_only).toBe(true);
      expect(svc.tmpfs.some((t: string) => t.split(':')[0] === '/tmp')).toBe(true);
      expect(svc.user).toBe(userIds.join(':'));
      expect(svc.cap_drop).toEqual(['ALL']);
      expect(svc.stop_signal).toBe('SIGTERM');
    },
  );

  it.each(['mira', 'mira-vault'])('%s: config dir mounted (hot reload) and valid for the app', (name) => {
    const svc = services[name];
    const env: Record<string, string> = { ...imageEnv };
    for (const [k, v] of Object.entries<string>(svc.environment)) {
      // ${VAR:-default} interpolation as compose does it, with the defaults.
      env[k] = String(v).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
      expect(whyEnvIgnored(k, env[k])).toBeNull();
    }
    const mount = svc.volumes
      .map((v: string) => v.split(':'))
      .find(([, target]: string[]) => target === dirname(env.MIRA_CONFIG_FILE));
    expect(mount).toBeDefined();
    const source = join(REPO_ROOT, 'deploy', mount[0]);
    expect(statSync(source).isDirectory()).toBe(true); // a directory, not a single file: edits are seen
    const file = join(source, env.MIRA_CONFIG_FILE.split('/').at(-1)!);
    const { config } = loadConfig({ file, env: { ...env, MIRA_CONFIG_FILE: file } });
    expect(config.config.hot_reload).toBe(true);
    expect(config.broker.transport).toBe('redis');
    const redis = new URL(config.broker.redis.url);
    expect(services[redis.hostname]).toBeDefined();
    expect(svc.ports.map((p: string) => Number(p.split(':').at(-1)))).toEqual([config.server.port]);
    const grace = parseInt(svc.stop_grace_period, 10);
    expect(grace).toBeGreaterThanOrEqual(
      // Unset drain delay: the larger (production / Kubernetes) default, 5000 ms.
      Math.ceil(((config.shutdown.drain_delay_ms ?? 5000) + config.shutdown.timeout_ms) / 1000) + 5,
    );
    if (name === 'mira-vault') {
      expect(config.secrets.backend).toBe('vault');
      expect(services[new URL(config.secrets.vault.url!).hostname].profiles).toEqual(['vault']);
      // The seed writes exactly the secret the service references (KV path <name>, field <key>).
      const seeded = services['vault-seed'].entrypoint.join(' ');
      for (const ref of secretRefs(Object.values(env)))
        expect(seeded).toContain(`secret/${ref.name} ${ref.key}=`);
    }
  });

  it('the vault profile is opt-in: a plain `up` starts only Mira, Redis and PostgreSQL', () => {
    const started = Object.entries(services)
      .filter(([, s]) => !s.profiles)
      .map(([n]) => n);
    expect(started.sort()).toEqual(['mira', 'postgres', 'redis']);
    expect(services.vault.command).toEqual(expect.arrayContaining(['server', '-dev']));
  });
});
