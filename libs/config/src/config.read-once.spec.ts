import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './config.error';
import { loadConfig, readConfigSection, readModuleList, readOnce } from './config.loader';
import { modulesConfig } from './config.schema';

describe('readOnce(): the config file read and parsed once per start', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mira-cfg-once-'));
    file = join(dir, 'mira.yaml');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the file once for the section reads and the full load that share it', () => {
    writeFileSync(file, 'server:\n  port: 4100\nmodules: [some-plugin]\n');
    const reads: string[] = [];
    const read = readOnce((f) => (reads.push(f), readFileSync(f)));
    expect(readModuleList({ file, env: {} }, read)).toEqual(['some-plugin']);
    // The file changes after the first read: this start keeps what it read.
    writeFileSync(file, 'server:\n  port: 4200\nmodules: []\n');
    expect(readConfigSection(modulesConfig, { file, env: {} }, read)).toEqual(['some-plugin']);
    const loaded = loadConfig({ file, env: { MIRA_SERVER__HOST: '127.0.0.1' } }, read);
    expect(loaded.config.server.port).toBe(4100);
    expect(loaded.config.server.host).toBe('127.0.0.1'); // the environment is read on every call
    expect(reads).toEqual([file]);
    // Any other reader (a reload) reads the file as it is now.
    expect(loadConfig({ file, env: {} }).config.server.port).toBe(4200);
  });

  it('keeps no failure: an unparsable file fails every read with the same message', () => {
    writeFileSync(file, 'server: [unclosed\n');
    const read = readOnce();
    const message = (fn: () => unknown): string => {
      try {
        fn();
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as ConfigError).message;
      }
      throw new Error('expected a ConfigError');
    };
    const first = message(() => readModuleList({ file, env: {} }, read));
    expect(first).toContain(`Config file ${file} is not valid YAML`);
    expect(message(() => loadConfig({ file, env: {} }, read))).toBe(first);
  });
});
