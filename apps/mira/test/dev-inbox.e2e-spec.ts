import { spawn, type ChildProcess } from 'node:child_process';
import type { Page } from 'playwright-core';
import { launchChromium } from './support/browser';
import { freePort, repoRoot } from './support/child';
import { builtEntry } from './support/service-process';

/**
 * The local trial (`npm run dev:idp`, `npm run dev:inbox`) as a person runs it: real npm child
 * processes on free ports (env overrides), sign-in through the demo provider in Chromium with the
 * printed passwords, the seeded workflows in the inbox, Ctrl-C stopping everything.
 */
jest.setTimeout(120000);

interface Run {
  proc: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}
const runs: Run[] = [];

/** `npm run --silent <script>` in its own process group (as a terminal runs it), no inherited MIRA_* / PORT. */
function npmRun(script: string, env: Record<string, string>): Run {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !k.startsWith('MIRA_') && k !== 'PORT') base[k] = v;
  const proc = spawn('npm', ['run', '--silent', script], {
    cwd: repoRoot,
    env: { ...base, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  let err = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const run = { proc, stdout: () => out, stderr: () => err, exited };
  runs.push(run);
  return run;
}

async function waitForOutput(run: Run, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = pattern.exec(run.stdout());
    if (m) return m;
    if (run.proc.exitCode !== null || Date.now() > deadline)
      throw new Error(`no output matching ${pattern}: ${run.stdout()}\n${run.stderr()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** login -> password, from the printed demo users table. */
function printedPasswords(stdout: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of stdout.matchAll(/^ {2}(\w+) +(\S+) +(submitter|approver|auditor)$/gm)) out[m[1]] = m[2];
  return out;
}

async function refusesConnection(url: string): Promise<boolean> {
  return fetch(url).then(
    () => false,
    () => true,
  );
}

describe('local trial: npm run dev:idp / dev:inbox', () => {
  beforeAll(() => {
    builtEntry();
  }, 300000);
  afterAll(() => {
    // Whatever a failed test left running: the npm process group, by its PID.
    for (const r of runs)
      if (r.proc.exitCode === null && r.proc.signalCode === null) {
        try {
          process.kill(-r.proc.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }
  });

  it('dev:idp serves discovery on the port from MIRA_DEV_IDP_PORT and prints the four demo users', async () => {
    const port = await freePort();
    const idp = npmRun('dev:idp', { MIRA_DEV_IDP_PORT: String(port), MIRA_DEV_PORT: '3999' });
    await waitForOutput(idp, /auditor\n/, 30000);
    expect(idp.stdout()).toContain(`listening on http://127.0.0.1:${port}`);
    expect(idp.stdout()).toContain('redirect http://127.0.0.1:3999/inbox/callback');
    expect(Object.keys(printedPasswords(idp.stdout())).sort()).toEqual(['alice', 'bob', 'dana', 'sam']);
    const res = await fetch(`http://127.0.0.1:${port}/.well-known/openid-configuration`);
    const discovery = (await res.json()) as { issuer: string; claims_supported: string[] };
    expect(discovery.issuer).toBe(`http://127.0.0.1:${port}`);
    expect(discovery.claims_supported).toContain('groups');
    process.kill(idp.proc.pid!, 'SIGTERM');
    expect(await idp.exited).toBe(0);
    expect(await refusesConnection(`http://127.0.0.1:${port}/.well-known/openid-configuration`)).toBe(true);
  });

  it('dev:inbox: sign in as an approver with the printed password, see the seeded workflows; Ctrl-C stops both', async () => {
    const [port, idpPort] = [await freePort(), await freePort()];
    const run = npmRun('dev:inbox', { MIRA_DEV_PORT: String(port), MIRA_DEV_IDP_PORT: String(idpPort) });
    const [, url] = await waitForOutput(run, /open (http:\S+\/inbox) and sign in/, 90000);
    expect(url).toBe(`http://127.0.0.1:${port}/inbox`);
    await waitForOutput(run, /Ctrl-C stops/, 5000);
    const passwords = printedPasswords(run.stdout());
    expect(Object.keys(passwords).sort()).toEqual(['alice', 'bob', 'dana', 'sam']);

    const chromium = await launchChromium();
    try {
      const page: Page = await (await chromium.browser.newContext()).newPage();
      page.setDefaultTimeout(15000);
      await page.goto(url);
      await page.getByRole('link', { name: 'Sign in' }).click();
      // The demo provider checks the password (its stock dev form would take any).
      await page.locator('input[name="login"]').fill('alice');
      await page.locator('input[name="password"]').fill('not-the-password');
      await page.locator('button[type="submit"]').click();
      await page.getByText('Unknown demo user or wrong password.').waitFor();
      await page.getByRole('link', { name: 'Try again' }).click();
      await page.locator('input[name="login"]').fill('alice');
      await page.locator('input[name="password"]').fill(passwords.alice);
      await page.locator('button[type="submit"]').click();
      await page.waitForURL(url);
      await page.locator('#who-name').getByText('alice').waitFor();
      for (const name of ['Apollo cutover', 'Borealis data-centre migration', 'Cassini vendor onboarding']) {
        const card = page.locator('#items li', { hasText: name });
        await card.waitFor();
        await expect(card.textContent()).resolves.toMatch(/requested by sam.*0 of 2 approvals/s);
      }
    } finally {
      await chromium.close();
    }

    // Ctrl-C in a terminal signals the whole foreground group: npm, dev-inbox, its children.
    process.kill(-run.proc.pid!, 'SIGINT');
    await run.exited;
    expect(await refusesConnection(`http://127.0.0.1:${port}/healthz/live`)).toBe(true);
    expect(await refusesConnection(`http://127.0.0.1:${idpPort}/.well-known/openid-configuration`)).toBe(
      true,
    );
  });

  it.each(['dev:idp', 'dev:inbox'])(
    '%s refuses NODE_ENV=production with one clear line and exit 1',
    async (script) => {
      const port = await freePort();
      const run = npmRun(script, {
        NODE_ENV: 'production',
        MIRA_DEV_IDP_PORT: String(port),
        MIRA_DEV_PORT: String(port),
      });
      expect(await run.exited).toBe(1);
      expect(run.stderr().trim().split('\n')).toEqual([
        `npm run ${script} is a development tool and refuses to run with NODE_ENV=production.`,
      ]);
      expect(await refusesConnection(`http://127.0.0.1:${port}/`)).toBe(true);
    },
  );
});
