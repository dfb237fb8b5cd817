// Jest setupFiles: registers the service's config sections (apps/mira/src/mira.config.ts) in every
// test file, as the running service has them once its modules are loaded, so a spec that calls
// loadConfig() or miraConfigSchema without booting the app sees the same composed configuration.
require('../../src/mira.config.ts');
