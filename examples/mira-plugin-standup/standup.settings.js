// The plugin's settings, read per message so a reloaded value applies to the next one. They
// come from the `standup` config section when the running service has one; these defaults apply
// otherwise (and fill any key the section leaves out).
const DEFAULT_SETTINGS = Object.freeze({ max_blockers: 10 });

function standupSettings(config) {
  const section = typeof config.get === 'function' ? config.get('standup') : undefined;
  return { ...DEFAULT_SETTINGS, ...(section ?? {}) };
}

module.exports = { DEFAULT_SETTINGS, standupSettings };
