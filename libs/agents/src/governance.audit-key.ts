import { Inject, Injectable, Logger, type OnApplicationBootstrap, Optional } from '@nestjs/common';
import { CONFIG_MODULE_OPTIONS, ConfigStore, type ConfigModuleDefinitionOptions } from '@mira/config';
import { DEVELOPMENT_AUDIT_KEY, STATE_STORE, type AuditKeyring, type StateStore } from '@mira/state';
import { AgentError } from './agent.error';

/**
 * The development key of the audit chain, used only outside production when
 * governance.audit.key is not set. Public by design: a chain keyed with it proves nothing.
 */
export { DEVELOPMENT_AUDIT_KEY };

/** The shortest governance.audit.key production accepts. */
export const MIN_PRODUCTION_KEY_LENGTH = 32;

export interface AuditKey {
  id: string;
  key: string;
}

/**
 * The audit chain's keys (governance.audit.key / key_id / previous_keys), checked once at start:
 * in production a missing key is fatal, naming the key; elsewhere the development key applies with
 * one warning. Restart-only keys, read once. The keyed chain itself reads `current` and `all`.
 */
@Injectable()
export class GovernanceAuditKeys implements OnApplicationBootstrap, AuditKeyring {
  private readonly logger = new Logger('GovernanceAudit');
  /** NODE_ENV=production as the config loader saw it (its `env` option, else process.env). */
  readonly production: boolean;
  private keys: { current: AuditKey; previous: AuditKey[]; development: boolean } | null = null;

  constructor(
    private readonly config: ConfigStore,
    @Inject(CONFIG_MODULE_OPTIONS) options: ConfigModuleDefinitionOptions,
    @Optional() @Inject(STATE_STORE) store: StateStore | null = null,
  ) {
    const nodeEnv = (options.env ?? process.env).NODE_ENV;
    this.production = nodeEnv?.trim().toLowerCase() === 'production';
    // The store reads the keys at every append and verify (lazily: the check runs at bootstrap).
    store?.useAuditKeys?.(this);
  }

  /** After every module's init, so a secret:// reference is resolved before the check. */
  onApplicationBootstrap(): void {
    this.load();
  }

  /** The key new entries are linked with. */
  get current(): AuditKey {
    return this.load().current;
  }

  /** Every key an entry may have been linked with (current first), by id. */
  get all(): readonly AuditKey[] {
    const k = this.load();
    return [k.current, ...k.previous];
  }

  /** True when the built-in development key is in use (the chain is then not evidence). */
  get isDevelopmentKey(): boolean {
    return this.load().development;
  }

  private load(): NonNullable<GovernanceAuditKeys['keys']> {
    if (this.keys) return this.keys;
    const audit = this.config.get('governance').audit;
    const configured = audit.key?.trim() ? audit.key : null;
    if (!configured && this.production)
      throw new AgentError(
        'GOVERNANCE_AUDIT_KEY_MISSING',
        'governance.audit.key is not set while NODE_ENV=production: set it (MIRA_GOVERNANCE__AUDIT__KEY, ' +
          'or a secret:// reference, 32+ random characters) so the audit trail is keyed outside the database',
      );
    if (configured && this.production) this.checkProductionKey(configured);
    if (!configured)
      this.logger.warn(
        'governance.audit.key is not set: the audit trail uses the built-in development key, which proves nothing; set governance.audit.key before relying on it',
      );
    this.keys = {
      current: { id: audit.key_id, key: configured ?? DEVELOPMENT_AUDIT_KEY },
      previous: audit.previous_keys.map((k) => ({ id: k.id, key: k.key })),
      development: !configured,
    };
    return this.keys;
  }

  /**
   * Production refuses a short key and the public development key (both prove nothing). A demo key
   * (deploy/compose.yaml's documented local-trial value) is accepted with a loud warning.
   */
  private checkProductionKey(key: string): void {
    if (key === DEVELOPMENT_AUDIT_KEY)
      throw new AgentError(
        'GOVERNANCE_AUDIT_KEY_WEAK',
        'governance.audit.key is the built-in development key while NODE_ENV=production: set your own ' +
          '32+ random characters (MIRA_GOVERNANCE__AUDIT__KEY or a secret:// reference)',
      );
    if (key.length < MIN_PRODUCTION_KEY_LENGTH)
      throw new AgentError(
        'GOVERNANCE_AUDIT_KEY_WEAK',
        `governance.audit.key is shorter than ${MIN_PRODUCTION_KEY_LENGTH} characters while NODE_ENV=production: ` +
          'set 32+ random characters (MIRA_GOVERNANCE__AUDIT__KEY or a secret:// reference)',
      );
    if (/not-for-production|demo/i.test(key))
      this.logger.warn(
        'governance.audit.key is a published demo key (it contains "demo" or "not-for-production"): ' +
          'anyone can forge this audit trail; set your own governance.audit.key (MIRA_AUDIT_KEY in compose) before relying on it',
      );
  }
}
