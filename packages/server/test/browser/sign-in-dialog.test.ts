/** The sign-in dialog flow in headless Chromium: real redirects, real cookies, messageParent, session. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomToken, s256 } from '../../src/identity/secrets.js';
import { launchChromium, OFFICE_STUB } from '../support/chromium.js';
import { type IdentityTestApp, startIdentityApp } from '../support/identity.js';

describe('sign-in dialog in Chromium', () => {
  let t: IdentityTestApp;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  beforeAll(async () => {
    t = await startIdentityApp('sqlite');
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('picks a user on the emulator’s sign-in page and hands a one-time code to the task pane', async () => {
    const page = await browser.context.newPage();
    // The page runs under its Content-Security-Policy: Chromium reports anything it blocks.
    const blocked: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) blocked.push(m.text());
    });
    await page.route('https://appsforoffice.microsoft.com/**', (route) =>
      route.fulfill({ contentType: 'text/javascript', body: OFFICE_STUB }),
    );
    const verifier = randomToken(32);
    // No login_hint: the user chooses on the page, as in the real dialog.
    await page.goto(`${t.url}/auth/addin/start?challenge=${s256(verifier)}`);
    await page.getByRole('button', { name: /Diego Siciliani/ }).click();
    await page.waitForFunction(
      () => (globalThis as unknown as { __messageParent?: string }).__messageParent,
      null,
      { timeout: 10_000 },
    );
    const message = JSON.parse(
      await page.evaluate(() => (globalThis as unknown as { __messageParent: string }).__messageParent),
    );
    expect(message.type).toBe('roomlink-signin');
    // To the task pane on Roomlink's own origin only.
    expect(
      await page.evaluate(
        () => (globalThis as unknown as { __messageParentOptions: unknown }).__messageParentOptions,
      ),
    ).toEqual({ targetOrigin: new URL(t.url).origin });
    // The style sheet its hash allows applies (body margin 2rem); nothing was blocked.
    const margin = await page.evaluate(() => {
      const w = globalThis as unknown as {
        getComputedStyle(element: unknown): { marginTop: string };
        document: { body: unknown };
      };
      return w.getComputedStyle(w.document.body).marginTop;
    });
    expect(margin).toBe('32px');
    expect(blocked).toEqual([]);

    const session = await fetch(`${t.url}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ code: message.code, verifier }),
    });
    expect(session.status).toBe(200);
    expect(((await session.json()) as { user: { upn: string } }).user.upn).toBe('diego@fabrikam.example');
  });
});
