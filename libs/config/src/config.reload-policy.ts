import { deepFreeze, diffPaths, isPlainObject } from './config.merge';
import type { MiraConfig } from './config.schema';
import { configSections, registry, type HeldChange, type LiveReloadRule } from './config.section';

export type { HeldChange, LiveReloadRule } from './config.section';

/**
 * The keys that reload live, from every registered section's `reload` (defineConfigSection);
 * everything else requires a restart. The reload service and the docs generator both read it.
 * Declare a key live only when some code really reads it per use or subscribes to it.
 */
export const LIVE_RELOAD_RULES: readonly LiveReloadRule[] = registry().liveRules;

function matches(pattern: string, path: string): boolean {
  const p = pattern.split('.');
  const k = path.split('.');
  // A trailing `**` matches any depth (flag definitions: keys with dots, JSON Logic trees).
  if (p[p.length - 1] === '**')
    return k.length >= p.length && p.slice(0, -1).every((seg, i) => seg === '*' || seg === k[i]);
  return p.length === k.length && p.every((seg, i) => seg === '*' || seg === k[i]);
}

export function isLiveReloadable(path: string): boolean {
  return LIVE_RELOAD_RULES.some((r) => matches(r.pattern, path));
}

export function liveReloadRule(path: string): LiveReloadRule | undefined {
  return LIVE_RELOAD_RULES.find((r) => matches(r.pattern, path));
}

/** Leaf-level differences: an added or removed subtree is expanded into its leaves. */
export function leafChanges(
  running: unknown,
  desired: unknown,
): { path: string; previous: unknown; current: unknown }[] {
  const expand = (c: { path: string; previous: unknown; current: unknown }): (typeof c)[] =>
    isPlainObject(c.previous) || isPlainObject(c.current)
      ? diffPaths(
          isPlainObject(c.previous) ? c.previous : {},
          isPlainObject(c.current) ? c.current : {},
          c.path,
        ).flatMap(expand)
      : [c];
  return diffPaths(running, desired).flatMap(expand);
}

/**
 * The changes from `running` to `desired` that weaken a guard, from every section's
 * `holdOnReload`: e.g. `api.keys` reduced to no usable key, `api.auth` switched off, a webhook
 * secret removed, a lower approval quorum. A hot reload never applies these: an empty or
 * cut-short file write looks exactly like them, and the cost of being wrong is an open door. They
 * wait for a restart, where start-up validation (e.g. production without keys) judges the file.
 */
export function authWeakenings(running: MiraConfig, desired: MiraConfig): HeldChange[] {
  const r = running as unknown as Record<string, unknown>;
  const d = desired as unknown as Record<string, unknown>;
  return configSections().flatMap((s) => s.holdOnReload?.(r[s.key], d[s.key]) ?? []);
}

export interface ReloadPlan {
  /** The config to swap in: the desired values for live keys, the running values for all others. */
  config: MiraConfig;
  /** Keys whose new value waits for a restart (paths only: values may be secrets). */
  pendingRestart: string[];
  /** Auth-weakening changes held back (also listed, leaf by leaf, in pendingRestart). */
  held: HeldChange[];
}

/**
 * Splits a desired config into what applies now and what waits for a restart, so a change to
 * e.g. `server.port` never half-applies: the snapshot keeps describing the running service.
 * Changes that weaken authentication (authWeakenings) wait for a restart too, even on live keys.
 */
export function planReload(running: MiraConfig, desired: MiraConfig): ReloadPlan {
  const pendingRestart: string[] = [];
  const held = authWeakenings(running, desired);
  const isHeld = (path: string) => held.some((h) => path === h.path || path.startsWith(`${h.path}.`));
  const out = clone(desired) as unknown as Record<string, unknown>;
  for (const change of leafChanges(running, desired)) {
    if (isLiveReloadable(change.path) && !isHeld(change.path)) continue;
    pendingRestart.push(change.path);
    restorePath(out, running as unknown as Record<string, unknown>, change.path, change.previous);
  }
  return { config: deepFreeze(out as unknown as MiraConfig), pendingRestart, held };
}

/** A mutable copy of a config tree (plain objects, arrays, scalars); same realm, unlike structuredClone under jest. */
function clone<T>(value: T): T {
  if (Array.isArray(value)) return value.map(clone) as T;
  if (isPlainObject(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clone(v)])) as T;
  return value;
}

/** Puts the running value back at `path` (deleting it, and any parent created only for it, if it did not exist). */
function restorePath(
  target: Record<string, unknown>,
  running: Record<string, unknown>,
  path: string,
  previous: unknown,
): void {
  const parts = path.split('.');
  const chain: Record<string, unknown>[] = [target];
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (!isPlainObject(node[part])) node[part] = {};
    node = node[part] as Record<string, unknown>;
    chain.push(node);
  }
  const last = parts[parts.length - 1];
  if (previous !== undefined) {
    node[last] = clone(previous);
    return;
  }
  delete node[last];
  // Remove parents that are now empty and did not exist in the running config.
  for (let i = parts.length - 1; i > 0; i--) {
    const parentPath = parts.slice(0, i);
    const existed = parentPath.reduce<unknown>((n, p) => (isPlainObject(n) ? n[p] : undefined), running);
    if (existed !== undefined || Object.keys(chain[i]).length > 0) break;
    delete chain[i - 1][parts[i - 1]];
  }
}
