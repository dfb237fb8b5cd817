import { createHmac } from 'node:crypto';
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigStore } from '@mira/config';
import { freePort, runNode, waitForHttp, type Child } from './support/child';
import { builtEntry } from './support/service-process';
import { request, startTestApp } from './support/test-app';

const FIXTURES = join(__dirname, 'fixtures');
const DEPLOYMENT_EXAMPLE = join(FIXTURES, 'deployment-example.yaml');
const REFERENCE_EXAMPLE = join(FIXTURES, 'reference-config.example.json');

interface LogLine {
  level?: number;
  msg?: string;
  context?: string;
}
const logLines = (child: Child): LogLine[] =>
  child
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);

/** Starts the built service on a copy of `fixture` (env on top), waits for /healthz/ready. */
async function startOn(fixture: string, env: Record<string, string> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'mira-compat-'));
  const file = join(dir, fixture.endsWith('.json') ? 'config.json' : 'mira.yaml');
  copyFileSync(fixture, file);
  const port = await freePort();
  const child = runNode([builtEntry()], {
    MIRA_CONFIG_FILE: file,
    PORT: String(port),
    MIRA_STATE__SQLITE__PATH: ':memory:',
    ...env,
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    const ready = await waitForHttp(`${url}/healthz/ready`);
    expect(ready.status).toBe(200);
  } catch (err) {
    child.proc.kill('SIGKILL');
    throw new Error(`${(err as Error).message}; stderr: ${child.stderr()}`);
  }
  return {
    url,
    child,
    async stop() {
      child.proc.kill('SIGTERM');
      expect((await child.exited).code).toBe(0);
    },
  };
}

describe('configuration from the documents Mira comes from (built service, real process)', () => {
  beforeAll(() => builtEntry(), 180_000);

  it("starts on the deployment document's example (logging.json_format, integrations with secret:// credentials)", async () => {
    const s = await startOn(DEPLOYMENT_EXAMPLE, {
      JIRA_API_TOKEN: 'jira-token-value',
      GITHUB_TOKEN: 'github-token-value',
    });
    try {
      const res = await request(`${s.url}/api/v1/messages`, { body: { type: 'generate_plan', data: {} } });
      expect(res.status).toBe(200);
      const lines = logLines(s.child);
      // json_format is an alias, not a deprecation: no warning; the log is JSON as it asked.
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.filter((l) => /deprecated/.test(l.msg ?? ''))).toEqual([]);
      expect(lines.some((l) => /^Listening on http:\/\/127\.0\.0\.1:\d+ \(Mira /.test(l.msg ?? ''))).toBe(
        true,
      );
      expect(s.child.stdout()).not.toContain('jira-token-value');
    } finally {
      await s.stop();
    }
  }, 60_000);

  it("starts on the reference's config.example.json with one deprecation warning per old key, naming the new one", async () => {
    const s = await startOn(REFERENCE_EXAMPLE, {
      JIRA_API_TOKEN: 'j',
      TRELLO_API_KEY: 't',
      GITHUB_TOKEN: 'g',
    });
    try {
      const warnings = logLines(s.child)
        .map((l) => l.msg ?? '')
        .filter((m) => /deprecated/.test(m));
      const expected: [string, RegExp][] = [
        ['broker.enabled', /use broker\.transport/],
        ['webhook.secret_key', /use webhooks\.default\.secret/],
        ['webhook.host', /use server\.host/],
        ['webhook.port', /use server\.port/],
        ['logging.format', /use logging\.json/],
        ['agents.orchestrator_agent', /use agents\.<agent_id>\.enabled/],
      ];
      for (const [key, instead] of expected) {
        const hits = warnings.filter((w) => w.startsWith(`${key} in file `));
        expect(hits).toHaveLength(1);
        expect(hits[0]).toMatch(instead);
      }
      expect(warnings).toHaveLength(expected.length);
      // webhook.secret_key became the secret of every service without one of its own.
      const body = '{"zen":"Design for failure."}';
      const sig = `sha256=${createHmac('sha256', 'reference-webhook-secret').update(body).digest('hex')}`;
      const res = await request(`${s.url}/webhooks/github`, {
        raw: body,
        headers: {
          'content-type': 'application/json',
          'x-hub-signature-256': sig,
          'x-github-delivery': 'ref-1',
          'x-github-event': 'ping',
        },
      });
      expect(res.status).toBe(202);
    } finally {
      await s.stop();
    }
  }, 60_000);

  it('honours MIRA_WEBHOOK_SECRET as the default webhook secret, with a deprecation warning', async () => {
    const s = await startOn(DEPLOYMENT_EXAMPLE, {
      JIRA_API_TOKEN: 'j',
      GITHUB_TOKEN: 'g',
      MIRA_WEBHOOK_SECRET: 'env-webhook-secret',
    });
    try {
      const warnings = logLines(s.child).filter((l) => /deprecated/.test(l.msg ?? ''));
      expect(warnings.map((l) => l.msg)).toEqual([
        'env MIRA_WEBHOOK_SECRET is deprecated; use webhooks.default.secret (env MIRA_WEBHOOKS__DEFAULT__SECRET)',
      ]);
      const body = '{}';
      const sign = (secret: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
      const post = (secret: string, id: string) =>
        request(`${s.url}/webhooks/github`, {
          raw: body,
          headers: {
            'content-type': 'application/json',
            'x-hub-signature-256': sign(secret),
            'x-github-delivery': id,
          },
        });
      expect((await post('env-webhook-secret', 'e-1')).status).toBe(202);
      expect((await post('another-secret', 'e-2')).status).toBe(401);
      expect(s.child.stdout()).not.toContain('env-webhook-secret');
    } finally {
      await s.stop();
    }
  }, 60_000);

  it('exits 1 listing every problem with its source (file and env) in one message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mira-compat-'));
    const file = join(dir, 'mira.yaml');
    writeFileSync(
      file,
      'governance:\n  financial_threshold: lots\n  explainability_threshold: 7\nbroker:\n  transport: kafka\nserver:\n  colour: blue\n',
    );
    const child = runNode([builtEntry()], {
      MIRA_CONFIG_FILE: file,
      PORT: '70000',
      MIRA_SHUTDOWN__TIMEOUT_MS: 'soon',
    });
    const { code } = await child.exited;
    expect(code).toBe(1);
    const err = child.stderr();
    expect(err).toMatch(/^mira: fatal: Invalid configuration \(6 problems\):/);
    for (const line of [
      `governance.financial_threshold: `,
      `governance.explainability_threshold: `,
      `broker.transport: `,
      `server.colour: unknown key`,
    ])
      expect(err).toMatch(new RegExp(`  - ${line.replace('.', '\\.')}.*\\(set by file ${file}\\)`));
    expect(err).toMatch(/ {2}- server\.port: .*\(set by env PORT\)/);
    expect(err).toMatch(/ {2}- shutdown\.timeout_ms: .*\(set by env MIRA_SHUTDOWN__TIMEOUT_MS\)/);
    expect(err).not.toContain('more)');
  }, 60_000);

  it('exits 1 on a YAML syntax error with the code frame (secret-looking values masked)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mira-compat-'));
    const file = join(dir, 'mira.yaml');
    writeFileSync(file, 'webhooks:\n  github:\n    secret: hunter2-literal\n   jira: open\n');
    const child = runNode([builtEntry()], { MIRA_CONFIG_FILE: file });
    expect((await child.exited).code).toBe(1);
    const err = child.stderr();
    expect(err).toContain(`Config file ${file} is not valid YAML`);
    expect(err).toMatch(/line \d+, column \d+/);
    expect(err).toContain('jira: open');
    expect(err).toContain('secret: [redacted]');
    expect(err).toContain('^');
    expect(err).not.toContain('hunter2-literal');
  }, 60_000);
});

describe('integrations through the config service (real app)', () => {
  it('resolves secret:// credentials and exposes them with ConfigStore.integration()', async () => {
    const t = await startTestApp({
      file: DEPLOYMENT_EXAMPLE,
      env: { JIRA_API_TOKEN: 'jira-token-in-process', GITHUB_TOKEN: 'gh-token-in-process' },
    });
    try {
      const store = t.app.get(ConfigStore);
      expect(store.integration('jira')).toEqual({
        url: 'https://example.atlassian.net',
        username: 'mira-bot@example.com',
        api_token: 'jira-token-in-process',
      });
      expect(store.integration('github').token).toBe('gh-token-in-process');
      expect(store.integration('trello')).toEqual({});
      expect(store.get('logging').json).toBe(true);
    } finally {
      await t.close();
    }
  });
});
