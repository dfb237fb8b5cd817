// Mira plugin entry: exports one Nest module (module.exports = the class). Mira imports it when
// `modules:` / MIRA_MODULES names this file or this package. `@mira/*`, `@nestjs/*` and `zod`
// are the running service's own copies, so this directory needs no node_modules.
const { Module } = require('@nestjs/common');
const { ConfigModule } = require('@mira/config');
const { standupConfig } = require('./standup.config');
const { StandupAgent } = require('./standup.agent');
const { StandupHealthIndicator } = require('./standup.health');
const { StandupShutdownHook } = require('./standup.shutdown');
const { StandupStats } = require('./standup.stats');

class StandupModule {}
Module({
  // Registers the `standup` section now, while this file loads: before the service validates its config.
  imports: [ConfigModule.forFeature(standupConfig)],
  providers: [StandupStats, StandupAgent, StandupHealthIndicator, StandupShutdownHook],
})(StandupModule);

module.exports = StandupModule;
