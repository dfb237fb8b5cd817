// Helpers for the deploy tests: render the kustomize overlays, parse the Dockerfile and the
// .dockerignore, and relate what the manifests set to what the service actually reads.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import {
  FALLBACK_ENV_VARS,
  NAMED_ENV_VARS,
  OTHER_ENV_VARS,
  getPath,
  readEnvLayer,
  validateConfig,
} from '@mira/config';

export const REPO_ROOT = resolve(__dirname, '../../../..');
export const K8S_DIR = join(REPO_ROOT, 'deploy/k8s');

export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
} & Record<string, any>;

/** `kubectl kustomize <dir>`, parsed with the `yaml` package (the real renderer, not a re-implementation). */
export function renderKustomize(dir: string): K8sObject[] {
  const out = execFileSync('kubectl', ['kustomize', dir], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  return parseAllDocuments(out)
    .map((doc) => {
      if (doc.errors.length) throw new Error(`kustomize output does not parse: ${doc.errors[0].message}`);
      return doc.toJS() as K8sObject;
    })
    .filter(Boolean);
}

/** Renders an overlay with extra components through a throw-away kustomization (paths must be relative). */
export function renderWithComponents(overlay: string, components: string[]): K8sObject[] {
  const dir = mkdtempSync(join(tmpdir(), 'mira-kustomize-'));
  try {
    const rel = (p: string) => relative(dir, p).split('\\').join('/');
    writeFileSync(
      join(dir, 'kustomization.yaml'),
      [
        'apiVersion: kustomize.config.k8s.io/v1beta1',
        'kind: Kustomization',
        'resources:',
        `  - ${rel(overlay)}`,
        'components:',
        ...components.map((c) => `  - ${rel(c)}`),
        '',
      ].join('\n'),
    );
    return renderKustomize(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function ofKind(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

export function single(objects: K8sObject[], kind: string, name?: string): K8sObject {
  const found = ofKind(objects, kind).filter((o) => name === undefined || o.metadata.name === name);
  if (found.length !== 1)
    throw new Error(`expected exactly one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0];
}

/** The Mira container of the Deployment. */
export function miraContainer(deployment: K8sObject): Record<string, any> {
  const c = deployment.spec.template.spec.containers.find((x: { name: string }) => x.name === 'mira');
  if (!c) throw new Error('the Deployment has no container named mira');
  return c;
}

/** Resolves a probe's port (a number or a named container port). */
export function probePort(container: Record<string, any>, port: number | string): number {
  if (typeof port === 'number') return port;
  const named = (container.ports ?? []).find((p: { name?: string }) => p.name === port);
  if (!named) throw new Error(`probe port ${port} names no container port`);
  return named.containerPort;
}

/**
 * The config file the Deployment mounts: the ConfigMap volume's directory + the file
 * MIRA_CONFIG_FILE points at, read from the rendered ConfigMap.
 */
export function mountedConfigFile(objects: K8sObject[]): {
  path: string;
  text: string;
  configMap: K8sObject;
} {
  const deployment = single(objects, 'Deployment', 'mira');
  const container = miraContainer(deployment);
  const file = envValue(container, 'MIRA_CONFIG_FILE');
  if (!file) throw new Error('the container sets no MIRA_CONFIG_FILE');
  for (const mount of container.volumeMounts ?? []) {
    const dir = String(mount.mountPath).replace(/\/$/, '');
    if (!file.startsWith(`${dir}/`)) continue;
    const volume = deployment.spec.template.spec.volumes.find((v: { name: string }) => v.name === mount.name);
    if (!volume?.configMap) continue;
    const configMap = single(objects, 'ConfigMap', volume.configMap.name);
    const key = file.slice(dir.length + 1);
    const text = configMap.data?.[key];
    if (typeof text !== 'string') throw new Error(`ConfigMap ${configMap.metadata.name} has no key ${key}`);
    return { path: file, text, configMap };
  }
  throw new Error(`MIRA_CONFIG_FILE ${file} is not inside a mounted ConfigMap directory`);
}

export function envValue(container: Record<string, any>, name: string): string | undefined {
  return (container.env ?? []).find((e: { name: string }) => e.name === name)?.value;
}

/** `secret://<name>:<key>` references anywhere in a value tree (strings, lists, maps). */
export function secretRefs(
  value: unknown,
  found: { name: string; key?: string }[] = [],
): { name: string; key?: string }[] {
  if (typeof value === 'string') {
    for (const m of value.matchAll(/secret:\/\/([A-Za-z0-9._-]+)(?::([A-Za-z0-9._-]+))?/g)) {
      found.push({ name: m[1], key: m[2] });
    }
  } else if (Array.isArray(value)) {
    for (const v of value) secretRefs(v, found);
  } else if (value && typeof value === 'object') {
    for (const v of Object.values(value)) secretRefs(v, found);
  }
  return found;
}

/**
 * Why an environment variable would be ignored by the service, or null when the service reads
 * it: the named variables, Vault's fallbacks, the non-config ones (MIRA_CONFIG_FILE, NODE_ENV),
 * or the generic MIRA_A__B form of a key the schema knows (checked by the app's own loader:
 * the strict schema rejects unknown keys). With a value, the value must validate as well.
 */
export function whyEnvIgnored(name: string, value?: string): string | null {
  if ((OTHER_ENV_VARS as readonly string[]).includes(name)) return null;
  const named = name in NAMED_ENV_VARS || name in FALLBACK_ENV_VARS;
  if (!named && !(name.startsWith('MIRA_') && name.includes('__'))) {
    return `${name} is not a variable the service reads`;
  }
  if (value === undefined) {
    // valueFrom: no literal to validate; the key must exist (in the defaults or a map section).
    if (named) return null;
    const path = [...readEnvLayer({ [name]: 'x' }).sources.keys()][0];
    if (getPath(validateConfig({}), path) !== undefined) return null;
    const [section, ...rest] = path.split('.');
    if (['webhooks', 'agents', 'features'].includes(section) && rest.length > 0) return null;
    return `${name} maps to ${path}, which is not a config key`;
  }
  const layer = readEnvLayer({ [name]: value });
  try {
    // One variable alone: rules spanning keys (redis needs postgres) are checked on the whole config.
    validateConfig(layer.values, layer.sources, { crossField: false });
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

// ---- Dockerfile -------------------------------------------------------------------------------

export interface DockerInstruction {
  keyword: string;
  /** `--from=build` -> { from: 'build' } */
  flags: Record<string, string>;
  /** The arguments after the flags, as written (line continuations joined). */
  args: string;
  /** Exec form (JSON array) when the arguments are one, else null. */
  exec: string[] | null;
  line: number;
}

export interface DockerStage {
  name: string | null;
  image: string;
  instructions: DockerInstruction[];
}

export interface ParsedDockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  globalArgs: Record<string, string>;
  stages: DockerStage[];
}

/** A small Dockerfile parser: comments, `\` continuations, flags, exec form, ARG substitution in FROM. */
export function parseDockerfile(text: string): ParsedDockerfile {
  const instructions: DockerInstruction[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i];
    if (/^\s*(#|$)/.test(line)) continue;
    while (/\\\s*$/.test(line) && i + 1 < lines.length) {
      i++;
      if (/^\s*#/.test(lines[i])) continue; // comment lines inside a continuation are dropped
      line = line.replace(/\\\s*$/, ' ') + lines[i];
    }
    const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(line);
    if (!m) throw new Error(`Dockerfile line ${start + 1} does not parse: ${line}`);
    let rest = m[2].trim();
    const flags: Record<string, string> = {};
    for (let f = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(rest); f; f = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(rest)) {
      flags[f[1]] = f[2] ?? '';
      rest = rest.slice(f[0].length);
    }
    let exec: string[] | null = null;
    if (rest.startsWith('[')) {
      try {
        const parsed = JSON.parse(rest);
        if (Array.isArray(parsed) && parsed.every((s) => typeof s === 'string')) exec = parsed;
      } catch {
        exec = null;
      }
    }
    instructions.push({ keyword: m[1].toUpperCase(), flags, args: rest, exec, line: start + 1 });
  }
  const globalArgs: Record<string, string> = {};
  const stages: DockerStage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'FROM') {
      const [image, as, name] = ins.args.split(/\s+/);
      const expanded = image.replace(
        /\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g,
        (_, v: string) => globalArgs[v] ?? '',
      );
      stages.push({ name: as?.toUpperCase() === 'AS' ? name : null, image: expanded, instructions: [] });
    } else if (stages.length === 0) {
      if (ins.keyword === 'ARG') {
        const [k, v] = ins.args.split('=');
        globalArgs[k.trim()] = (v ?? '').trim();
      }
    } else {
      stages[stages.length - 1].instructions.push(ins);
    }
  }
  return { globalArgs, stages };
}

/** ENV instructions of a stage (both `ENV A=1 B=2` and the legacy `ENV A 1`), unquoted. */
export function stageEnv(stage: DockerStage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const ins of stage.instructions.filter((i) => i.keyword === 'ENV')) {
    if (!ins.args.includes('=')) {
      const [k, ...v] = ins.args.split(/\s+/);
      env[k] = v.join(' ');
      continue;
    }
    for (const m of ins.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g)) {
      env[m[1]] = m[2].replace(/^(["'])(.*)\1$/, '$2');
    }
  }
  return env;
}

/** The last instruction of a kind in a stage (later ones override earlier ones). */
export function lastOf(stage: DockerStage, keyword: string): DockerInstruction | undefined {
  return stage.instructions.filter((i) => i.keyword === keyword).at(-1);
}

// ---- .dockerignore ----------------------------------------------------------------------------

/**
 * Docker's .dockerignore semantics (moby/patternmatcher): patterns are relative to the context
 * root, `*` and `?` stay within one path segment, `**` spans any number of them, `!` re-includes,
 * the last matching pattern wins, and a pattern matching a parent directory matches what is inside.
 */
export function dockerignoreMatcher(text: string): (path: string) => boolean {
  const rules = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = (negate ? l.slice(1) : l).trim().replace(/^\/+/, '').replace(/\/+$/, '');
      let re = '';
      for (let i = 0; i < pattern.length; i++) {
        const c = pattern[i];
        if (c === '*' && pattern[i + 1] === '*') {
          i++;
          if (pattern[i + 1] === '/') {
            i++;
            re += '(?:.*/)?';
          } else re += '.*';
        } else if (c === '*') re += '[^/]*';
        else if (c === '?') re += '[^/]';
        else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
      }
      return { negate, re: new RegExp(`^${re}$`) };
    });
  return (path: string) => {
    const parts = path.split('/');
    const candidates = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of rules) {
      if (candidates.some((c) => rule.re.test(c))) excluded = !rule.negate;
    }
    return excluded;
  };
}

export function readRepoFile(path: string): string {
  return readFileSync(join(REPO_ROOT, path), 'utf8');
}

/** compose.yaml parsed with YAML merge keys (`<<: *anchor`), as Docker Compose reads it. */
export function readCompose(): Record<string, any> {
  return parse(readRepoFile('deploy/compose.yaml'), { merge: true });
}
