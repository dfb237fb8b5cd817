import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot, runNode } from './support/child';
import { builtEntry, eventually, startService, type ServiceProcess } from './support/service-process';

// The real `mira` binary: config validate/print (local, no service), and schedules list and
// events tail against the real built service.

const cli = join(repoRoot, 'dist/apps/mira-cli/src/main.js');
const KEY = 'cli-events-key-0123456789abcdef';

async function mira(args: string[], env: Record<string, string> = {}) {
  const child = runNode([cli, ...args], env);
  const { code } = await child.exited;
  return { code, out: child.stdout(), err: child.stderr() };
}

function file(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'mira-cli-config-')), name);
  writeFileSync(path, text);
  return path;
}

describe('mira config (the real binary)', () => {
  beforeAll(() => builtEntry(), 240_000);

  it('validate: 0 for a good file; every problem with file, line and suggestion, exit 1', async () => {
    const good = await mira(['config', 'validate', file('good.yaml', 'server:\n  port: 3001\n')]);
    expect(good.code).toBe(0);
    expect(good.out).toMatch(/good\.yaml: valid\n$/);

    const typo = file(
      'typo.yaml',
      'server:\n  port: 3001\ngovernance:\n  financial_treshold: 5000\nloging:\n  level: debug\n',
    );
    const bad = await mira(['config', 'validate', typo]);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain(
      `${typo}:4: governance.financial_treshold: unknown key, did you mean governance.financial_threshold?`,
    );
    expect(bad.out).toContain(`${typo}:5: loging: unknown key, did you mean logging?`);
    expect(bad.out).toMatch(/\n2 problems\n$/);

    const json = await mira(['config', 'validate', typo, '-o', 'json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toMatchObject({
      ok: false,
      file: typo,
      problems: expect.arrayContaining([expect.objectContaining({ file: typo, line: 5, path: 'loging' })]),
    });
  }, 60_000);

  it('validate: a YAML syntax error shows its line and frame, secrets masked', async () => {
    const broken = file('broken.yaml', 'webhooks:\n  github:\n    secret: hunter2-literal\n   jira: open\n');
    const r = await mira(['config', 'validate', broken]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      new RegExp(`^${broken}:4: Config file ${broken} is not valid YAML: .*line 4, column 1`),
    );
    expect(r.out).toContain('secret: [redacted]');
    expect(r.out).toContain('jira: open');
    expect(r.out).toContain('^');
    expect(r.out).not.toContain('hunter2');
  }, 60_000);

  it('print --show-sources: each value with its file, env variable or default; secrets masked', async () => {
    const cfg = file(
      'print.yaml',
      'server:\n  port: 3001\napi:\n  keys: [print-key-0123456789abcdef]\n' +
        'deliveries:\n  destinations:\n    ops:\n      kind: slack\n' +
        '      url: https://hooks.slack.com/services/T1/B2/print-hook-secret\n' +
        'governance:\n  audit:\n    anchor_webhook: https://anchor.example.com/h?token=print-token-secret\n',
    );
    const r = await mira(['config', 'print', '--show-sources', '-f', cfg], { MIRA_LOG_LEVEL: 'debug' });
    expect(r.code).toBe(0);
    expect(r.out).toContain(`server.port: 3001  # file ${cfg}`);
    expect(r.out).toContain(`api.keys: ["[redacted]"]  # file ${cfg}`);
    expect(r.out).toContain('logging.level: "debug"  # env MIRA_LOG_LEVEL');
    expect(r.out).not.toContain('print-key-0123456789abcdef');
    // Credential URLs keep scheme, host and path prefix; the credential part is masked.
    expect(r.out).toContain('deliveries.destinations.ops.url: "https://hooks.slack.com/services/[redacted]"');
    expect(r.out).toContain(
      'governance.audit.anchor_webhook: "https://anchor.example.com/h?token=[redacted]"',
    );
    expect(r.out).not.toMatch(/print-hook-secret|print-token-secret/);
    // --effective: every key, defaults included.
    const effective = await mira([
      'config',
      'print',
      '--effective',
      '--show-sources',
      '-f',
      cfg,
      '-o',
      'json',
    ]);
    expect(effective.code).toBe(0);
    const doc = JSON.parse(effective.out) as {
      values: { server: { port: number } };
      sources: Record<string, string>;
    };
    expect(doc.values.server.port).toBe(3001);
    expect(doc.sources['server.port']).toBe(`file ${cfg}`);
    expect(doc.sources['shutdown.timeout_ms']).toBe('default');
    expect(effective.out).not.toMatch(/print-key-0123456789abcdef|print-hook-secret|print-token-secret/);
  }, 60_000);
});

describe('mira schedules and events against a running service', () => {
  let s: ServiceProcess;
  const env = () => ({ MIRA_URL: s.url, MIRA_API_KEY: KEY });
  beforeAll(async () => {
    builtEntry();
    s = await startService({
      config: {
        logging: { level: 'warn', json: true },
        api: { keys: [{ name: 'ops', key: KEY, roles: ['admin'] }], rate_limit: { enabled: false } },
        schedules: {
          'weekly-report': {
            cron: '0 9 * * 1',
            timezone: 'Europe/Berlin',
            target: {
              message: {
                type: 'generate_report',
                data: { name: 'Apollo', week_number: 2, tasks: [], risks: [] },
              },
            },
          },
        },
      },
    });
  }, 240_000);
  afterAll(() => s?.kill());

  it('schedules list: a table, and JSON that parses', async () => {
    const table = await mira(['schedules', 'list'], env());
    expect(table.code).toBe(0);
    expect(table.out.split('\n')[0]).toMatch(/^NAME\s+CRON\s+TIMEZONE/);
    expect(table.out).toMatch(/weekly-report\s+0 9 \* \* 1\s+Europe\/Berlin/);
    const json = await mira(['schedules', 'list', '-o', 'json'], env());
    expect(
      (JSON.parse(json.out) as { schedules: { name: string }[] }).schedules.map((x) => x.name),
    ).toContain('weekly-report');
  }, 60_000);

  it('events tail receives the events of a workflow submitted while it runs (polling fallback)', async () => {
    const tail = runNode(
      // --poll: the service has the live stream now; this case keeps the polling fallback covered.
      [
        cli,
        'events',
        'tail',
        '--poll',
        '--type',
        'workflow',
        '--count',
        '2',
        '--interval',
        '200',
        '-o',
        'json',
      ],
      env(),
    );
    // The baseline is taken before anything is submitted.
    await eventually(
      async () => tail.stderr().includes('polling GET /api/v1/workflows'),
      20_000,
      'tail baseline',
    );
    const res = await fetch(`${s.url}/api/v1/workflows`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY },
      body: JSON.stringify({
        workflow_type: 'project_initialization',
        data: { name: 'Tail', goals: ['Design'] },
        governance_data: { financial_impact: 250000, compliance_level: 'high' },
      }),
    });
    expect(res.status).toBe(202);
    const id = ((await res.json()) as { workflow_id: string }).workflow_id;
    expect((await tail.exited).code).toBe(0);
    const events = tail
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; data: { workflow_id: string } });
    expect(events.map((e) => e.type)).toEqual(['workflow.created', expect.stringMatching(/^workflow\.\w+$/)]);
    expect(events.every((e) => e.data.workflow_id === id)).toBe(true);
  }, 60_000);
});
