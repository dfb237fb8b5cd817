import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_CONFIG_FILE, loadConfig } from '@mira/config';
import { fatalLine, freePort, repoRoot, runNode, waitForHttp } from './support/child';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensureBuilt } = require('../../../scripts/build-if-needed.js') as {
  ensureBuilt: (o?: { quiet?: boolean }) => string;
};

describe('start-up of the built service (npm start path)', () => {
  let entry: string;
  beforeAll(() => {
    entry = ensureBuilt({ quiet: true });
  }, 180_000);

  it('the bundled example config validates as-is', () => {
    const { config, file } = loadConfig({ cwd: repoRoot, env: {} });
    expect(file).toBe(join(repoRoot, DEFAULT_CONFIG_FILE));
    expect(config.broker.transport).toBe('memory');
    expect(config.secrets.backend).toBe('env');
  });

  it('starts from a clean checkout on the bundled config and answers /healthz', async () => {
    const port = await freePort();
    const child = runNode([entry], { PORT: String(port) });
    try {
      const res = await waitForHttp(`http://127.0.0.1:${port}/healthz`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { status: string }).status).toBe('healthy');
    } finally {
      child.proc.kill('SIGTERM');
      await child.exited;
    }
  }, 60_000);

  it.each([
    [
      'a schema violation in the file',
      'governance:\n  financial_threshold: lots\n',
      {},
      'governance.financial_threshold',
    ],
    ['an unknown key', 'governance:\n  financial_treshold: 5\n', {}, 'governance.financial_treshold'],
    [
      'a bad environment override',
      '',
      { MIRA_GOVERNANCE__EXPLAINABILITY_THRESHOLD: '7' },
      'MIRA_GOVERNANCE__EXPLAINABILITY_THRESHOLD',
    ],
  ])(
    'exits 1 with one line naming the problem: %s',
    async (_label, yaml, env, expected) => {
      const dir = mkdtempSync(join(tmpdir(), 'mira-start-'));
      const file = join(dir, 'mira.yaml');
      writeFileSync(file, yaml);
      const child = runNode([entry], { MIRA_CONFIG_FILE: file, PORT: String(await freePort()), ...env });
      expect(await fatalLine(child)).toContain(expected);
    },
    60_000,
  );

  it('exits 1 on invalid YAML naming the file, with the parser code frame on the lines after', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mira-start-'));
    const file = join(dir, 'mira.yaml');
    writeFileSync(file, 'server: [unclosed\n');
    const child = runNode([entry], { MIRA_CONFIG_FILE: file, PORT: String(await freePort()) });
    expect((await child.exited).code).toBe(1);
    const lines = child.stderr().trim().split('\n');
    expect(lines[0]).toMatch(/^mira: fatal: /);
    expect(lines[0]).toContain('not valid YAML');
    // The frame keeps the line and the caret; only values of secret-looking keys are masked.
    expect(lines.slice(1).join('\n')).toContain('server: [unclosed');
    expect(lines.slice(1).join('\n')).toContain('^');
  }, 60_000);

  it("stops on a bad features.flags_file with the one fatal line, not Nest's buffered start-up output", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mira-start-'));
    const flags = join(dir, 'flags.json');
    writeFileSync(flags, '{"flags": {');
    const child = runNode([entry], {
      MIRA_FEATURES__FLAGS_FILE: flags,
      MIRA_STATE__SQLITE__PATH: join(dir, 'mira.db'),
      PORT: '0',
    });
    expect(await fatalLine(child)).toMatch(
      new RegExp(`^mira: fatal: FLAGS_FILE_INVALID: features\\.flags_file ${flags} is not readable JSON`),
    );
    expect(child.stdout()).not.toMatch(/\[Nest\]|InstanceLoader|Listening on/);
  }, 60_000);

  it('exits 1 naming the file when MIRA_CONFIG_FILE does not exist', async () => {
    const child = runNode([entry], { MIRA_CONFIG_FILE: '/nonexistent/mira.yaml' });
    const { code } = await child.exited;
    expect(code).toBe(1);
    expect(child.stderr()).toContain('/nonexistent/mira.yaml does not exist');
  }, 60_000);
});
