import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page, Request } from 'playwright-core';
import { freePort } from './support/child';
import {
  buildInbox,
  inboxOidc,
  launchInboxBrowser,
  signInThroughProvider,
  startInboxIdp,
  type InboxBrowser,
} from './support/inbox-browser';
import { kubeletWrite } from './support/kubelet-volume';
import type { TestOidcProvider } from './support/oidc-provider';
import { request, startTestApp, type TestApp } from './support/test-app';
const KEY = 'inbox-flags-submitter-key-9f8e7d6c';
const onOff = { on: true, off: false };

/** The config file: the inbox's UI flags at `on`/`off`, or left out (the page's defaults). */
function configWith(flags: { live?: boolean; json?: boolean }): string {
  const defined: Record<string, unknown> = {};
  if (flags.live !== undefined)
    defined['inbox.live_updates'] = { variants: onOff, defaultVariant: flags.live ? 'on' : 'off' };
  if (flags.json !== undefined)
    defined['inbox.show_raw_json'] = { variants: onOff, defaultVariant: flags.json ? 'on' : 'off' };
  return JSON.stringify({ features: { flags: defined } });
}

/**
 * The inbox reads its UI flags through OFREP (bulk, with the session cookie and CSRF token): a
 * live config change switches the page between the event stream and polling, and shows or hides
 * the raw JSON view; a missing flag or a failing OFREP call keeps the defaults (stream, JSON).
 */
describe('inbox UI flags through OFREP, in a browser', () => {
  let dir: string;
  let idp: TestOidcProvider;
  let app: TestApp;
  let browser: InboxBrowser;

  beforeAll(async () => {
    buildInbox({ quiet: true });
    dir = mkdtempSync(join(tmpdir(), 'mira-inbox-flags-'));
    kubeletWrite(dir, { 'mira.json': configWith({ live: true, json: true }) });
    const [idpPort, appPort] = [await freePort(), await freePort()];
    app = await startTestApp({
      port: appPort,
      file: join(dir, 'mira.json'),
      overrides: {
        config: { hot_reload: true, debounce_ms: 20 },
        api: { keys: [{ name: 'intake-bot', key: KEY, roles: ['submitter'] }] },
        auth: {
          oidc: inboxOidc(idpPort, appPort),
          session: { secret: 'inbox-flags-session-secret-0123456789abcdef', ttl_seconds: 3600 },
        },
      },
    });
    idp = await startInboxIdp(idpPort, appPort);
    browser = await launchInboxBrowser();
  }, 60000);

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await idp?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Rewrites the config file and waits until OFREP serves `expect` for the inbox flags. */
  async function setFlags(flags: { live?: boolean; json?: boolean }): Promise<void> {
    kubeletWrite(dir, { 'mira.json': configWith(flags) });
    const want = (key: string, v: boolean | undefined) => (item: { key: string; value: unknown }[]) =>
      v === undefined ? !item.some((i) => i.key === key) : item.some((i) => i.key === key && i.value === v);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const r = await request(`${app.url}/ofrep/v1/evaluate/flags`, {
        body: {},
        headers: { 'x-api-key': KEY },
      });
      const items = r.body?.flags ?? [];
      if (want('inbox.live_updates', flags.live)(items) && want('inbox.show_raw_json', flags.json)(items))
        return;
      if (Date.now() > deadline) throw new Error(`the reload was not served: ${r.text}`);
      await new Promise((res) => setTimeout(res, 25));
    }
  }

  const submit = async (name: string) => {
    const res = await request(`${app.url}/api/v1/workflows`, {
      headers: { 'x-api-key': KEY },
      body: {
        workflow_type: 'project_initialization',
        data: { name, goals: ['Design'] },
        governance_data: { financial_impact: 250000 },
      },
    });
    expect(res.status).toBe(202);
    return res.body.workflow_id as string;
  };

  /** Signs alice (an approver) in and records every request the page makes. */
  async function signIn(): Promise<{ page: Page; requests: Request[] }> {
    const page = await browser.newPage();
    const requests: Request[] = [];
    page.on('request', (r) => requests.push(r));
    await signInThroughProvider(page, app.url, 'alice');
    return { page, requests };
  }
  const paths = (requests: Request[]) => requests.map((r) => new URL(r.url()).pathname);
  const STREAM = '/api/v1/workflows/stream';
  /** Waits until the page has requested `path` at least `times` times (since `requests` was cleared). */
  async function requested(requests: Request[], path: string, times = 1, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (paths(requests).filter((p) => p === path).length < times) {
      if (Date.now() > deadline)
        throw new Error(`the page did not request ${path} ${times}x: ${paths(requests)}`);
      await new Promise((res) => setTimeout(res, 25));
    }
  }

  /** Opens the workflow from a fresh page load, so the page reads its flags again. */
  async function open(page: Page, requests: Request[], id: string): Promise<void> {
    requests.length = 0;
    await page.goto(`${app.url}/inbox#/w/${id}`);
    await page.reload();
    await page.locator('#detail-title').getByText('Flagged page').waitFor();
  }

  it('a live flag change switches the page from the stream to polling and hides the raw JSON view', async () => {
    const id = await submit('Flagged page');
    const { page, requests } = await signIn();

    await open(page, requests, id);
    await requested(requests, STREAM);
    await expect(page.locator('#json-toggle').isVisible()).resolves.toBe(true);
    // The flags came from OFREP's bulk evaluation, sent with the session's CSRF header.
    const ofrep = requests.find((r) => new URL(r.url()).pathname === '/ofrep/v1/evaluate/flags');
    expect(ofrep?.method()).toBe('POST');
    expect(ofrep?.headers()['x-csrf-token']).toEqual(expect.any(String));

    await setFlags({ live: false, json: false });
    await open(page, requests, id);
    await expect(page.locator('#json-toggle').isHidden()).resolves.toBe(true);
    // Polling: the workflow is fetched again by the 10 s timer, and no stream is ever opened.
    const before = paths(requests).filter((p) => p === `/api/v1/workflows/${id}`).length;
    await requested(requests, `/api/v1/workflows/${id}`, before + 1, 20_000);
    expect(paths(requests)).not.toContain(STREAM);
  }, 60000);

  it('keeps the defaults (stream, raw JSON) when the flags are missing or OFREP fails', async () => {
    const id = await submit('Flagged page');
    const { page, requests } = await signIn();

    await setFlags({});
    await open(page, requests, id);
    await requested(requests, STREAM);
    await expect(page.locator('#json-toggle').isVisible()).resolves.toBe(true);

    // Flags off, but OFREP answers 500: the page must not take that as "off".
    await setFlags({ live: false, json: false });
    await page.route('**/ofrep/v1/evaluate/flags', (route) =>
      route.fulfill({ status: 500, contentType: 'application/json', body: '{"errorDetails":"down"}' }),
    );
    await open(page, requests, id);
    await requested(requests, STREAM);
    await expect(page.locator('#json-toggle').isVisible()).resolves.toBe(true);
  }, 60000);
});
