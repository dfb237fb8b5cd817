import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
  Optional,
} from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { StateBackendProvider, StateMigrations } from './state.decorator';
import { StateError } from './state.error';
import { DEVELOPMENT_KEYRING, type AuditKeyring } from './state.audit-keys';
import type {
  AuditInput,
  AuditQuery,
  NewWorkflowRecord,
  StateBackend,
  StateModuleOptions,
  StateSettings,
  StateStore,
  WorkflowPatch,
  WorkflowQuery,
  WorkflowStatus,
} from './state.interface';
import { STATE_MODULE_OPTIONS } from './state.module-definition';
import { applyModuleMigrations, checkModuleMigrations } from './state.module-migrations';
import type { OwnedMigrations, StateMigrationSource, StateSql } from './state.sql';

/**
 * The STATE_STORE everyone injects: at module init it picks the backend named by `state.backend`
 * among the @StateBackendProvider providers, opens it (connect + migrations) and delegates to it.
 * An unknown backend or a store that cannot open fails the start.
 */
@Injectable()
export class StateService implements StateStore, OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('StateStore');
  private readonly backends = new Map<string, StateBackend>();
  private store: StateStore | null = null;
  private closing: Promise<void> | null = null;
  private keys: AuditKeyring = DEVELOPMENT_KEYRING;

  constructor(
    @Inject(STATE_MODULE_OPTIONS) private readonly options: StateModuleOptions,
    @Optional() private readonly discovery?: DiscoveryService,
  ) {}

  /** The configured backend name (before and after open). */
  get backend(): string {
    return this.store?.backend ?? this.settings().backend;
  }

  private settings(): StateSettings {
    const s = this.options.settings;
    return typeof s === 'function' ? s() : s;
  }

  /** Adds a backend by hand (code outside Nest, tests); discovered providers are added at init. */
  registerBackend(name: string, backend: StateBackend): void {
    this.backends.set(name, backend);
  }

  async onModuleInit(): Promise<void> {
    for (const wrapper of this.discovery?.getProviders({ metadataKey: StateBackendProvider.KEY }) ?? []) {
      const name = this.discovery!.getMetadataByDecorator(StateBackendProvider, wrapper);
      if (name && wrapper.instance && !this.backends.has(name))
        this.backends.set(name, wrapper.instance as StateBackend);
    }
    const settings = this.settings();
    const backend = this.backends.get(settings.backend);
    if (!backend)
      throw new StateError(
        'STATE_UNKNOWN_BACKEND',
        `state.backend is "${settings.backend}" but no such backend is registered (known: ${[...this.backends.keys()].sort().join(', ')}); fix state.backend / MIRA_STATE__BACKEND or import the module that provides it`,
      );
    const modules = this.moduleMigrations();
    const store = await backend.open({ settings, auditKeys: () => this.keys });
    store.useAuditKeys?.(this.keys);
    try {
      if (modules.length > 0) await applyModuleMigrations(this.sqlOf(store, settings.backend), modules);
    } catch (err) {
      await store.close().catch(() => undefined);
      throw err;
    }
    this.store = store;
    this.logger.log(
      `State store ready: ${settings.backend}${settings.backend === 'sqlite' ? ` (${settings.sqlite.path})` : ''}`,
    );
  }

  /** The @StateMigrations providers' migrations, checked before the store opens. */
  private moduleMigrations(): OwnedMigrations[] {
    const owned: OwnedMigrations[] = [];
    for (const wrapper of this.discovery?.getProviders({ metadataKey: StateMigrations.KEY }) ?? []) {
      const owner = this.discovery!.getMetadataByDecorator(StateMigrations, wrapper);
      const source = wrapper.instance as Partial<StateMigrationSource> | undefined;
      if (!owner || !source) continue;
      if (typeof source.migrations !== 'function')
        throw new StateError(
          'STATE_MIGRATION_FAILED',
          `${wrapper.name} is marked @StateMigrations('${owner}') but has no migrations() method; add one returning its ModuleMigration[]`,
        );
      owned.push({ owner, migrations: source.migrations() });
    }
    owned.sort((a, b) => a.owner.localeCompare(b.owner));
    checkModuleMigrations(owned);
    return owned;
  }

  private sqlOf(store: StateStore, backend: string) {
    if (!store.sqlAccess)
      throw new StateError(
        'STATE_INVALID_CONFIG',
        `state.backend "${backend}" offers no SQL access (StateStore.sqlAccess), so modules with their own tables cannot use it; use state.backend sqlite or postgres`,
      );
    return store.sqlAccess();
  }

  /**
   * Plain SQL on the store, for module-owned tables (created by @StateMigrations). Usable once the app
   * is initialised (onApplicationBootstrap or later).
   */
  sql(): StateSql {
    if (!this.store)
      throw new StateError(
        this.closing ? 'STATE_CLOSED' : 'STATE_UNAVAILABLE',
        this.closing
          ? 'The state store is closed (the service is shutting down)'
          : 'StateService.sql() was called before the state store opened; call it from onApplicationBootstrap or later, not from a constructor or onModuleInit',
        !this.closing,
      );
    return this.sqlOf(this.store, this.store.backend);
  }

  private get active(): StateStore {
    if (!this.store)
      throw new StateError(
        this.closing ? 'STATE_CLOSED' : 'STATE_UNAVAILABLE',
        this.closing
          ? 'The state store is closed (the service is shutting down)'
          : 'The state store is not open yet; use it after module init',
        !this.closing,
      );
    return this.store;
  }

  /** The audit chain's keys (GovernanceAuditKeys registers them); before that, the development key. */
  useAuditKeys(keys: AuditKeyring): void {
    this.keys = keys;
    this.store?.useAuditKeys?.(keys);
  }

  // async: a store not open (or closed) is a rejected promise, never a synchronous throw.
  async createWorkflow(record: NewWorkflowRecord, audit: AuditInput[]) {
    return this.active.createWorkflow(record, audit);
  }
  async getWorkflow(id: string) {
    return this.active.getWorkflow(id);
  }
  async listWorkflows(query: WorkflowQuery) {
    return this.active.listWorkflows(query);
  }
  async updateWorkflow(id: string, expectedVersion: number, patch: WorkflowPatch, audit: AuditInput[]) {
    return this.active.updateWorkflow(id, expectedVersion, patch, audit);
  }
  async findExpired(statuses: WorkflowStatus[], now: string, limit: number) {
    return this.active.findExpired(statuses, now, limit);
  }
  async oldestIn(statuses: WorkflowStatus[], limit: number) {
    return this.active.oldestIn(statuses, limit);
  }
  async findUnleased(statuses: WorkflowStatus[], now: string, limit: number) {
    return this.active.findUnleased(statuses, now, limit);
  }
  async countByStatus() {
    return this.active.countByStatus();
  }
  async listAudit(query: AuditQuery) {
    return this.active.listAudit(query);
  }
  async auditHead() {
    return this.active.auditHead();
  }
  async verifyAudit() {
    return this.active.verifyAudit();
  }
  async revokeSession(sid: string, expiresAt: string, now: string) {
    return this.active.revokeSession(sid, expiresAt, now);
  }
  async isSessionRevoked(sid: string, now: string) {
    return this.active.isSessionRevoked(sid, now);
  }
  async ping() {
    return this.active.ping();
  }

  /** Idempotent: the shutdown hook closes the store; Nest's own shutdown finds it closed. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const store = this.store;
      this.store = null;
      await store?.close();
    })();
    return this.closing;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }
}
