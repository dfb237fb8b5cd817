import type { BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { launchChromium } from './browser';
import {
  startOidcProvider,
  TEST_CLIENT_ID,
  TEST_CLIENT_SECRET,
  TEST_ROLES_MAP,
  type TestOidcProvider,
} from './oidc-provider';

// Shared by the inbox's browser specs: the page's build, the test provider wired to the app, and
// Chromium with the provider's login form.

// The page's script is built as `npm run build` builds it (tsc for the browser, into dist/).
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const { buildInbox } = require('../../../../scripts/build-inbox.js') as {
  buildInbox: (o?: { quiet?: boolean }) => string;
};

const callback = (appPort: number) => `http://127.0.0.1:${appPort}/inbox/callback`;

/** The `auth.oidc` config section for the test provider on `idpPort`, the inbox on `appPort`. */
export function inboxOidc(idpPort: number, appPort: number) {
  return {
    issuer: `http://127.0.0.1:${idpPort}`,
    client_id: TEST_CLIENT_ID,
    client_secret: TEST_CLIENT_SECRET,
    redirect_uri: callback(appPort),
    scopes: ['openid', 'profile', 'groups'],
    roles_claim: 'groups',
    roles_map: TEST_ROLES_MAP,
  };
}

/** The test provider on `idpPort`, sending people back to the inbox on `appPort`. */
export function startInboxIdp(idpPort: number, appPort: number): Promise<TestOidcProvider> {
  return startOidcProvider({ port: idpPort, redirectUri: () => callback(appPort) });
}

/** Chromium and every context a spec opened in it. */
export interface InboxBrowser {
  /** A context, closed with the browser. */
  newContext(options?: BrowserContextOptions): Promise<BrowserContext>;
  /** A page in a context of its own, with a 10 s default timeout. */
  newPage(options?: BrowserContextOptions): Promise<Page>;
  /** Closes the contexts (ignoring ones already gone), then Chromium. */
  close(): Promise<void>;
}

export async function launchInboxBrowser(): Promise<InboxBrowser> {
  const chromium = await launchChromium();
  const contexts: BrowserContext[] = [];
  const newContext = async (options?: BrowserContextOptions) => {
    const context = await chromium.browser.newContext(options);
    contexts.push(context);
    return context;
  };
  return {
    newContext,
    newPage: async (options) => {
      const page = await (await newContext(options)).newPage();
      page.setDefaultTimeout(10000);
      return page;
    },
    close: async () => {
      for (const c of contexts) await c.close().catch(() => undefined);
      await chromium.close();
    },
  };
}

/** Signs `user` in on the inbox at `baseUrl` through the provider's login form; back on the inbox, signed in. */
export async function signInThroughProvider(page: Page, baseUrl: string, user: string): Promise<void> {
  await page.goto(`${baseUrl}/inbox`);
  await page.getByRole('link', { name: 'Sign in' }).click();
  // The provider's development login form (any password; the login name is the account).
  await page.locator('input[name="login"]').fill(user);
  await page.locator('input[name="password"]').fill('any-password');
  await page.locator('button[type="submit"]').click();
  await page.waitForURL(`${baseUrl}/inbox`);
  await page.locator('#who-name').getByText(user).waitFor();
}
