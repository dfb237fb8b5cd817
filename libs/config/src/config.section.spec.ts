import { tempFile as tempFileIn, thrownBy } from '../../../apps/mira/test/support/spec-helpers';
import { z } from 'zod';
import { describeConfigKeys, generateConfigReference } from './config.docs';
import { ConfigError } from './config.error';
import { loadConfig, readConfigSection, readModuleList } from './config.loader';
import { ConfigModule } from './config.module';
import { authWeakenings, isLiveReloadable, planReload } from './config.reload-policy';
import { configSections, defineConfigSection, registerConfigSection } from './config.section';
import { ConfigStore } from './config.store';
import { configValue } from './config.values';

const { int, bool } = configValue;

/** A plugin's section, as a module outside libs/config would declare it. */
const greeterConfig = defineConfigSection({
  key: 'greeter',
  schema: z
    .strictObject({
      greeting: z.string().default('hello'),
      times: int(1, 1, 10),
      guard: z.strictObject({ locked: bool(true) }).prefault({}),
      url: z.string().default('http://127.0.0.1'),
    })
    .prefault({}),
  env: { greeting: 'GREETER_TEXT' },
  reload: { greeting: 'GreeterService (read per request)', 'guard.*': 'GreeterGuard' },
  // Unlocking the guard is a weakening: it waits for a restart like api.auth does.
  holdOnReload: (running, desired) =>
    running.guard.locked && !desired.guard.locked
      ? [{ path: 'greeter.guard.locked', change: 'true -> false' }]
      : [],
  owner: 'test-plugin',
});

const tempFile = (name: string, text: string) => tempFileIn(name, text, 'mira-section-');

describe('config sections', () => {
  it('an unregistered section is an unknown key, with the same message as any unknown key', () => {
    const err = thrownBy(ConfigError, () =>
      loadConfig({ file: null, env: {}, overrides: { greeter: { times: 2 } } }),
    );
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.message).toBe(
      'Invalid configuration: greeter: unknown key (allowed keys are listed in docs/configuration.md)',
    );
  });

  it('ConfigModule.forFeature registers the section when called; loadConfig then validates the whole', () => {
    expect(configSections().map((s) => s.key)).not.toContain('greeter');
    const imported = ConfigModule.forFeature(greeterConfig);
    expect(imported.module).toBeDefined();
    expect(configSections().map((s) => s.key)).toContain('greeter');

    const file = tempFile('m.yaml', 'greeter:\n  times: 3\nserver:\n  port: 4100\n');
    const { config } = loadConfig({ file, env: { GREETER_TEXT: 'hi', MIRA_GREETER__URL: 'http://x' } });
    const store = new ConfigStore({ config, file, hash: null });
    // Typed accessor: the section object names the key and the type.
    const greeter = store.section(greeterConfig);
    expect(greeter).toEqual({ greeting: 'hi', times: 3, guard: { locked: true }, url: 'http://x' });
    expect(store.get('server').port).toBe(4100);
    // Core sections keep their defaults and the other registered sections still validate.
    expect(config.config.hot_reload).toBe(false);
  });

  it("a section's keys fail with their path and source; unknown keys inside it stay errors", () => {
    ConfigModule.forFeature(greeterConfig);
    const file = tempFile('bad.yaml', 'greeter:\n  times: 11\n  colour: red\n');
    const err = thrownBy(ConfigError, () => loadConfig({ file, env: {} }));
    expect(err.issues).toEqual([
      expect.stringMatching(new RegExp(`^greeter\\.times: .*<=10.*\\(set by file ${file}\\)$`)),
      `greeter.colour: unknown key (allowed keys are listed in docs/configuration.md) (set by file ${file})`,
    ]);
    const envErr = thrownBy(ConfigError, () =>
      loadConfig({ file: null, env: { MIRA_GREETER__TIMES: 'many' } }),
    );
    expect(envErr.message).toMatch(
      /^Invalid configuration: greeter\.times: .*\(set by env MIRA_GREETER__TIMES\)$/,
    );
  });

  it('reload rules come from the section: live keys apply, others and held weakenings wait for a restart', () => {
    ConfigModule.forFeature(greeterConfig);
    expect(isLiveReloadable('greeter.greeting')).toBe(true);
    expect(isLiveReloadable('greeter.guard.locked')).toBe(true);
    expect(isLiveReloadable('greeter.times')).toBe(false);
    const load = (greeter: Record<string, unknown>) =>
      loadConfig({ file: null, env: {}, overrides: { greeter } }).config;
    const running = load({ greeting: 'a', times: 1 });
    const desired = load({ greeting: 'b', times: 2, guard: { locked: false } });
    expect(authWeakenings(running, desired)).toEqual([
      { path: 'greeter.guard.locked', change: 'true -> false' },
    ]);
    const plan = planReload(running, desired);
    const applied = plan.config as unknown as {
      greeter: { greeting: string; times: number; guard: { locked: boolean } };
    };
    expect(applied.greeter).toEqual({
      greeting: 'b',
      times: 1,
      guard: { locked: true },
      url: 'http://127.0.0.1',
    });
    expect(plan.pendingRestart.sort()).toEqual(['greeter.guard.locked', 'greeter.times']);
  });

  it('the docs list the section with its env names, defaults and reload policy', () => {
    ConfigModule.forFeature(greeterConfig);
    const keys = new Map(describeConfigKeys().map((k) => [k.path, k]));
    expect(keys.get('greeter.greeting')).toMatchObject({
      default: 'hello',
      env: ['GREETER_TEXT', 'MIRA_GREETER__GREETING'],
      live: true,
      appliedBy: 'GreeterService (read per request)',
    });
    expect(keys.get('greeter.times')).toMatchObject({ type: 'integer 1..10', live: false });
    expect(generateConfigReference()).toContain('## `greeter`');
  });

  it('registering again: the same section is a no-op, the same owner replaces, another owner is refused', () => {
    registerConfigSection(greeterConfig);
    registerConfigSection(greeterConfig);
    expect(configSections().filter((s) => s.key === 'greeter')).toHaveLength(1);
    const position = configSections().findIndex((s) => s.key === 'greeter');
    // A module evaluated again (a re-required plugin file) defines a new object with the same owner.
    const again = defineConfigSection({ ...greeterConfig, env: {}, reload: {}, owner: 'test-plugin' });
    registerConfigSection(again);
    expect(configSections()[position]).toBe(again);
    const other = defineConfigSection({
      key: 'greeter',
      schema: z.strictObject({}).prefault({}),
      owner: 'other',
    });
    const err = thrownBy(ConfigError, () => registerConfigSection(other));
    expect(err.code).toBe('CONFIG_SECTION_CONFLICT');
    expect(err.message).toBe(
      'Config section "greeter" is defined by both test-plugin and other; rename one of them',
    );
    registerConfigSection(greeterConfig);
  });

  it("refuses a section that names another section's environment variable", () => {
    const thief = defineConfigSection({
      key: 'thief',
      schema: z.strictObject({ level: z.string().default('x') }).prefault({}),
      env: { level: 'MIRA_LOG_LEVEL' },
      owner: 'test-thief',
    });
    const err = thrownBy(ConfigError, () => registerConfigSection(thief));
    expect(err.code).toBe('CONFIG_SECTION_CONFLICT');
    expect(err.message).toBe(
      'Config section "thief" names the environment variable MIRA_LOG_LEVEL for thief.level, but libs/logging already uses it for logging.level; choose another variable name',
    );
    expect(configSections().some((s) => s.key === 'thief')).toBe(false);
  });

  it('refuses definitions that would weaken validation: loose objects, no default, a bad key', () => {
    expect(
      thrownBy(ConfigError, () =>
        defineConfigSection({ key: 'loose', schema: z.looseObject({}).prefault({}) }),
      ).message,
    ).toBe('Config section "loose": use z.strictObject(...) so an unknown key stays an error');
    expect(
      thrownBy(ConfigError, () => defineConfigSection({ key: 'nodefault', schema: z.strictObject({}) }))
        .message,
    ).toBe('Config section "nodefault": an absent section must validate: add .prefault({}) or .default(...)');
    expect(
      thrownBy(ConfigError, () =>
        defineConfigSection({ key: 'Bad-Key', schema: z.strictObject({}).prefault({}) }),
      ).code,
    ).toBe('CONFIG_SECTION_INVALID');
  });

  it('readConfigSection validates one section alone, even unregistered, from the same layers', () => {
    const solo = defineConfigSection({
      key: 'solo',
      schema: z.strictObject({ level: int(1, 0, 5) }).prefault({}),
    });
    const file = tempFile('s.yaml', 'solo:\n  level: 2\nsomething_else: {}\n');
    expect(readConfigSection(solo, { file, env: {} })).toEqual({ level: 2 });
    expect(readConfigSection(solo, { file, env: { MIRA_SOLO__LEVEL: '4' } })).toEqual({ level: 4 });
    const err = thrownBy(ConfigError, () =>
      readConfigSection(solo, { file, env: { MIRA_SOLO__LEVEL: '9' } }),
    );
    expect(err.message).toMatch(/^Invalid configuration: solo\.level: .*\(set by env MIRA_SOLO__LEVEL\)$/);
  });
});

describe('modules and readModuleList', () => {
  it('reads the list from the file and MIRA_MODULES (comma-separated, the environment wins) without validating the rest', () => {
    // The rest of this file names sections no loaded module has registered yet: not judged here.
    const file = tempFile(
      'p.yaml',
      'modules:\n  - ./plugins/a.js\n  - "@acme/mira-b"\nacme_plugin:\n  x: 1\n',
    );
    expect(readModuleList({ file, env: {} })).toEqual(['./plugins/a.js', '@acme/mira-b']);
    expect(readModuleList({ file, env: { MIRA_MODULES: ' one.js, @acme/two ,' } })).toEqual([
      'one.js',
      '@acme/two',
    ]);
    expect(readModuleList({ file: null, env: {} })).toEqual([]);
    const err = thrownBy(ConfigError, () =>
      readModuleList({ file: tempFile('q.yaml', 'modules: 3\n'), env: {} }),
    );
    expect(err.path).toBe('modules');
  });

  it('is a core key: default [], MIRA_MODULES, held for a restart', () => {
    const { config } = loadConfig({ file: null, env: { MIRA_MODULES: 'a.js,b.js' } });
    expect(config.modules).toEqual(['a.js', 'b.js']);
    expect(loadConfig({ file: null, env: {} }).config.modules).toEqual([]);
    expect(isLiveReloadable('modules')).toBe(false);
    const plan = planReload(config, loadConfig({ file: null, env: { MIRA_MODULES: 'c.js' } }).config);
    expect(plan.config.modules).toEqual(['a.js', 'b.js']);
    expect(plan.pendingRestart).toEqual(['modules']);
  });
});
