import { deepFreeze, diffPaths, isPlainObject } from './config.merge';
import type { MiraConfig } from './config.schema';

/** A key (or key pattern, `*` = one path segment) that takes effect without a restart, and who applies it. */
export interface LiveReloadRule {
  pattern: string;
  appliedBy: string;
}

/**
 * THE list of keys that reload live; everything else requires a restart. The reload service and
 * the docs generator (docs/configuration.md) both read it. Add a key here only when some code
 * really reads it per use or subscribes to it with ConfigStore.onChange.
 */
export const LIVE_RELOAD_RULES: readonly LiveReloadRule[] = [
  { pattern: 'logging.level', appliedBy: 'libs/logging (next log line)' },
  {
    pattern: 'governance.*',
    appliedBy:
      'GovernanceAgent (read on every assessment); WorkflowEngine, ApprovalService, WorkflowSweeper (read per use)',
  },
  { pattern: 'governance.approvals_required.*', appliedBy: 'WorkflowEngine (read when a workflow is held)' },
  { pattern: 'agents.*.enabled', appliedBy: 'AgentRegistry (read on every route)' },
  { pattern: 'broker.queue_size', appliedBy: 'BrokerService.reconfigure' },
  { pattern: 'config.debounce_ms', appliedBy: 'ConfigReloadService (next file event)' },
  { pattern: 'config.stable_ms', appliedBy: 'ConfigReloadService (next file check)' },
  {
    pattern: 'api.keys',
    appliedBy: 'ApiKeyService (config change subscription; old keys kept for the grace window)',
  },
  { pattern: 'api.auth', appliedBy: 'ApiKeyService (read on every request)' },
  { pattern: 'api.rotation_grace_seconds', appliedBy: 'ApiKeyService (next key change)' },
  { pattern: 'api.protect_metrics', appliedBy: 'ApiKeyGuard (read on every request)' },
  { pattern: 'api.rate_limit.*', appliedBy: 'EdgeThrottlerGuard (read on every request)' },
  { pattern: 'api.webhook_rate_limit.*', appliedBy: 'EdgeThrottlerGuard (read on every request)' },
  {
    pattern: 'webhooks.*.*',
    appliedBy:
      'WebhooksService / WebhookSecretsService (per delivery; rotated secrets kept for the grace window)',
  },
  { pattern: 'features.*', appliedBy: 'FeatureFlagsService (read on every check)' },
  {
    pattern: 'integrations.*.*',
    appliedBy:
      'the module owning the integration (ConfigStore.integration(name) read per use, or onChange("integrations.<name>"))',
  },
];

function matches(pattern: string, path: string): boolean {
  const p = pattern.split('.');
  const k = path.split('.');
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

/** A change that would let through a request the running config refuses; held until a restart. */
export interface AuthWeakening {
  /** Key path (or subtree) kept at its running value. */
  path: string;
  /** What the change would do, without values: `emptied`, `enabled -> disabled`, `removed`. */
  change: string;
}

/**
 * An `api.keys` entry that grants access: a non-blank string, or an object entry (`{ name, key,
 * roles }`) unless its `key` is blank. Counted generically so the entry shape can grow.
 */
function grantsAccess(entry: unknown): boolean {
  if (typeof entry === 'string') return entry.trim() !== '';
  if (isPlainObject(entry))
    return !('key' in entry) || (typeof entry.key === 'string' && entry.key.trim() !== '');
  return entry !== null && entry !== undefined;
}

const hasSecret = (v: unknown): boolean => typeof v === 'string' && v.trim() !== '';

/**
 * The changes from `running` to `desired` that weaken authentication: `api.keys` reduced to no
 * usable key, `api.auth` switched off, `api.protect_metrics` switched off, a webhook secret removed
 * or nulled (or its whole service removed). A hot reload never applies these: an empty or cut-short
 * file write looks exactly like them, and the cost of being wrong is an open door. They wait for a
 * restart, where start-up validation (e.g. production without keys) judges the file.
 */
export function authWeakenings(running: MiraConfig, desired: MiraConfig): AuthWeakening[] {
  const out: AuthWeakening[] = [];
  const keysBefore = (running.api?.keys as unknown[] | undefined) ?? [];
  const keysAfter = (desired.api?.keys as unknown[] | undefined) ?? [];
  if (keysBefore.some(grantsAccess) && !keysAfter.some(grantsAccess))
    out.push({ path: 'api.keys', change: 'emptied' });
  if (running.api?.auth !== 'disabled' && desired.api?.auth === 'disabled')
    out.push({ path: 'api.auth', change: `${running.api?.auth ?? 'enabled'} -> disabled` });
  if (running.api?.protect_metrics === true && desired.api?.protect_metrics !== true)
    out.push({ path: 'api.protect_metrics', change: 'true -> false' });
  // Widening a key's roles grants approval or audit rights live: that waits for a restart too.
  const rolesOf = (keys: unknown[]) =>
    new Map(
      keys
        .filter(
          (k): k is { name: string; roles: string[] } => typeof k === 'object' && k !== null && 'name' in k,
        )
        .map((k) => [k.name, new Set(k.roles ?? [])]),
    );
  const rolesBefore = rolesOf(keysBefore);
  for (const [name, after] of rolesOf(keysAfter)) {
    const before = rolesBefore.get(name);
    if (before && [...after].some((r) => !before.has(r)))
      out.push({ path: 'api.keys', change: `roles of ${name} widened` });
  }
  // Governance guards work as authentication guards callers: fewer approvals or self-approval
  // (a line-truncated write resets them to defaults) never apply live.
  const quorumBefore = running.governance?.approvals_required ?? {};
  const quorumAfter = desired.governance?.approvals_required ?? {};
  for (const [risk, n] of Object.entries(quorumBefore))
    if ((quorumAfter as Record<string, number>)[risk] < n)
      out.push({ path: `governance.approvals_required.${risk}`, change: 'lowered' });
  if (running.governance?.allow_self_approval !== true && desired.governance?.allow_self_approval === true)
    out.push({ path: 'governance.allow_self_approval', change: 'false -> true' });
  const hooksBefore = (running.webhooks ?? {}) as Record<string, { secret?: unknown } | undefined>;
  const hooksAfter = (desired.webhooks ?? {}) as Record<string, { secret?: unknown } | undefined>;
  for (const [service, settings] of Object.entries(hooksBefore)) {
    if (!hasSecret(settings?.secret)) continue;
    const after = hooksAfter[service];
    // A removed service is held whole: restoring only its secret would leave a half-defaulted entry.
    if (after === undefined) out.push({ path: `webhooks.${service}`, change: 'removed' });
    else if (!hasSecret(after.secret)) out.push({ path: `webhooks.${service}.secret`, change: 'removed' });
  }
  return out;
}

export interface ReloadPlan {
  /** The config to swap in: the desired values for live keys, the running values for all others. */
  config: MiraConfig;
  /** Keys whose new value waits for a restart (paths only: values may be secrets). */
  pendingRestart: string[];
  /** Auth-weakening changes held back (also listed, leaf by leaf, in pendingRestart). */
  held: AuthWeakening[];
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
