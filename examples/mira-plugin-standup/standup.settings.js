// The plugin's settings, read per message so a reloaded value applies to the next one.
const { standupConfig } = require('./standup.config');

function standupSettings(config) {
  return config.section(standupConfig);
}

module.exports = { standupSettings };
