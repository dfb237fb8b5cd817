import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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
import type { TestOidcProvider } from './support/oidc-provider';
import { startPostgres, type PostgresServer } from './support/postgres-server';
import { startRedisServer, type RedisServer } from './support/redis-server';
import { request, startTestApp, type TestApp } from './support/test-app';

const ARTIFACTS = join(__dirname, 'artifacts');
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const SESSION_SECRET = 'inbox-review-session-secret-0123456789abcdef';

/**
 * Reviewing at quorum 2 in Chromium, as people do it: two replicas (PostgreSQL + Redis) behind
 * one provider; alice and bob approve (bob also audits), carol only submits.
 */
jest.setTimeout(90000);

describe('reviewer inbox: review at quorum 2 across two replicas', () => {
  let redis: RedisServer;
  let postgres: PostgresServer;
  let idp: TestOidcProvider;
  let a: TestApp;
  let b: TestApp;
  let browser: InboxBrowser;

  beforeAll(async () => {
    buildInbox({ quiet: true });
    mkdirSync(ARTIFACTS, { recursive: true });
    [redis, postgres] = await Promise.all([startRedisServer(), startPostgres()]);
    const [idpPort, portA, portB] = [await freePort(), await freePort(), await freePort()];
    const prefix = `inbox${randomBytes(3).toString('hex')}:`;
    const overrides = (port: number) => ({
      broker: { transport: 'redis', redis: { url: redis.url, stream_prefix: prefix } },
      state: { backend: 'postgres', postgres: { url: postgres.url } },
      governance: { approvals_required: { high: 2 } },
      auth: {
        oidc: inboxOidc(idpPort, port),
        session: { secret: SESSION_SECRET, ttl_seconds: 3600 },
      },
    });
    a = await startTestApp({ port: portA, overrides: overrides(portA) });
    b = await startTestApp({ port: portB, overrides: overrides(portB) });
    idp = await startInboxIdp(idpPort, portA);
    browser = await launchInboxBrowser();
  }, 90000);
  afterAll(async () => {
    await browser?.close();
    await Promise.all([a?.close(), b?.close()]);
    await idp?.close();
    await Promise.all([redis?.stop(), postgres?.stop()]);
  });

  const tokenOf = (user: string, groups: string[]) =>
    idp.token({ preferred_username: user, sub: user, groups });
  /** Held either way: high compliance and a big spend need approval under any policy. */
  const submit = async (name: string, user = 'carol', groups = ['programme-managers']) => {
    const res = await request(`${a.url}/api/v1/workflows`, {
      body: {
        workflow_type: 'project_initialization',
        data: {
          name,
          description: 'urgent',
          goals: ['Design', 'Build', 'Launch'],
          duration_weeks: 8,
          budget: 1250000,
        },
        governance_data: { financial_impact: 250000, compliance_level: 'high' },
      },
      headers: { authorization: `Bearer ${await tokenOf(user, groups)}` },
    });
    expect(res.status).toBe(202);
    return res.body.workflow_id as string;
  };
  const decideAs = async (user: string, id: string, kind: 'approve' | 'reject', comment = 'ok') =>
    request(`${a.url}/api/v1/workflows/${id}/${kind}`, {
      body: { comment },
      headers: {
        authorization: `Bearer ${await tokenOf(user, user === 'bob' ? ['compliance-leads'] : ['finance-leads'])}`,
      },
    });

  /** Signs in through the provider's login form on replica a, then opens `on` (a or b: the session is shared). */
  async function signIn(
    user: string,
    on: TestApp = a,
    viewport = { width: 1100, height: 900 },
  ): Promise<Page> {
    const page = await browser.newPage({ viewport });
    await signInThroughProvider(page, a.url, user);
    if (on !== a) {
      await page.goto(`${on.url}/inbox`);
      await page.locator('#who-name').getByText(user).waitFor();
    }
    return page;
  }
  const card = (page: Page, id: string) => page.locator(`#items li[data-workflow-id="${id}"]`);
  async function axe(page: Page, what: string): Promise<void> {
    await page.evaluate(AXE);
    const violations = (await page.evaluate(`axe.run(document, { resultTypes: ['violations'] })`)) as {
      violations: { id: string; impact: string; nodes: { target: string[] }[] }[];
    };
    const bad = violations.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${what}: ${v.id} (${v.impact}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    expect(bad).toEqual([]);
  }
  async function inView(page: Page, selector: string): Promise<void> {
    const box = await page.locator(selector).boundingBox();
    const viewport = page.viewportSize()!;
    expect(box).not.toBeNull();
    expect(box!.y).toBeGreaterThanOrEqual(0);
    expect(box!.y + box!.height).toBeLessThanOrEqual(viewport.height);
    expect(await page.evaluate(`document.activeElement && document.activeElement.id`)).toBe(
      selector.slice(1),
    );
  }

  it('lists titles, counts and "1 of 2" with who voted; another replica\'s decision shows in an open list and detail within 2 s', async () => {
    const id = await submit('Apollo cutover');
    const other = await submit('Borealis migration');
    const list = await signIn('bob', b);
    await card(list, id).waitFor();
    await expect(list.locator('#list-title').textContent()).resolves.toMatch(/^Needs my decision \(\d+\)$/);
    await expect(card(list, id).textContent()).resolves.toMatch(
      /Apollo cutover.*requested by carol.*0 of 2 approvals/s,
    );
    const detail = await list.context().newPage();
    await detail.goto(`${b.url}/inbox#/w/${id}`);
    await detail.locator('#detail-title').getByText('Apollo cutover').waitFor();
    expect(await detail.evaluate('document.activeElement.id')).toBe('detail-title');
    await expect(detail.locator('#detail-summary').textContent()).resolves.toMatch(
      /Goals3.*Budget\$1,250,000/s,
    );
    // alice approves on replica a: bob's list and detail on replica b follow without a reload.
    expect((await decideAs('alice', id, 'approve', 'Budget checked')).status).toBe(200);
    await card(list, id).getByText('1 of 2 approvals — alice').waitFor({ timeout: 2000 });
    await detail.locator('#detail-summary').getByText('1 of 2').waitFor({ timeout: 2000 });
    await detail.locator('#detail-decisions').getByText('alice approved').waitFor({ timeout: 2000 });
    await detail.locator('#detail-live').getByText('Updated just now').waitFor();
    await list.screenshot({ path: join(ARTIFACTS, 'inbox-list.png'), fullPage: true });
    await detail.screenshot({ path: join(ARTIFACTS, 'inbox-detail.png'), fullPage: true });
    await axe(list, 'list');
    await axe(detail, 'detail');
    expect(other).toBeTruthy();
  });

  it('"needs my vote" leaves out my own requests and the ones I voted on, and says why when shown', async () => {
    const own = await submit('Alice own request', 'alice', ['finance-leads', 'programme-managers']);
    const voted = await submit('Already voted');
    const open = await submit('Still open');
    expect((await decideAs('alice', voted, 'approve')).status).toBe(200);
    const page = await signIn('alice');
    await card(page, open).waitFor();
    expect(await card(page, own).count()).toBe(0);
    expect(await card(page, voted).count()).toBe(0);
    await page.locator('#f-needs-vote').uncheck();
    await card(page, own).getByText('You requested it: another person must approve it.').waitFor();
    await card(page, voted).getByText('You have already voted on it.').waitFor();
  });

  it('confirms with a dialog naming the action; the result is beside the action, in view and focused (approve, reject, 409 keeps the comment)', async () => {
    const id = await submit('Apollo cutover 2');
    const page = await signIn('alice');
    await page.goto(`${a.url}/inbox#/w/${id}`);
    await page.locator('#detail-title').getByText('Apollo cutover 2').waitFor();
    await page.locator('#comment').fill('Looks right');
    await page.locator('#approve').focus();
    await page.keyboard.press('Enter');
    await page.locator('#confirm-title').getByText("Approve 'Apollo cutover 2' (1 of 2)?").waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'inbox-dialog.png') });
    await axe(page, 'dialog');
    // Escape cancels: nothing is sent and focus goes back to the button.
    await page.keyboard.press('Escape');
    await page.locator('#confirm').waitFor({ state: 'hidden' });
    expect(await page.evaluate('document.activeElement.id')).toBe('approve');
    expect((await decideAs('bob', id, 'approve')).status).toBe(200); // someone else's vote first (1 of 2)
    await page.locator('#detail-summary').getByText('1 of 2').waitFor();
    await page.keyboard.press('Enter');
    await page.locator('#confirm-title').getByText("Approve 'Apollo cutover 2' (2 of 2)?").waitFor();
    await page.keyboard.press('Tab'); // Cancel has focus first; Tab to the action
    await page.keyboard.press('Enter');
    await page
      .locator('#decide-result')
      .getByText(/You approved 'Apollo cutover 2'/)
      .waitFor();
    await inView(page, '#decide-result');

    const rejectId = await submit('Zephyr rollout');
    await page.goto(`${a.url}/inbox#/w/${rejectId}`);
    await page.locator('#detail-title').getByText('Zephyr rollout').waitFor();
    await page.locator('#comment').fill('Not this quarter');
    await page.locator('#reject').click();
    await page.locator('#confirm-text').getByText('Reject — this ends the workflow').waitFor();
    await page.locator('#confirm-ok').click();
    await page
      .locator('#decide-result')
      .getByText(/You rejected 'Zephyr rollout': it is now rejected/)
      .waitFor();
    await inView(page, '#decide-result');

    // A stale page (its stream cut) meets a 409: the comment stays, the result says who decided.
    const stale = await signIn('alice');
    await stale.route('**/api/v1/workflows/stream', (route) => route.abort());
    const raced = await submit('Raced');
    await stale.goto(`${a.url}/inbox#/w/${raced}`);
    await stale.reload(); // the stream opened at sign-in is gone; the new one is cut
    await stale.locator('#detail-title').getByText('Raced').waitFor();
    expect((await decideAs('bob', raced, 'reject', 'Duplicate of Apollo')).status).toBe(200);
    await stale.locator('#comment').fill('My careful comment');
    await stale.locator('#approve').click();
    await stale.locator('#confirm-ok').click();
    await stale
      .locator('#decide-result')
      .getByText(/Someone else decided first\. bob rejected .*Duplicate of Apollo/)
      .waitFor();
    await inView(stale, '#decide-result');
    expect(await stale.locator('#comment').inputValue()).toBe('My careful comment');
    expect(await stale.locator('#comment').isVisible()).toBe(true);
  });

  it('a refused decision (403) is explained beside the action, without config keys', async () => {
    const own = await submit('Self check', 'alice', ['finance-leads', 'programme-managers']);
    const page = await signIn('alice');
    // The page as if the server allowed self-approval: the server still refuses.
    await page.route(`${a.url}/inbox/session`, async (route) => {
      const res = await route.fetch();
      await route.fulfill({ response: res, json: { ...(await res.json()), allow_self_approval: true } });
    });
    await page.goto(`${a.url}/inbox#/w/${own}`);
    await page.reload();
    await page.locator('#detail-title').getByText('Self check').waitFor();
    await page.locator('#approve').click();
    await page.locator('#confirm-ok').click();
    await page
      .locator('#decide-result')
      .getByText('You requested this workflow, so another person must approve it.')
      .waitFor();
    await inView(page, '#decide-result');
    expect(await page.locator('#decide-result').textContent()).not.toMatch(/governance\./);
  });

  it('"My requests" shows a submitter their workflow\'s status change live; no decision buttons for them', async () => {
    const id = await submit('Carol project');
    const page = await signIn('carol');
    await page.locator('#tab-mine').click();
    await card(page, id).getByText('0 of 2 approvals').waitFor();
    expect(
      await card(page, id)
        .getByRole('link', { name: /Review and decide/ })
        .count(),
    ).toBe(0);
    expect((await decideAs('alice', id, 'approve')).status).toBe(200);
    expect((await decideAs('bob', id, 'approve')).status).toBe(200);
    await card(page, id)
      .getByText(/Approved|Running|Completed/)
      .waitFor({ timeout: 3000 });
  });

  it('works at 390 px and at 200 % zoom; the signed-out page has no "Sign out"', async () => {
    await submit('Phone check with a rather long project name that must wrap on a phone');
    const phone = await signIn('bob', a, { width: 390, height: 844 });
    await phone.locator('#items li').first().waitFor();
    expect(await phone.evaluate('document.documentElement.scrollWidth > window.innerWidth')).toBe(false);
    await phone.screenshot({ path: join(ARTIFACTS, 'inbox-phone.png'), fullPage: true });
    // 200 % zoom of a 1280 px window is a 640 px CSS viewport at twice the pixel density.
    const zoomed = await browser.newContext({
      viewport: { width: 640, height: 400 },
      deviceScaleFactor: 2,
    });
    const out = await zoomed.newPage();
    await out.goto(`${a.url}/inbox`);
    await out.getByRole('link', { name: 'Sign in' }).waitFor();
    expect(await out.getByRole('button', { name: 'Sign out' }).isVisible()).toBe(false);
    expect(await out.evaluate('document.documentElement.scrollWidth > window.innerWidth')).toBe(false);
  });
});
