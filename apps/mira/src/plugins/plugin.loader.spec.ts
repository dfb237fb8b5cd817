import 'reflect-metadata';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Module } from '@nestjs/common';
import { thrownBy } from '../../test/support/spec-helpers';
import { PluginError } from './plugin.error';
import { PluginLoader, isNestModule, pickModule } from './plugin.loader';
import { PluginResolution, packageName, pluginRoot } from './plugin.resolution';

/** Records plugin roots without installing the process-wide resolve hook into the test runner. */
class RecordingResolution extends PluginResolution {
  readonly added: string[] = [];
  override addPluginRoot(root: string): void {
    this.added.push(root);
  }
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'mira-plugin-spec-'));
}

function write(file: string, text: string): string {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, text);
  return file;
}

const moduleSource = (name: string) =>
  `class ${name} {}\nReflect.defineMetadata('providers', [], ${name});\n`;

describe('PluginLoader', () => {
  it('finds files by absolute path, ./ and ../ paths and existing relative .js paths, from the working directory', () => {
    const cwd = tempDir();
    const file = write(join(cwd, 'plugins/a/index.js'), moduleSource('A'));
    const loader = new PluginLoader({ cwd, resolution: new RecordingResolution() });
    expect(loader.locate(file)).toBe(file);
    expect(loader.locate('./plugins/a/index.js')).toBe(file);
    expect(loader.locate('plugins/a/index.js')).toBe(file);
    expect(new PluginLoader({ cwd: join(cwd, 'plugins/a') }).locate('../a/index.js')).toBe(file);
  });

  it('finds a package installed in node_modules of the working directory', () => {
    const cwd = tempDir();
    write(join(cwd, 'node_modules/mira-plugin-x/package.json'), '{"name":"mira-plugin-x","main":"main.js"}');
    const main = write(join(cwd, 'node_modules/mira-plugin-x/main.js'), moduleSource('X'));
    expect(new PluginLoader({ cwd }).locate('mira-plugin-x')).toBe(main);
  });

  it('refuses a missing file or package with PLUGIN_NOT_FOUND naming it and where it looked', () => {
    const cwd = tempDir();
    const loader = new PluginLoader({ cwd });
    const file = thrownBy(PluginError, () => loader.locate('./nope.js'));
    expect([file.code, file.plugin]).toEqual(['PLUGIN_NOT_FOUND', './nope.js']);
    expect(file.message).toBe(
      `plugin ./nope.js: no file ${join(cwd, 'nope.js')}; give the path of the compiled JavaScript file (absolute, or relative to ${cwd})`,
    );
    const pkg = thrownBy(PluginError, () => loader.locate('mira-plugin-absent'));
    expect(pkg.code).toBe('PLUGIN_NOT_FOUND');
    expect(pkg.message).toContain(
      `plugin mira-plugin-absent: no package of that name is installed (looked in ${cwd}`,
    );
    expect(thrownBy(PluginError, () => loader.locate(cwd)).message).toContain(`no file ${cwd}`);
  });

  it('loads a file, registering its package root as plugin code first', () => {
    const cwd = tempDir();
    write(join(cwd, 'pkg/package.json'), '{"name":"p"}');
    const file = write(join(cwd, 'pkg/dist/index.js'), `${moduleSource('P')}module.exports = P;\n`);
    const resolution = new RecordingResolution();
    const loaded = new PluginLoader({ cwd, resolution }).loadOne('./pkg/dist/index.js');
    expect(loaded).toMatchObject({ spec: './pkg/dist/index.js', file });
    expect((loaded.module as { name: string }).name).toBe('P');
    expect(resolution.added).toEqual([join(cwd, 'pkg')]);
  });

  it('reports a plugin that throws while loading with PLUGIN_LOAD_FAILED and the first line of its error', () => {
    const cwd = tempDir();
    write(join(cwd, 'bad.js'), "throw new Error('no token configured\\n  at somewhere');\n");
    const err = thrownBy(PluginError, () =>
      new PluginLoader({ cwd, resolution: new RecordingResolution() }).loadOne('./bad.js'),
    );
    expect(err.code).toBe('PLUGIN_LOAD_FAILED');
    expect(err.message).toBe(
      `plugin ./bad.js (${join(cwd, 'bad.js')}) failed to load: no token configured; fix the plugin or remove it from modules / MIRA_MODULES`,
    );
  });
});

describe('pickModule', () => {
  @Module({ providers: [] })
  class First {}
  @Module({ imports: [] })
  class Second {}
  class Plain {}

  it('takes module.exports, the default export, or the one exported module', () => {
    expect(pickModule('p', First)).toBe(First);
    expect(pickModule('p', { default: First, Second })).toBe(First);
    expect(pickModule('p', { helper: () => 1, Plain, Second })).toBe(Second);
    const dynamic = { module: Plain, providers: [] };
    expect(pickModule('p', dynamic)).toBe(dynamic);
  });

  it('refuses several modules without a default, and exports without a module', () => {
    expect(thrownBy(PluginError, () => pickModule('p', { First, Second })).message).toBe(
      'plugin p exports several Nest modules (First, Second); export the one to import as default',
    );
    for (const exported of [{ Plain }, Plain, undefined, 'text']) {
      const err = thrownBy(PluginError, () => pickModule('p', exported));
      expect([err.code, err.message]).toEqual([
        'PLUGIN_NOT_A_MODULE',
        'plugin p exports no Nest module; export a class decorated with @Module({ ... }) (module.exports = MyModule, or as default)',
      ]);
    }
    expect(isNestModule(Plain)).toBe(false);
  });
});

describe('PluginResolution', () => {
  const service = join(__dirname, '../../../..');
  const pluginDir = tempDir();
  const resolution = new RecordingResolution();
  // The roots as the hook checks them, without installing the hook.
  (resolution as unknown as { roots: Set<string> }).roots.add(pluginDir);
  const from = (file: string) => ({
    conditions: ['require', 'node'],
    importAttributes: {},
    parentURL: pathToFileURL(file).href,
  });
  const next = jest.fn((specifier: string) => ({ url: `next:${specifier}` }));

  beforeEach(() => next.mockClear());

  it("sends @mira/<lib> to the service's own lib from anywhere", () => {
    expect(resolution.libNames).toEqual(
      expect.arrayContaining(['@mira/agents', '@mira/config', '@mira/health']),
    );
    expect(resolution.resolve('@mira/agents', from('/elsewhere/x.js'), next)).toEqual({
      url: pathToFileURL(join(service, 'libs/agents/src/index.ts')).href,
      shortCircuit: true,
    });
    expect(resolution.resolve('@mira/nothing', from(join(pluginDir, 'index.js')), next)).toEqual({
      url: 'next:@mira/nothing',
    });
  });

  it("sends the service's dependencies, asked for by plugin code, to the service's copy", () => {
    const own = resolution.resolve('yaml', from(join(pluginDir, 'lib/index.js')), next);
    expect(own).toEqual({ url: pathToFileURL(require.resolve('yaml')).href, shortCircuit: true });
    expect(next).not.toHaveBeenCalled();
  });

  it("leaves the plugin's own dependencies, their requires and the service's code alone", () => {
    expect(resolution.resolve('left-pad', from(join(pluginDir, 'index.js')), next)).toEqual({
      url: 'next:left-pad',
    });
    expect(resolution.resolve('yaml', from(join(pluginDir, 'node_modules/dep/index.js')), next)).toEqual({
      url: 'next:yaml',
    });
    expect(resolution.resolve('yaml', from(join(service, 'libs/config/src/config.loader.ts')), next)).toEqual(
      {
        url: 'next:yaml',
      },
    );
    expect(resolution.resolve('./local', from(join(pluginDir, 'index.js')), next)).toEqual({
      url: 'next:./local',
    });
  });

  it("sends Nest and the other framework singletons to the service's copy even from a plugin's dependency", () => {
    // A Nest library installed with the plugin: npm puts a peer @nestjs/common next to it.
    for (const parent of [
      join(pluginDir, 'node_modules/nest-lib/index.js'),
      join(tempDir(), 'plugins/node_modules/nest-lib/index.js'),
    ]) {
      expect(resolution.resolve('@nestjs/common', from(parent), next)).toEqual({
        url: pathToFileURL(require.resolve('@nestjs/common')).href,
        shortCircuit: true,
      });
      expect(resolution.resolve('reflect-metadata', from(parent), next)).toEqual({
        url: pathToFileURL(require.resolve('reflect-metadata')).href,
        shortCircuit: true,
      });
      // Other packages stay the dependency's own choice.
      expect(resolution.resolve('yaml', from(parent), next)).toEqual({ url: 'next:yaml' });
    }
    // The service's own packages resolve as usual.
    const nestCore = join(service, 'node_modules/@nestjs/core/index.js');
    expect(resolution.resolve('@nestjs/common', from(nestCore), next)).toEqual({
      url: 'next:@nestjs/common',
    });
  });

  it('names packages and plugin roots', () => {
    expect(['@nestjs/common/x', 'zod/v4', 'zod', './a', '/a', 'node:fs', '@scope'].map(packageName)).toEqual([
      '@nestjs/common',
      'zod',
      'zod',
      null,
      null,
      null,
      null,
    ]);
    const bare = join(tempDir(), 'dir/file.js');
    write(bare, '');
    expect(pluginRoot(bare)).toBe(join(bare, '..'));
  });
});
