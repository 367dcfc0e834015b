/**
 * The admin console's browser sign-in as it runs against Microsoft, where the sign-in page is
 * another site (login.microsoftonline.com) than Roomlink. Here Roomlink is http://127.0.0.1:<port>
 * and the identity emulator is served as http://localhost:<port>: two sites for Chromium, which
 * so applies its SameSite rules to the redirect back as it does with Microsoft. (In demo mode the
 * emulator shares Roomlink's origin, so the demo tests cannot see this.)
 */
import { randomBytes } from 'node:crypto';
import { registerIdentityEmulator } from '@roomlink/emulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPlugin } from '../../src/admin/plugin.js';
import { DEMO_CLIENT_ID } from '../../src/demo.js';
import { callbackUrl, createIdentity } from '../../src/identity/index.js';
import { BROWSER_SESSION_HOURS } from '../../src/identity/sign-in.js';
import { createRetention } from '../../src/retention/index.js';
import { SILENT } from '../support/admin.js';
import { launchChromium } from '../support/chromium.js';
import { startTestApp, type TestApp } from '../support/harness.js';
import { signInRoutes } from '../support/identity.js';

describe('admin console sign-in with the identity platform on another site', () => {
  let t: TestApp;
  let browser: Awaited<ReturnType<typeof launchChromium>>;

  beforeAll(async () => {
    t = await startTestApp('sqlite', {
      realBaseUrl: true,
      features: async (runtime) => {
        const otherSite = new URL(runtime.config.baseUrl);
        otherSite.hostname = 'localhost';
        const loginBase = new URL('_emulator/login', otherSite).toString();
        const secret = randomBytes(24).toString('base64url');
        const identity = createIdentity(runtime, {
          clientId: DEMO_CLIENT_ID,
          credential: { kind: 'secret', secret },
          authority: new URL(`${loginBase}/organizations`),
        });
        return {
          authenticate: identity.authenticate,
          plugins: [
            async (app) => {
              await registerIdentityEmulator(app, {
                baseUrl: loginBase,
                clients: [
                  { clientId: DEMO_CLIENT_ID, secret, redirectUris: [callbackUrl(runtime.config.baseUrl)] },
                ],
              });
            },
            signInRoutes(runtime, identity),
            adminPlugin({ runtime, retention: createRetention(runtime, { logger: SILENT }) }),
          ],
        };
      },
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('lands a Global Administrator in the console, not back on its sign-in page, for a working day', async () => {
    const page = await browser.context.newPage();
    await page.goto(`${t.url}/admin`);
    await page.getByRole('link', { name: 'Sign in' }).click();
    // The emulator's page, on the other site.
    await page.waitForURL((url) => url.hostname === 'localhost');
    const [console] = await Promise.all([
      page.waitForResponse((r) => {
        const url = new URL(r.url());
        return url.hostname === '127.0.0.1' && url.pathname === '/admin';
      }),
      page.getByRole('button', { name: /Sign in as Megan Bowen/ }).click(),
    ]);
    expect(console.status()).toBe(200);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
    expect(new URL(page.url()).pathname).toBe('/admin');
    await page.close();

    // The console's session lasts a working day, not the add-in's 30 days.
    const sessions = await t.runtime.store.db
      .selectFrom('sessions')
      .select(['created_at', 'expires_at'])
      .where('kind', '=', 'browser')
      .execute();
    expect(sessions).toHaveLength(1);
    const [session] = sessions as [(typeof sessions)[number]];
    expect(Date.parse(session.expires_at) - Date.parse(session.created_at)).toBe(
      BROWSER_SESSION_HOURS * 3600_000,
    );
    expect(BROWSER_SESSION_HOURS).toBe(12);
  });
});
