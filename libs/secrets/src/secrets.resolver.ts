import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit, Optional } from '@nestjs/common';
import {
  ConfigError,
  ConfigStore,
  deepFreeze,
  type ConfigValueResolver,
  type MiraConfig,
} from '@mira/config';
import { describeError, formatRef } from './secrets.error';
import { findReferences, replaceReferences, type ReferenceSite } from './secrets.reference';
import { SecretsService } from './secrets.service';

/**
 * Resolves `secret://<name>:<key>[?default=<value>]` config values. Cuts the config <-> secrets knot:
 * ConfigModule loads the raw config, SecretsModule builds its backend from it, then this resolver
 * (registered with ConfigStore.addResolver, so reloads use it too) swaps in the resolved snapshot during
 * module init, before the app listens. When a referenced secret rotates, the raw config is resolved
 * again and swapped in, which emits a config change for every key that referenced it.
 */
@Injectable()
export class SecretsConfigResolver implements ConfigValueResolver, OnModuleInit, OnApplicationShutdown {
  readonly name = 'secrets';
  private readonly logger = new Logger('SecretsConfig');
  /** The last unresolved config seen, and where its references are. */
  private raw: MiraConfig | null = null;
  private sites: ReferenceSite[] = [];
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly secrets: SecretsService,
    @Optional() private readonly store?: ConfigStore,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.store) return;
    await this.secrets.start();
    this.store.addResolver(this);
    this.unsubscribe = this.secrets.onRotate((name, key) => this.onRotate(name, key));
    const current = this.store.current;
    if (findReferences(current).length === 0) {
      this.raw = current;
      return;
    }
    // Throws a ConfigError naming the key and the reference: Nest init fails and main.ts exits 1.
    const resolved = await this.store.resolve(current);
    this.store.replace(
      { config: resolved, file: this.store.file, hash: this.store.hash },
      { source: 'resolved' },
    );
    this.logger.log(`Resolved ${this.sites.length} secret reference(s) in the configuration`);
  }

  onApplicationShutdown(): void {
    this.unsubscribe?.();
  }

  /** Config keys (dotted paths) that reference a secret; for change listeners and docs. */
  referencesTo(name: string, key: string | undefined): string[] {
    return this.sites.filter((s) => s.ref.name === name && s.ref.key === key).map((s) => s.path);
  }

  async resolve(config: MiraConfig): Promise<MiraConfig> {
    const sites = findReferences(config);
    this.raw = config;
    this.sites = sites;
    if (sites.length === 0) return config;
    const values = new Map<string, string>();
    for (const { path, value: leaf, ref } of sites) {
      if (values.has(leaf)) continue;
      try {
        values.set(leaf, await this.secrets.get(ref.name, ref.key, { default: ref.default }));
      } catch (err) {
        if (ref.default !== undefined) {
          this.logger.warn(
            `${path}: ${ref.raw} could not be read (${describeError(err)}); using its default`,
          );
          values.set(leaf, ref.default);
          continue;
        }
        throw new ConfigError(
          'CONFIG_INVALID',
          `Config key ${path} references ${formatRef(ref.name, ref.key)}, which could not be resolved: ${describeError(err)}`,
          path,
        );
      }
    }
    return deepFreeze(replaceReferences(config, (leaf) => values.get(leaf)!)) as MiraConfig;
  }

  /**
   * Only the keys that reference the rotated secret change, on top of the config in force: the
   * rest of the last raw config is not re-applied (a hot reload may have held restart-only keys
   * back, and those must not slip in through a rotation).
   */
  private async onRotate(name: string, key: string | undefined): Promise<void> {
    const sites = this.sites.filter((s) => s.ref.name === name && s.ref.key === key);
    if (!this.store || sites.length === 0) return;
    try {
      // A JSON copy: config is JSON data, and the copy's objects stay plain for diffing.
      const next = JSON.parse(JSON.stringify(this.store.current)) as Record<string, unknown>;
      for (const site of sites) {
        let value: string;
        try {
          value = await this.secrets.get(site.ref.name, site.ref.key, { default: site.ref.default });
        } catch (err) {
          if (site.ref.default === undefined) throw err;
          value = site.ref.default;
        }
        setAtPath(next, site.path, value);
      }
      const changes = this.store.replace(
        { config: deepFreeze(next) as unknown as MiraConfig, file: this.store.file, hash: this.store.hash },
        { source: 'resolved' },
      );
      this.logger.log(
        `${formatRef(name, key)} rotated: config keys ${changes.map((c) => c.path).join(', ') || '(none)'} updated`,
      );
    } catch (err) {
      this.store.markFailed(
        `re-resolving ${formatRef(name, key)} after rotation failed: ${describeError(err)}`,
      );
    }
  }
}

/** Sets a dotted path (`api.keys.0`) in a plain tree, creating nothing: a missing parent is skipped. */
function setAtPath(tree: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let node: unknown = tree;
  for (const part of parts.slice(0, -1)) {
    if (typeof node !== 'object' || node === null) return;
    node = (node as Record<string, unknown>)[part];
  }
  if (typeof node === 'object' && node !== null)
    (node as Record<string, unknown>)[parts[parts.length - 1]] = value;
}
