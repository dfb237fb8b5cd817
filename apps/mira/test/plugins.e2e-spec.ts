import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { fatalLine, repoRoot, runNode } from './support/child';
import {
  builtEntry,
  get,
  send,
  tempDir,
  useBuiltServices,
  type ServiceProcess,
} from './support/service-process';

// The example plugin loaded by the BUILT service (dist/) the way a user adds one: a copied
// directory without node_modules named by path, or a package installed into node_modules named
// by package name, both through MIRA_MODULES. Real child processes, HTTP and signals.

const example = join(repoRoot, 'examples/mira-plugin-standup');
const standup = {
  type: 'standup_summary',
  data: {
    team: 'Platform',
    updates: [
      { person: 'Ada', today: 'Ship', blockers: ['CI credentials'] },
      { person: 'Linus', yesterday: 'Review', blockers: ['Design sign-off', 'Test rig'] },
    ],
  },
};

/** Everything a user sees of the plugin once it is loaded: listed, routed, in /healthz and in the API document. */
async function expectPluginServed(s: ServiceProcess): Promise<void> {
  const agents = await get(`${s.url}/api/v1/agents`);
  expect(agents.body.agents).toContainEqual(
    expect.objectContaining({ id: 'standup_agent', message_types: ['standup_summary'], enabled: true }),
  );

  const routed = await send(`${s.url}/api/v1/messages`, { body: standup });
  expect(routed.status).toBe(200);
  expect(routed.body).toMatchObject({
    agent_id: 'standup_agent',
    status: 'success',
    error: null,
    data: {
      team: 'Platform',
      people: 2,
      summary: 'Platform: 2 updates, 3 blockers',
      blockers_omitted: 0,
      summarized_by: 'standup_agent',
    },
  });
  // Its zod input schema (the service's own zod) validates: a wrong type is the agent's 422.
  const invalid = await send(`${s.url}/api/v1/messages`, {
    body: { type: 'standup_summary', data: { updates: [{ person: 42 }] } },
  });
  expect(invalid.status).toBe(422);
  expect(invalid.body.error).toMatch(/^Invalid data for standup_summary: updates\.0\.person/);

  const health = await get(`${s.url}/healthz`);
  expect(health.status).toBe(200);
  expect(health.body.checks.standup).toMatchObject({ status: 'healthy', summaries: 1 });

  const doc = await get(`${s.url}/docs/json`);
  const body = doc.body.paths['/api/v1/messages'].post.requestBody.content['application/json'].schema;
  expect(Object.keys(body.discriminator.mapping)).toContain('standup_summary');
  const schemaName = body.discriminator.mapping.standup_summary.split('/').pop();
  expect(doc.body.components.schemas[schemaName].properties.data.properties.updates).toBeDefined();
}

describe('plugins by configuration (MIRA_MODULES, built service)', () => {
  const start = useBuiltServices(240000);

  it('loads a plugin file from a directory with no node_modules: routed, listed, in /healthz and /docs, its hook runs on SIGTERM', async () => {
    const dir = join(tempDir(), 'standup');
    cpSync(example, dir, { recursive: true });
    const s = await start({ env: { MIRA_MODULES: join(dir, 'index.js') } });
    expect(s.logs().map((l) => l.msg)).toContain(
      `Loaded plugin ${join(dir, 'index.js')} (${join(dir, 'index.js')}): StandupModule`,
    );
    await expectPluginServed(s);

    const { exit } = s.signal('SIGTERM');
    expect((await exit).code).toBe(0);
    const msgs = s.logs().map((l) => l.msg);
    expect(msgs).toContain('Standup plugin stopped (SIGTERM) after 1 summaries');
    expect(msgs.some((m) => /^Shutdown hook "standup" \(priority 25\) completed/.test(m))).toBe(true);
  }, 60000);

  it("loads a plugin by package name (config file `modules:`) from the working directory's node_modules, with the service's own Nest, zod and @mira libs", async () => {
    // As `npm install ./mira-plugin-standup` would leave it, plus copies of the shared packages
    // inside the plugin that throw when loaded: the service's copies must be the ones used.
    const cwd = tempDir();
    const pkg = join(cwd, 'node_modules/mira-plugin-standup');
    cpSync(example, pkg, { recursive: true });
    for (const name of ['@nestjs/common', '@mira/agents', 'zod']) {
      const decoy = join(pkg, 'node_modules', name);
      mkdirSync(decoy, { recursive: true });
      writeFileSync(
        join(decoy, 'package.json'),
        JSON.stringify({ name, version: '0.0.0', main: 'index.js' }),
      );
      writeFileSync(join(decoy, 'index.js'), `throw new Error('second copy of ${name} loaded');\n`);
    }
    // Listed in the config file this time (`modules:`), not in MIRA_MODULES.
    const s = await start({ cwd, config: { modules: ['mira-plugin-standup'] } });
    expect(s.logs().map((l) => l.msg)).toContain(
      `Loaded plugin mira-plugin-standup (${join(pkg, 'index.js')}): StandupModule`,
    );
    await expectPluginServed(s);
  }, 60000);

  it('loads a plugin by package name from NODE_PATH, as Dockerfile.example installs it', async () => {
    const plugins = join(tempDir(), 'plugins/node_modules');
    cpSync(example, join(plugins, 'mira-plugin-standup'), { recursive: true });
    const s = await start({
      cwd: tempDir(),
      env: { NODE_PATH: plugins, MIRA_MODULES: 'mira-plugin-standup' },
    });
    const routed = await send(`${s.url}/api/v1/messages`, { body: standup });
    expect(routed.body).toMatchObject({ agent_id: 'standup_agent', status: 'success' });
  }, 60000);

  describe("the plugin's own config section (standup.max_blockers)", () => {
    /** Three blockers in all: how many are listed shows the max_blockers in force. */
    const listed = async (s: ServiceProcess) => {
      const r = await send(`${s.url}/api/v1/messages`, { body: standup });
      expect(r.body).toMatchObject({ agent_id: 'standup_agent', status: 'success' });
      const result = r.body.data as { blockers: unknown[]; blockers_omitted: number };
      return [result.blockers.length, result.blockers_omitted];
    };

    it('is validated at start with the rest of the config and applied', async () => {
      const dir = join(tempDir(), 'standup');
      cpSync(example, dir, { recursive: true });
      const s = await start({
        config: { standup: { max_blockers: 1 } },
        env: { MIRA_MODULES: join(dir, 'index.js') },
      });
      expect(await listed(s)).toEqual([1, 2]);
    }, 60000);

    it.each([
      ['a value out of range in the file', { standup: { max_blockers: -1 } }, {}, /standup\.max_blockers/],
      [
        'a value that is not a number in the environment',
        {},
        { MIRA_STANDUP_MAX_BLOCKERS: 'many' },
        /standup\.max_blockers/,
      ],
      ['an unknown key in the section', { standup: { max_blocker: 3 } }, {}, /standup\.max_blocker\b/],
    ])(
      'stops the start with one line naming the key: %s',
      async (_what, config, env, names) => {
        const dir = tempDir();
        cpSync(example, join(dir, 'standup'), { recursive: true });
        const file = join(dir, 'mira.yaml');
        writeFileSync(file, stringify({ ...config, state: { sqlite: { path: join(dir, 'mira.db') } } }));
        const child = runNode(
          [builtEntry()],
          { MIRA_CONFIG_FILE: file, PORT: '0', MIRA_MODULES: join(dir, 'standup/index.js'), ...env },
          dir,
        );
        expect(await fatalLine(child)).toMatch(names);
        expect(child.stdout()).not.toMatch(/Listening on/);
      },
      30000,
    );

    it('reloads live when the file changes, as its reload rule says, without a restart', async () => {
      const dir = join(tempDir(), 'standup');
      cpSync(example, dir, { recursive: true });
      const s = await start({
        config: { config: { hot_reload: true, debounce_ms: 20 }, standup: { max_blockers: 1 } },
        env: { MIRA_MODULES: join(dir, 'index.js') },
      });
      expect(await listed(s)).toEqual([1, 2]);

      const yaml = parse(readFileSync(s.configFile, 'utf8')) as Record<string, any>;
      writeFileSync(s.configFile, stringify({ ...yaml, standup: { max_blockers: 3 } }));
      await s.waitForLog(/^Configuration reloaded from .*; applied live: standup\.max_blockers$/);
      expect(await listed(s)).toEqual([3, 0]);

      // A bad value is refused by the reload: the last good value stays in force.
      writeFileSync(s.configFile, stringify({ ...yaml, standup: { max_blockers: 'lots' } }));
      await s.waitForLog(
        /^Configuration reload failed; keeping the last good configuration\..*standup\.max_blockers/,
      );
      expect(await listed(s)).toEqual([3, 0]);
    }, 60000);
  });

  describe('a plugin that cannot be imported stops the start with one line naming it', () => {
    const cases: [string, (dir: string) => string, RegExp][] = [
      [
        'a missing file',
        (dir) => join(dir, 'missing.js'),
        /^mira: fatal: plugin \S+missing\.js: no file \S+missing\.js; give the path/,
      ],
      [
        'a package that is not installed',
        () => 'mira-plugin-nowhere',
        /^mira: fatal: plugin mira-plugin-nowhere: no package of that name is installed/,
      ],
      [
        'a file that throws',
        (dir) => (writeFileSync(join(dir, 'throws.js'), "throw new Error('boom at load');\n"), './throws.js'),
        /^mira: fatal: plugin \.\/throws\.js \(\S+throws\.js\) failed to load: boom at load; fix the plugin/,
      ],
      [
        'a file exporting no Nest module',
        (dir) => (
          writeFileSync(join(dir, 'plain.js'), 'module.exports = { helper() {}, Thing: class Thing {} };\n'),
          './plain.js'
        ),
        /^mira: fatal: plugin \.\/plain\.js exports no Nest module; export a class decorated with @Module/,
      ],
    ];
    it.each(cases)(
      '%s',
      async (_what, make, expected) => {
        const dir = tempDir();
        const child = runNode([builtEntry()], { MIRA_MODULES: make(dir) }, dir);
        expect(await fatalLine(child)).toMatch(expected);
        expect(child.stdout()).not.toMatch(/Listening on/);
      },
      30000,
    );
  });

  it("a plugin provider that throws while Nest builds it stops the start with the fatal line and the plugin's frames, not Nest's log buffer", async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'exploding.js'),
      [
        "const { Injectable, Module } = require('@nestjs/common');",
        'class Exploding {',
        '  constructor() {',
        "    throw new TypeError('exploding provider: no budget table');",
        '  }',
        '}',
        'Injectable()(Exploding);',
        'class ExplodingModule {}',
        'Module({ providers: [Exploding] })(ExplodingModule);',
        'module.exports = ExplodingModule;',
        '',
      ].join('\n'),
    );
    const child = runNode([builtEntry()], { MIRA_MODULES: './exploding.js', PORT: '0' }, dir);
    expect((await child.exited).code).toBe(1);
    const lines = child.stderr().trimEnd().split('\n');
    expect(lines[0]).toBe('mira: fatal: exploding provider: no budget table');
    expect(lines.slice(1).length).toBeGreaterThan(0);
    expect(lines[1]).toMatch(/^\s+at new Exploding \(\S+exploding\.js:4:\d+\)$/);
    for (const l of lines.slice(1)) expect(l).not.toMatch(/node_modules/);
    // Nothing of Nest's own start-up output (buffered "dependencies initialized", ExceptionHandler).
    expect(child.stdout() + child.stderr()).not.toMatch(/\[Nest\]|InstanceLoader|ExceptionHandler/);
  }, 30000);
});
