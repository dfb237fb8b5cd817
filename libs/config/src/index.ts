// Sections first: libs that import this barrel while it loads (a cycle through a lib's module) find them defined.
export {
  defineConfigSection,
  registerConfigSection,
  configSections,
  composedConfigSchema,
  type ConfigCheckContext,
  type ConfigSection,
  type ConfigSectionOptions,
  type ConfigSectionValue,
  type ConfigSectionsOutput,
  type ConfigSectionsInput,
  type HeldChange,
} from './config.section';
export { configValue } from './config.values';
export { ConfigModule } from './config.module';
export { CONFIG_MODULE_OPTIONS, type ConfigModuleDefinitionOptions } from './config.module-definition';
export { ConfigStore } from './config.store';
export { ConfigError, type ConfigErrorCode } from './config.error';
export {
  loadConfig,
  readConfigFile,
  parseConfigText,
  validateConfig,
  resolveConfigFile,
  readConfigSection,
  readModuleList,
  readOnce,
  checkCrossField,
  unreadableFileError,
  DEFAULT_CONFIG_FILE,
  type LoadedConfig,
  type ConfigFileRead,
} from './config.loader';
export {
  readEnvLayer,
  envNameForPath,
  NAMED_ENV_VARS,
  FALLBACK_ENV_VARS,
  OTHER_ENV_VARS,
} from './config.env';
export { deepMerge, diffPaths, getPath, deepFreeze } from './config.merge';
export {
  checkConfig,
  explainConfig,
  keyLine,
  maskSecrets,
  type ConfigCheck,
  type ConfigProblem,
  type ExplainedConfig,
} from './config.explain';
export {
  isSecretLookingKey,
  isCredentialValue,
  maskCredentialParams,
  maskCredentialUrl,
  maskCredentialUrls,
} from './config.redact';
export {
  miraConfigSchema,
  serverConfig,
  configConfig,
  modulesConfig,
  integrationsConfig,
  type MiraConfig,
  type MiraConfigInput,
} from './config.schema';
export type {
  ConfigChange,
  ConfigChangeEvent,
  ConfigChangeListener,
  ConfigModuleOptions,
  ConfigStatus,
  ConfigValueResolver,
} from './config.interface';
export { ConfigReloadService, type ReloadResult, type ConfigWatchMode } from './config.reload.service';
export {
  LIVE_RELOAD_RULES,
  authWeakenings,
  isLiveReloadable,
  liveReloadRule,
  planReload,
  type LiveReloadRule,
  type ReloadPlan,
} from './config.reload-policy';
export { ConfigFileSystem } from './config.file-system';
export { ConfigWatcherFactory } from './config-watcher.factory';
export type { ConfigWatcher, ConfigWatcherHandlers, ConfigWatchTarget } from './config-watcher.interface';
