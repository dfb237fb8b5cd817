import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './support/child';

// The secret scan .ci/run runs (`npm run secrets:scan`: secretlint with the repo's config and
// ignore file), run in a temp copy with a planted secret: proves the scanner is wired and fails.

// Built at run time so this file itself holds no token-shaped string.
const SLACK_TOKEN = ['xoxb', '123456789012', '1234567890123', 'AbCdEfGhIjKlMnOpQrStUvWx'].join('-');

function copyWithScanConfig(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mira-secretlint-'));
  for (const f of ['package.json', '.secretlintrc.json', '.secretlintignore'])
    copyFileSync(join(repoRoot, f), join(dir, f));
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
  mkdirSync(join(dir, 'libs/leaky/src'), { recursive: true });
  writeFileSync(join(dir, 'libs/leaky/src/clean.ts'), "export const greeting = 'hello';\n");
  return dir;
}

const scan = (cwd: string) => spawnSync('npm', ['run', '-s', 'secrets:scan'], { cwd, encoding: 'utf8' });

describe('secret scanning (secretlint, as .ci/run runs it)', () => {
  it('passes a clean tree, fails on a planted token naming the file, ignores test fixtures', () => {
    const dir = copyWithScanConfig();
    const clean = scan(dir);
    expect(clean.status).toBe(0);

    mkdirSync(join(dir, 'apps/mira/test/fixtures'), { recursive: true });
    writeFileSync(join(dir, 'apps/mira/test/fixtures/token.txt'), `SLACK=${SLACK_TOKEN}\n`);
    expect(scan(dir).status).toBe(0);

    writeFileSync(join(dir, 'libs/leaky/src/slack.ts'), `export const token = '${SLACK_TOKEN}';\n`);
    const leaked = scan(dir);
    expect(leaked.status).toBe(1);
    expect(leaked.stdout + leaked.stderr).toMatch(/libs\/leaky\/src\/slack\.ts[\s\S]*found slack token/);
    // The report masks the value it found.
    expect(leaked.stdout + leaked.stderr).not.toContain(SLACK_TOKEN);
  }, 60_000);

  it('the repository config is the one .ci/run uses', () => {
    const run = spawnSync('grep', ['-c', 'npm run -s secrets:scan', join(repoRoot, '.ci/run')], {
      encoding: 'utf8',
    });
    expect(Number(run.stdout.trim())).toBe(1);
  });
});

describe('npm audit of production dependencies (scripts/audit-prod.js)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { evaluate } = require('../../../scripts/audit-prod.js') as {
    evaluate: (
      report: unknown,
      accepted: unknown[],
      today?: string,
    ) => { failures: string[]; waived: string[] };
  };
  // The shape `npm audit --json` answers (npm 11), one high and one moderate advisory.
  const report = {
    vulnerabilities: {
      lib: {
        via: [
          {
            source: 1,
            name: 'lib',
            severity: 'high',
            title: 'Prototype pollution',
            url: 'https://github.com/advisories/GHSA-aaaa-bbbb-cccc',
          },
          {
            source: 2,
            name: 'lib',
            severity: 'moderate',
            title: 'ReDoS',
            url: 'https://github.com/advisories/GHSA-dddd-eeee-ffff',
          },
        ],
      },
      dependent: { via: ['lib'] },
    },
  };

  it('fails on a high advisory not accepted; moderate ones do not count', () => {
    expect(evaluate(report, [], '2026-12-07').failures).toEqual([
      'high GHSA-aaaa-bbbb-cccc in lib: Prototype pollution',
    ]);
  });

  it('an accepted advisory passes until its expiry, then fails again; an entry without a reason is refused', () => {
    const accepted = [
      {
        advisory: 'GHSA-aaaa-bbbb-cccc',
        reason: 'not reachable: we never merge user objects',
        expires: '2027-01-31',
      },
    ];
    expect(evaluate(report, accepted, '2026-12-07')).toEqual({
      failures: [],
      waived: [
        'GHSA-aaaa-bbbb-cccc in lib (accepted until 2027-01-31: not reachable: we never merge user objects)',
      ],
    });
    expect(evaluate(report, accepted, '2027-02-01').failures[0]).toMatch(
      /accepted until 2027-01-31 \(expired\)/,
    );
    expect(
      evaluate(report, [{ advisory: 'GHSA-aaaa-bbbb-cccc', expires: '2027-01-31' }], '2026-12-07')
        .failures[0],
    ).toMatch(/needs advisory, reason and expires/);
  });
});
