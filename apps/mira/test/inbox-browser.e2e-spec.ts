import { createServer, type Server } from 'node:http';
import type { Page } from 'playwright-core';
import { freePort } from './support/child';
import {
  buildInbox,
  inboxOidc,
  launchInboxBrowser,
  signInThroughProvider,
  startInboxIdp,
  type InboxBrowser,
} from './support/inbox-browser';
import { TEST_USERS, type TestOidcProvider } from './support/oidc-provider';
import { until } from './support/poll';
import { request, startTestApp, type TestApp } from './support/test-app';

const SUBMIT_KEY = 'inbox-suite-submitter-key-5a4b3c2d';

const risky = (name: string) => ({
  workflow_type: 'project_initialization',
  data: { name, description: 'urgent rollout', goals: ['Design', 'Build'] },
  governance_data: { financial_impact: 250000, compliance_level: 'high' },
});

/**
 * The reviewers' inbox in a real browser (Debian's Chromium through playwright-core) against the
 * real service and a real OpenID Connect provider: people sign in through the provider's login
 * form, decide through the page, and the page's calls go through the API guard with the session
 * cookie and CSRF token.
 */
describe('reviewer inbox in a browser', () => {
  let idp: TestOidcProvider;
  let app: TestApp;
  let browser: InboxBrowser;
  let attacker: Server;
  let attackerUrl: string;
  /** Console messages about blocked content: the page must need nothing its CSP refuses. */
  const cspViolations: string[] = [];

  beforeAll(async () => {
    buildInbox({ quiet: true });
    const [idpPort, appPort] = [await freePort(), await freePort()];
    app = await startTestApp({
      port: appPort,
      overrides: {
        api: { keys: [{ name: 'intake-bot', key: SUBMIT_KEY, roles: ['submitter'] }] },
        governance: { approvals_required: { high: 1 } },
        auth: {
          oidc: inboxOidc(idpPort, appPort),
          session: {
            secret: 'inbox-session-secret-for-tests-0123456789abcdef',
            ttl_seconds: 3600,
            refresh_seconds: 1,
          },
        },
      },
    });
    idp = await startInboxIdp(idpPort, appPort);
    browser = await launchInboxBrowser();
    // A page on another port of the same host: same-site, so a SameSite=Lax cookie still rides
    // along on its form POST; only the CSRF check stands between it and an approval.
    const attackPort = await freePort();
    attackerUrl = `http://127.0.0.1:${attackPort}`;
    attacker = createServer((req, res) => {
      const target = new URL(req.url ?? '/', attackerUrl).searchParams.get('target') ?? '';
      res.setHeader('content-type', 'text/html');
      res.end(
        `<form id="f" method="POST" enctype="text/plain" action="${app.url}${target}">` +
          `<input name='{"comment":"forged","x":"' value='"}'></form><script>document.getElementById("f").submit()</script>`,
      );
    });
    await new Promise<void>((resolve) => attacker.listen(attackPort, '127.0.0.1', () => resolve()));
  }, 60000);

  afterEach(() => expect(cspViolations).toEqual([]));

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => attacker?.close(resolve));
    await app?.close();
    await idp?.close();
  });

  const submit = async (name: string, headers: Record<string, string> = { 'x-api-key': SUBMIT_KEY }) => {
    const res = await request(`${app.url}/api/v1/workflows`, { body: risky(name), headers });
    expect(res.status).toBe(202);
    return res.body.workflow_id as string;
  };
  const workflow = async (id: string) =>
    (await request(`${app.url}/api/v1/workflows/${id}`, { headers: { 'x-api-key': SUBMIT_KEY } })).body;

  async function signIn(user: string, viewport = { width: 1100, height: 900 }): Promise<Page> {
    const page = await browser.newPage({ viewport });
    page.on('console', (msg) => {
      if (/Content.Security.Policy|Refused to/i.test(msg.text())) cspViolations.push(msg.text());
    });
    await signInThroughProvider(page, app.url, user);
    return page;
  }
  const openWorkflow = async (page: Page, id: string, title: string) => {
    await page.goto(`${app.url}/inbox#/w/${id}`);
    await page.locator('#detail-title').getByText(title).waitFor();
  };
  const message = (page: Page) => page.locator('#decide-result');
  /** Approve or reject through the confirmation dialog. */
  const decide = async (page: Page, kind: 'approve' | 'reject') => {
    await page.locator(`#${kind}`).click();
    await page.locator('#confirm-ok').click();
  };

  it('serves the page with its own CSP and cache headers, the JSON routes keep theirs', async () => {
    const html = await request(`${app.url}/inbox`);
    expect(html.status).toBe(200);
    const csp = html.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(html.headers.get('cache-control')).toBe('no-store');
    const script = /src="(\/inbox\/assets\/app\.js\?v=[0-9a-f]+)"/.exec(html.text)![1];
    const asset = await request(`${app.url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect(asset.headers.get('content-type')).toContain('javascript');
    const api = await request(`${app.url}/api/v1/workflows`, { headers: { 'x-api-key': SUBMIT_KEY } });
    expect(api.headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
  });

  it('signs a reviewer in, shows the pending workflow, approves it with a comment and the workflow completes', async () => {
    const id = await submit('Data centre move');
    const page = await signIn('alice');
    const card = page.locator(`li[data-workflow-id="${id}"]`);
    await card.waitFor();
    await expect(card.textContent()).resolves.toMatch(/requested by intake-bot.*0 of 1 approvals/s);
    await card.getByRole('link', { name: 'Data centre move', exact: true }).click();
    await page.locator('#detail-title').getByText('Data centre move').waitFor();
    await page.locator('#comment').fill('Budget checked with finance');
    await decide(page, 'approve');
    await message(page).getByText(`You approved 'Data centre move'`).waitFor();
    // It leaves the queue and shows under "Decided".
    await page.goto(`${app.url}/inbox#/`);
    await page.locator('#list-title').getByText('Needs my decision').waitFor();
    await card.waitFor({ state: 'detached' });
    await page.locator('#tab-decided').click();
    await page.locator(`#items li[data-workflow-id="${id}"]`).waitFor();
    const done = await until(async () => {
      const w = await workflow(id);
      return w.status === 'completed' ? w : null;
    }, `workflow ${id} to complete`);
    expect(done.decisions).toEqual([
      expect.objectContaining({
        actor: expect.stringMatching(/^oidc:127.0.0.1:[0-9]+:alice$/),
        actor_name: 'alice',
        decision: 'approve',
        comment: 'Budget checked with finance',
      }),
    ]);
  });

  it('stays on the list when a workflow that was still loading arrives after the reader went back', async () => {
    const id = await submit('Slow to load');
    const page = await signIn('alice');
    await page.locator(`li[data-workflow-id="${id}"]`).waitFor();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let asked = false;
    await page.route(`**/api/v1/workflows/${id}`, async (route) => {
      asked = true;
      await held;
      await route.continue();
    });
    await page.evaluate(`location.hash = '#/w/${id}'`);
    await until(() => asked, 'the workflow to be asked for');
    await page.evaluate(`location.hash = '#/'`);
    await page.locator('#list-title').getByText('Needs my decision').waitFor();
    const answered = page.waitForResponse((r) => r.url().endsWith(`/api/v1/workflows/${id}`));
    release();
    await answered;
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 200)));
    expect(await page.locator('#list-view').isVisible()).toBe(true);
    expect(await page.locator('#detail-view').isVisible()).toBe(false);
    await page.close();
  });

  it('is readable on a phone-width screen', async () => {
    await submit('Phone check');
    const page = await signIn('bob', { width: 375, height: 740 });
    await page.locator('#items li').first().waitFor();
    const overflow = await page.evaluate('document.documentElement.scrollWidth > window.innerWidth');
    expect(overflow).toBe(false);
  });

  it('refuses a rejection without a comment on the page', async () => {
    const id = await submit('No comment');
    const page = await signIn('alice');
    await openWorkflow(page, id, 'No comment');
    await page.locator('#reject').click();
    await message(page).getByText('A rejection needs a comment').waitFor();
    expect((await workflow(id)).decisions).toEqual([]);
    // Invalid JSON for the input edit is caught before sending, too.
    await page.locator('#edit-toggle').check();
    await page.locator('#patch').fill('{not json');
    await page.locator('#approve').click();
    await message(page).getByText('not valid JSON').waitFor();
    expect((await workflow(id)).status).toBe('pending_approval');
  });

  it('tells the second reviewer that someone else decided first', async () => {
    const id = await submit('Race');
    const [alice, bob] = [await signIn('alice'), await signIn('bob')];
    // Bob's page is cut off from live updates, so it still offers the decision.
    await bob.route('**/api/v1/workflows/stream', (route) => route.abort());
    await openWorkflow(alice, id, 'Race');
    await openWorkflow(bob, id, 'Race');
    await bob.reload();
    await bob.locator('#detail-title').getByText('Race').waitFor();
    await alice.locator('#comment').fill('Go');
    await decide(alice, 'approve');
    await message(alice).getByText(`You approved 'Race'`).waitFor();
    await decide(bob, 'approve');
    await message(bob).getByText('Someone else decided first').waitFor();
  });

  it('refuses self-approval', async () => {
    // The same person: the provider's sub is the identity (the display name alone is not).
    const token = await idp.token({
      sub: 'alice',
      preferred_username: 'alice',
      groups: ['programme-managers'],
    });
    const id = await submit('My own request', { authorization: `Bearer ${token}` });
    const page = await signIn('alice');
    await openWorkflow(page, id, 'My own request');
    await page.locator('#decide-note').getByText('another person must approve').waitFor();
    // No button that cannot succeed (the server's 403 is in inbox-review.e2e-spec.ts).
    expect(await page.locator('#approve').isVisible()).toBe(false);
    expect((await workflow(id)).status).toBe('pending_approval');
  });

  it('follows governance.allow_self_approval: no separation-of-duties note where the server allows it', async () => {
    // The same person: the provider's sub is the identity (the display name alone is not).
    const token = await idp.token({
      sub: 'alice',
      preferred_username: 'alice',
      groups: ['programme-managers'],
    });
    const id = await submit('Self approval allowed', { authorization: `Bearer ${token}` });
    const page = await signIn('alice');
    // The server's own session answer with the setting on (it is held on reload, so not live here).
    await page.route(`${app.url}/inbox/session`, async (route) => {
      const res = await route.fetch();
      await route.fulfill({ response: res, json: { ...(await res.json()), allow_self_approval: true } });
    });
    await page.reload();
    await openWorkflow(page, id, 'Self approval allowed');
    await page.locator('#decide-note').waitFor({ state: 'hidden' });
    expect(await page.locator('#decide-note').textContent()).toBe('');
  });

  it('refuses a forged cross-site POST and a cookie without the CSRF token', async () => {
    const id = await submit('Forgery target');
    const page = await signIn('alice');
    await page.goto(`${attackerUrl}/?target=${encodeURIComponent(`/api/v1/workflows/${id}/approve`)}`);
    await page.waitForURL(`${app.url}/api/v1/workflows/${id}/approve`);
    expect(await page.locator('body').textContent()).toMatch(/"statusCode":4\d\d/);
    // The stolen-cookie case: the cookie alone (no X-CSRF-Token) authenticates nothing.
    const cookies = await page.context().cookies(app.url);
    const session = cookies.find((c) => c.name === '__Host-mira_session')!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', secure: true, path: '/' });
    const forged = await request(`${app.url}/api/v1/workflows/${id}/approve`, {
      body: { comment: 'forged' },
      headers: { cookie: `__Host-mira_session=${session.value}` },
    });
    expect(forged.status).toBe(403);
    const crossOrigin = await request(`${app.url}/api/v1/workflows/${id}/approve`, {
      body: { comment: 'forged' },
      headers: { cookie: `__Host-mira_session=${session.value}`, origin: 'http://evil.example' },
    });
    expect(crossOrigin.status).toBe(403);
    expect((await workflow(id)).decisions).toEqual([]);
  });

  it('ends a live session once the provider takes the user out of every Mira group', async () => {
    const id = await submit('Removed approver');
    const page = await signIn('alice');
    const cookie = (await page.context().cookies(app.url)).find((c) => c.name === '__Host-mira_session')!;
    const headers = { cookie: `__Host-mira_session=${cookie.value}` };
    const csrf = (await request(`${app.url}/inbox/session`, { headers })).body.csrf_token as string;
    const withSession = { ...headers, 'x-csrf-token': csrf };
    expect((await request(`${app.url}/api/v1/workflows`, { headers: withSession })).status).toBe(200);
    const groups = TEST_USERS.alice.groups;
    TEST_USERS.alice.groups = []; // removed from finance-leads at the provider
    try {
      // Past auth.session.refresh_seconds (1 s here): the next call asks the provider again.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const approve = await request(`${app.url}/api/v1/workflows/${id}/approve`, {
        body: { comment: 'still me?' },
        headers: withSession,
      });
      expect(approve.status).toBe(401);
      expect((await request(`${app.url}/inbox/session`, { headers })).status).toBe(401);
      expect((await workflow(id)).decisions).toEqual([]);
      // The open page learns it too (its live stream is refused), and says so without a click.
      await page.locator('#signin-ended').getByText('Your session has ended').waitFor({ timeout: 20000 });
      expect(await page.getByRole('link', { name: 'Sign in' }).isVisible()).toBe(true);
      expect(await page.locator('#list-view').isVisible()).toBe(false);
    } finally {
      TEST_USERS.alice.groups = groups;
    }
  });

  it('logs out: the session ends for good, even if the old cookie is replayed', async () => {
    const page = await signIn('bob');
    const old = (await page.context().cookies(app.url)).find((c) => c.name === '__Host-mira_session')!.value;
    expect(
      (await request(`${app.url}/inbox/session`, { headers: { cookie: `__Host-mira_session=${old}` } }))
        .status,
    ).toBe(200);
    await page.getByRole('button', { name: 'Sign out' }).click();
    // The provider asks to confirm ending its own session, then comes back to the inbox.
    await page.waitForURL((url) => url.href.startsWith(idp.issuer));
    const confirm = page.locator('button[autofocus], button[type="submit"]').first();
    if (await confirm.isVisible().catch(() => false)) await confirm.click();
    await page.waitForURL(`${app.url}/inbox`);
    await page.getByRole('link', { name: 'Sign in' }).waitFor();
    expect(
      (await page.context().cookies(app.url)).find((c) => c.name === '__Host-mira_session'),
    ).toBeUndefined();
    expect(
      (await request(`${app.url}/inbox/session`, { headers: { cookie: `__Host-mira_session=${old}` } }))
        .status,
    ).toBe(401);
    const replay = await request(`${app.url}/api/v1/workflows`, {
      headers: { cookie: `__Host-mira_session=${old}` },
    });
    expect(replay.status).toBe(401);
  });
});
