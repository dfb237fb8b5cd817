import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, repoRoot, runNode } from './support/child';
import { builtEntry, startService, type ServiceProcess } from './support/service-process';

// The real `mira` binary (dist/apps/mira-cli, package.json `bin`) against the real built service.

const cli = join(repoRoot, 'dist/apps/mira-cli/src/main.js');
const KEYS = {
  alice: 'alice-key-0123456789abcdef',
  bob: 'bob-key-0123456789abcdef',
  carol: 'carol-key-0123456789abcdef',
  audrey: 'audrey-key-0123456789abcdef',
};
const apiKeys = [
  { name: 'alice', key: KEYS.alice, roles: ['submitter'] },
  { name: 'bob', key: KEYS.bob, roles: ['approver', 'submitter'] },
  { name: 'carol', key: KEYS.carol, roles: ['approver'] },
  { name: 'audrey', key: KEYS.audrey, roles: ['auditor'] },
];
const risky = {
  workflow_type: 'project_initialization',
  data: { name: 'Big spend', goals: ['Design', 'Build'] },
  governance_data: { financial_impact: 250000, compliance_level: 'high' },
};

async function mira(args: string[], env: Record<string, string> = {}) {
  const child = runNode([cli, ...args], env);
  const { code } = await child.exited;
  return { code, out: child.stdout(), err: child.stderr() };
}

describe('the mira CLI against a running service', () => {
  let s: ServiceProcess;
  const as = (who: keyof typeof KEYS) => ({ MIRA_URL: s.url, MIRA_API_KEY: KEYS[who] });
  const submit = async () => {
    const res = await fetch(`${s.url}/api/v1/workflows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEYS.alice}` },
      body: JSON.stringify(risky),
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { workflow_id: string }).workflow_id;
  };

  beforeAll(async () => {
    builtEntry();
    s = await startService({
      config: {
        logging: { level: 'warn', json: true },
        api: { keys: apiKeys, rate_limit: { enabled: false } },
      },
    });
  }, 240_000);
  afterAll(() => s?.kill());

  it('workflows list / approve / reject with keys and roles; 403 is a clear message and exit 4', async () => {
    const a = await submit();
    const b = await submit();

    const list = await mira(['workflows', 'list', '--status', 'pending_approval', '-o', 'json'], as('alice'));
    expect(list.code).toBe(0);
    const ids = (JSON.parse(list.out) as { items: { workflow_id: string }[] }).items.map(
      (w) => w.workflow_id,
    );
    expect(ids).toEqual(expect.arrayContaining([a, b]));

    const table = await mira(['workflows', 'list'], as('alice'));
    expect(table.out.split('\n')[0]).toMatch(/^WORKFLOW_ID\s+WORKFLOW_TYPE\s+STATUS/);
    expect(table.out).toContain(a);

    const denied = await mira(['workflows', 'approve', a], as('alice'));
    expect(denied.code).toBe(4);
    expect(denied.err).toMatch(/POST \/api\/v1\/workflows\/.+\/approve: 403/);
    expect(denied.err).toMatch(/forbidden: this key lacks the role for it/);

    const approved = await mira(['workflows', 'approve', a, '-c', 'ok', '-o', 'json'], as('bob'));
    expect(approved.code).toBe(0);
    expect(JSON.parse(approved.out)).toMatchObject({ workflow_id: a, approvals: 1 });

    const rejected = await mira(['wf', 'reject', b, '--comment', 'too expensive', '-o', 'json'], as('carol'));
    expect(rejected.code).toBe(0);
    expect(JSON.parse(rejected.out)).toMatchObject({ workflow_id: b, status: 'rejected' });

    const missing = await mira(['workflows', 'show', 'no-such-id'], as('alice'));
    expect(missing.code).toBe(5);
  }, 60_000);

  it('audit verify, health, and the exit codes for no key, bad usage and an unreachable service', async () => {
    const audit = await mira(['audit', 'verify'], as('audrey'));
    expect(audit.err).toBe('');
    expect(audit.code).toBe(0);
    expect(audit.out).toMatch(/^audit trail intact: \d+ entries$/m);

    const health = await mira(['health', '--output', 'json'], { MIRA_URL: s.url });
    expect(health.code).toBe(0);
    expect(JSON.parse(health.out).status).toMatch(/healthy|degraded/);

    const noKey = await mira(['workflows', 'list'], { MIRA_URL: s.url });
    expect(noKey.code).toBe(4);
    expect(noKey.err).toMatch(/not authenticated: set MIRA_API_KEY or pass --key/);

    expect((await mira(['workflows', 'frobnicate'], as('alice'))).code).toBe(2);

    const down = await mira(['health', '--url', `http://127.0.0.1:${await freePort()}`]);
    expect(down.code).toBe(3);
    expect(down.err).toMatch(/^mira: cannot reach Mira at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)/);
  }, 60_000);

  it('--version is the package version; completion prints a bash script that loads', async () => {
    const v = await mira(['--version']);
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string };
    expect(v.out.trim()).toBe(pkg.version);
    const completion = await mira(['completion', 'bash']);
    expect(completion.code).toBe(0);
    expect(completion.out).toContain('complete -F _mira mira');
    expect(completion.out).toContain('"workflows") words="list show approve reject cancel');
    // bash parses and registers it; completing `mira workflows ap` offers approve.
    const script = join(mkdtempSync(join(tmpdir(), 'mira-cli-')), 'mira.bash');
    writeFileSync(script, completion.out);
    const offered = execFileSync(
      'bash',
      [
        '-c',
        'source "$0"; COMP_WORDS=(mira workflows ap); COMP_CWORD=2; _mira; echo "${COMPREPLY[@]}"',
        script,
      ],
      { encoding: 'utf8' },
    );
    expect(offered.trim()).toBe('approve');
  }, 60_000);
});
