import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '@mira/config';
import {
  parseDockerfile,
  readRepoFile,
  REPO_ROOT,
  stageEnv,
  whyEnvIgnored,
} from './support/deploy-manifests';

// DEPLOYMENT.md section 2 against deploy/compose.yaml and deploy/compose.dev.yaml: every service,
// port, variable and demo value it names is what the files say (Docker cannot run here).

type Compose = { services: Record<string, any>; volumes?: Record<string, unknown> };
const COMPOSE_FILES = ['deploy/compose.yaml', 'deploy/compose.dev.yaml'];
const composes: Record<string, Compose> = Object.fromEntries(
  COMPOSE_FILES.map((f) => [f, parse(readRepoFile(f), { merge: true }) as Compose]),
);
const deployment = readRepoFile('DEPLOYMENT.md');
const section = deployment.slice(
  deployment.indexOf('## 2. Local stack with compose'),
  deployment.indexOf('## 3. '),
);
const imageEnv = stageEnv(parseDockerfile(readRepoFile('Dockerfile')).stages.at(-1)!);

/** `${VAR:-default}` as compose interpolates it with VAR unset. */
const interpolate = (v: unknown) => String(v).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
const envOf = (svc: any): Record<string, string> =>
  Object.fromEntries(Object.entries<string>(svc.environment ?? {}).map(([k, v]) => [k, interpolate(v)]));
const published = (svc: any): number[] =>
  (svc.ports ?? []).map((p: string) => Number(String(p).split(':')[0]));

/** The demo value of a row of the credentials table, by its first cell. */
function demoValue(what: string): string {
  const row = section.split('\n').find((l) => l.startsWith(`| ${what} |`));
  expect(row).toBeDefined();
  return row!.split('|')[2].trim().replace(/`/g, '');
}

/** The service's config as it would start in the image: image env < compose env, its config file. */
function startConfig(file: string, name: string) {
  const svc = composes[file].services[name];
  const env = { ...imageEnv, ...envOf(svc) };
  let configFile = join(REPO_ROOT, 'config/mira.yaml'); // the image's bundled default
  if (env.MIRA_CONFIG_FILE) {
    const mount = svc.volumes
      .map((v: string) => v.split(':'))
      .find(([, target]: string[]) => target === dirname(env.MIRA_CONFIG_FILE));
    configFile = join(REPO_ROOT, 'deploy', mount[0], env.MIRA_CONFIG_FILE.split('/').at(-1)!);
  }
  return loadConfig({ file: configFile, env: { ...env, MIRA_CONFIG_FILE: configFile } }).config;
}

describe('DEPLOYMENT.md section 2 matches the compose files', () => {
  it('each documented command names services and ports that file starts', () => {
    const commands = section
      .split('\n')
      .filter((l) => l.startsWith('docker compose -f deploy/compose') && l.includes(' up '));
    expect(commands).toHaveLength(3);
    for (const line of commands) {
      const file = /-f (\S+)/.exec(line)![1];
      const profile = /--profile (\S+)/.exec(line)?.[1];
      const services = composes[file].services;
      // Items `name` or `name :port`, separated by `+` or `,`; prose only in parentheses.
      const comment = line.slice(line.indexOf('#') + 1).replace(/\([^)]*\)/g, '');
      for (const item of comment
        .split(/[+,]/)
        .map((s) => s.trim())
        .filter(Boolean)) {
        const m = /^([a-z][a-z-]*)(?: :(\d+))?$/.exec(item);
        expect({ line, item, parsed: m !== null }).toEqual({ line, item, parsed: true });
        if (!m) continue;
        const svc = services[m[1]];
        expect({ file, service: m[1], defined: svc !== undefined }).toEqual({
          file,
          service: m[1],
          defined: true,
        });
        if (!profile) expect(svc.profiles).toBeUndefined();
        if (m[2]) expect(published(svc)).toContain(Number(m[2]));
      }
      // Nothing that file starts (in that profile) is left out of the comment.
      const started = Object.entries(services)
        .filter(([, s]) => (profile ? s.profiles?.includes(profile) : !s.profiles))
        .map(([n]) => n)
        .filter((n) => n !== 'vault-seed'); // one-shot, described below the commands
      for (const name of started) expect(comment).toMatch(new RegExp(`(^|[ +])${name}( |$)`));
    }
  });

  it('every MIRA_* variable the section names is set by a compose service, with the documented value', () => {
    const set = new Map<string, string[]>();
    for (const c of Object.values(composes))
      for (const svc of Object.values(c.services))
        for (const [k, v] of Object.entries(envOf(svc))) set.set(k, [...(set.get(k) ?? []), v]);
    const named = [...new Set(section.match(/MIRA_[A-Z_]+(?==[^\s`]+)?/g) ?? [])];
    expect(named.length).toBeGreaterThan(5);
    for (const variable of named.filter(
      (v) => v !== 'MIRA_URL' && v !== 'MIRA_API_KEY' && v !== 'MIRA_AUDIT_KEY',
    )) {
      expect({ variable, set: set.has(variable) }).toEqual({ variable, set: true });
      expect(whyEnvIgnored(variable, set.get(variable)![0])).toBeNull();
    }
    for (const [, variable, value] of section.matchAll(/`(MIRA_[A-Z_]+)=([^`]+)`/g))
      expect({ variable, values: set.get(variable) }).toEqual({
        variable,
        values: expect.arrayContaining([value]),
      });
    // MIRA_AUDIT_KEY is the override the files interpolate.
    for (const c of COMPOSE_FILES)
      expect(readRepoFile(c)).toContain('MIRA_GOVERNANCE__AUDIT__KEY: ${MIRA_AUDIT_KEY:-');
  });

  it('the demo API key and audit key are what each Mira starts with, and both files say so', () => {
    const apiKey = demoValue('API key');
    const auditKey = demoValue('Audit chain key');
    expect(auditKey.length).toBeGreaterThanOrEqual(32);
    for (const file of COMPOSE_FILES) {
      const text = readRepoFile(file);
      expect(text).toContain(apiKey);
      expect(text).toContain(auditKey);
      for (const [name, svc] of Object.entries(composes[file].services)) {
        if (svc.image !== 'mira:local' || svc.profiles) continue;
        const config = startConfig(file, name);
        expect(config.api.keys).toContain(apiKey);
        expect(config.governance.audit.key).toBe(auditKey);
        expect(published(svc)).toEqual([config.server.port]);
      }
    }
    const [user, password, db] = demoValue('PostgreSQL user / password / database').split(' / ');
    expect(envOf(composes['deploy/compose.yaml'].services.postgres)).toMatchObject({
      POSTGRES_USER: user,
      POSTGRES_PASSWORD: password ?? user,
      POSTGRES_DB: db ?? user,
    });
  });

  it('compose.yaml: PostgreSQL and Redis with health checks and named volumes, Mira waiting for both', () => {
    const { services, volumes } = composes['deploy/compose.yaml'];
    expect(services.redis.healthcheck.test.join(' ')).toContain('redis-cli ping');
    expect(services.postgres.healthcheck.test.join(' ')).toContain('pg_isready');
    for (const [name, volume] of [
      ['redis', 'redis-data'],
      ['postgres', 'postgres-data'],
    ]) {
      expect(section).toContain(`\`${volume}\``);
      expect(Object.keys(volumes ?? {})).toContain(volume);
      expect(services[name].volumes.map((v: string) => v.split(':')[0])).toContain(volume);
      expect(services.mira.depends_on[name].condition).toBe('service_healthy');
    }
    const config = startConfig('deploy/compose.yaml', 'mira');
    expect(config.state.backend).toBe('postgres');
    expect(services[new URL(config.state.postgres.url!).hostname]).toBeDefined();
    expect(services[new URL(config.broker.redis.url).hostname]).toBeDefined();
  });

  it('compose.dev.yaml: only Mira, on SQLite in a named volume, with the in-memory broker', () => {
    const { services, volumes } = composes['deploy/compose.dev.yaml'];
    expect(Object.keys(services)).toEqual(['mira']);
    const config = startConfig('deploy/compose.dev.yaml', 'mira');
    expect(config.state.backend).toBe('sqlite');
    expect(config.broker.transport).toBe('memory');
    const mount = services.mira.volumes
      .map((v: string) => v.split(':'))
      .find(([, t]: string[]) => t === dirname(config.state.sqlite.path));
    expect(mount).toBeDefined();
    expect(Object.keys(volumes ?? {})).toContain(mount[0]);
    expect(section).toContain(`\`${mount[0]}\``);
    expect(services.mira.healthcheck.test.join(' ')).toContain('/healthz/live');
  });
});
