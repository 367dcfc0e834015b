/**
 * The admin console and the pages around it are usable with a screen reader and the keyboard
 * alone, in English and French: axe-core (WCAG 2.1 A and AA rules) finds nothing on the console
 * once loaded (settings, join instructions with their previews, users, audit log, retention), with
 * a field in error, after a save, on the sign-in invitation, the refusal of a non-admin, and the
 * sign-in flow's own answer pages (sign-in failed, an unexpected admin consent answer). And an admin
 * reaches, changes and saves a setting by keyboard, seeing where focus is.
 */
import type { Language } from '@roomlink/rooms';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, focusRing } from '../../../test-setup/axe.js';
import { text } from '../src/admin/web/strings.js';
import {
  AUTH_PAGE_STRINGS,
  consentPage,
  dialogPage,
  unavailablePage,
} from '../src/http/routes/auth-pages.js';
import {
  type AdminTestApp,
  createMeeting,
  insertBrowserSession,
  insertNamedUser,
  startAdminApp,
} from './support/admin.js';
import { launchChromium } from './support/chromium.js';

const LANGUAGES = ['en', 'fr'] as const;

describe('admin console accessibility in Chromium', () => {
  let t: AdminTestApp;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  /** The sign-in flow's answer pages, as its routes send them (they need Microsoft to be reached). */
  let authApp: FastifyInstance;
  let authPages: string;
  const sessions: Record<string, string> = {};

  beforeAll(async () => {
    t = await startAdminApp('sqlite');
    browser = await launchChromium();
    authApp = Fastify({ logger: false });
    authApp.get<{ Params: { name: string }; Querystring: { lang: Language } }>(
      '/pages/:name',
      async (request, reply) => {
        const language = request.query.lang;
        const w = AUTH_PAGE_STRINGS[language];
        switch (request.params.name) {
          case 'signin-failed':
            return dialogPage(
              reply,
              new URL(t.url),
              language,
              400,
              { type: 'roomlink-signin-error' },
              w.signInFailed('state mismatch'),
            );
          case 'unavailable':
            return unavailablePage(reply, language, 'console');
          default:
            return consentPage(reply, language, 400, w.consentUnexpectedTitle, w.consentUnexpectedText);
        }
      },
    );
    authPages = `${await authApp.listen({ host: '127.0.0.1', port: 0 })}/pages`;
    await insertNamedUser(t.runtime, 't-a11y', 'ada', { name: 'Ada Admin', isAdmin: true });
    await insertNamedUser(t.runtime, 't-a11y', 'mo', { name: 'Mo Member' });
    await insertNamedUser(t.runtime, 't-a11y', 'pat', { name: 'Pat Subject', status: 'signed_out' });
    await createMeeting(t.runtime, 't-a11y', 'pat', 'Pat’s budget review');
    sessions.ada = await insertBrowserSession(t.runtime, 't-a11y', 'ada');
    sessions.mo = await insertBrowserSession(t.runtime, 't-a11y', 'mo');
  });
  afterAll(async () => {
    await browser?.close();
    await authApp?.close();
    await t?.close();
  });

  async function pageAs(user: 'ada' | 'mo' | null): Promise<Page> {
    const context = browser.context;
    await context.clearCookies();
    if (user) {
      await context.addCookies([
        {
          name: 'roomlink_session',
          value: sessions[user] as string,
          url: t.url,
          httpOnly: true,
          sameSite: 'Strict',
        },
      ]);
    }
    const page = await context.newPage();
    // Office.js (the sign-in dialog's page) cannot come from Microsoft's CDN here: refused at once.
    await page.route(/appsforoffice\.microsoft\.com/, (route) => route.abort());
    return page;
  }

  /** No violation in the page as it is now. */
  async function expectAccessible(page: Page): Promise<void> {
    expect(await axeViolations(page)).toEqual([]);
  }

  /** The focused element shows a solid ring of 2px or more at 3:1 or more against its background. */
  async function expectVisibleFocus(page: Page): Promise<void> {
    const ring = await focusRing(page);
    const where = await focused(page);
    expect(ring.style, where).toBe('solid');
    expect(ring.width, where).toBeGreaterThanOrEqual(2);
    expect(ring.contrast, where).toBeGreaterThanOrEqual(3);
  }

  /** The focused element's id, else its accessible label, else its text. */
  function focused(page: Page): Promise<string> {
    return page.evaluate(
      "(() => { const e = document.activeElement; return e ? e.id || e.getAttribute('aria-label') || e.textContent.trim() : ''; })()",
    ) as Promise<string>;
  }

  describe.each(LANGUAGES)('in %s', (language) => {
    const say = (key: Parameters<typeof text>[1], vars?: Record<string, string>) => text(language, key, vars);

    it('the console, loaded, with a field in error, and after a save', async () => {
      const page = await pageAs('ada');
      expect((await page.goto(`${t.url}/admin?lang=${language}`))?.status()).toBe(200);
      await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
      expect(await page.evaluate('document.documentElement.lang')).toBe(language);
      // Everything the script fills in is there: previews, the users' and the audit log's tables.
      await page.frameLocator(`#preview-${language}-html`).locator('a').first().waitFor({ timeout: 10_000 });
      await page.locator('#users-table tbody tr').first().waitFor();
      await page.locator('#audit-table table').waitFor();
      await expectAccessible(page);

      // A field out of range is marked and explained beside it.
      await page.locator('#pinLength').fill('12');
      await page.locator('#settings-form button[type=submit]').click();
      await expect
        .poll(() => page.locator('#err-pinLength').textContent(), { timeout: 10_000 })
        .toMatch(/10/);
      expect(await page.locator('#pinLength').getAttribute('aria-invalid')).toBe('true');
      await expectAccessible(page);

      await page.locator('#pinLength').fill('7');
      await page.locator('#settings-form button[type=submit]').click();
      await expect
        .poll(() => page.locator('#status').textContent(), { timeout: 10_000 })
        .toBe(say('settingsSaved'));
      await expectAccessible(page);
      await page.close();
    });

    it('the sign-in invitation and the refusal of a non-admin', async () => {
      const visitor = await pageAs(null);
      await visitor.goto(`${t.url}/admin?lang=${language}`);
      expect(await visitor.evaluate('document.documentElement.lang')).toBe(language);
      await expectAccessible(visitor);
      await visitor.close();

      const member = await pageAs('mo');
      expect((await member.goto(`${t.url}/admin?lang=${language}`))?.status()).toBe(403);
      await expectAccessible(member);
      await member.close();
    });

    it('the sign-in flow’s answer pages', async () => {
      const page = await pageAs(null);
      const w = AUTH_PAGE_STRINGS[language];
      const pages: [string, string][] = [
        ['signin-failed', w.signInFailed('state mismatch')],
        ['unavailable', w.consoleUnavailableText],
        ['consent-unexpected', w.consentUnexpectedText],
      ];
      for (const [name, words] of pages) {
        await page.goto(`${authPages}/${name}?lang=${language}`);
        await page.getByText(words).waitFor();
        expect(await page.evaluate('document.documentElement.lang')).toBe(language);
        await expectAccessible(page);
      }
      await page.close();
    });
  });

  it('an admin changes and saves a setting by keyboard alone, with focus visible throughout', async () => {
    const page = await pageAs('ada');
    await page.goto(`${t.url}/admin`);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
    // The first Tab shows the skip link, which leads to the main content.
    await page.keyboard.press('Tab');
    expect(await focused(page)).toBe(text('en', 'skipToContent'));
    expect(await page.locator('.skip').boundingBox()).not.toBeNull();
    await page.keyboard.press('Enter');
    for (let i = 0; i < 30 && (await focused(page)) !== 'pinLength'; i++) await page.keyboard.press('Tab');
    expect(await focused(page)).toBe('pinLength');
    await expectVisibleFocus(page);
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.type('8');
    for (let i = 0; i < 30 && (await focused(page)) !== text('en', 'saveSettings'); i++)
      await page.keyboard.press('Tab');
    // A ring of 3:1 or more against the page (WCAG 1.4.11), on the field and on the button.
    await expectVisibleFocus(page);
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.locator('#status').textContent(), { timeout: 10_000 })
      .toBe(text('en', 'settingsSaved'));
    expect((await t.runtime.store.tenants.find('t-a11y'))?.settings.pinLength).toBe(8);
    await page.close();
  });
});
