// The plugin's own config section (`standup:` in mira.yaml, MIRA_STANDUP__<KEY> from the
// environment). ConfigModule.forFeature(standupConfig) in index.js registers it when the plugin
// is loaded, so the service validates it at start with everything else: a bad value or an
// unknown key is a fatal error naming it.
const { z } = require('zod');
const { configValue, defineConfigSection } = require('@mira/config');

const standupConfig = defineConfigSection({
  key: 'standup',
  owner: 'mira-plugin-standup',
  schema: z
    .strictObject({
      // Blockers listed per summary; the rest are counted in blockers_omitted.
      max_blockers: configValue.int(10, 0, 100),
    })
    .prefault({}),
  env: { max_blockers: 'MIRA_STANDUP_MAX_BLOCKERS' },
  // Read per message by StandupAgent, so a reloaded value applies to the next summary.
  reload: { max_blockers: 'StandupAgent (read per message)' },
});

module.exports = { standupConfig };
