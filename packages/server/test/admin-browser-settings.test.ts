/**
 * Settings in the admin console in headless Chromium, against the real app: two tabs (or two admins)
 * no longer silently undo each other, and each form saves only what it edits.
 * - Tab B, loaded before tab A shortened the retention period, saves join instructions: refused,
 *   told what changed elsewhere, its text kept on the page; saved again, it keeps A's period.
 * - In one tab, saving join instructions leaves unsaved input in the Settings form as typed.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AdminTestApp, insertBrowserSession, insertNamedUser, startAdminApp } from './support/admin.js';
import { launchChromium } from './support/chromium.js';

const T = 't-tabs';
const RETENTION = 'Keep meeting details for this many days after a meeting ends';

describe('admin console settings in Chromium', () => {
  let t: AdminTestApp;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let token: string;

  beforeAll(async () => {
    t = await startAdminApp('sqlite');
    browser = await launchChromium();
    await insertNamedUser(t.runtime, T, 'ada', { name: 'Ada Admin', isAdmin: true });
    token = await insertBrowserSession(t.runtime, T, 'ada');
    await browser.context.addCookies([
      { name: 'roomlink_session', value: token, url: t.url, httpOnly: true, sameSite: 'Strict' },
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function openConsole(): Promise<Page> {
    const page = await browser.context.newPage();
    expect((await page.goto(`${t.url}/admin`))?.status()).toBe(200);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
    return page;
  }
  const status = (page: Page) => page.locator('#status').textContent();
  const stored = async () => (await t.runtime.store.tenants.find(T))?.settings;

  it('refuses a save based on settings another tab changed, says what changed, keeps the text', async () => {
    const a = await openConsole();
    const b = await openConsole();

    await a.getByLabel(RETENTION).fill('7');
    await a.getByRole('button', { name: 'Save settings' }).click();
    await expect.poll(() => status(a), { timeout: 10_000 }).toBe('Settings saved.');
    expect((await stored())?.retentionDays).toBe(7);

    const mine = '<p><a href="{{joinUrl}}">Join the Fabrikam room</a></p>';
    await b.getByLabel('English HTML template').fill(mine);
    await b.getByRole('button', { name: 'Save join instructions' }).click();
    await expect
      .poll(() => status(b), { timeout: 10_000 })
      .toMatch(/^Not saved: the settings were changed elsewhere/);
    const said = (await status(b)) as string;
    expect(said).toContain('changed there: days meeting details are kept');
    expect(said).toContain('What you entered is still on this page');
    // Nothing of tab B's save was written: A's shorter period stands, no template was stored.
    expect(await stored()).toMatchObject({ retentionDays: 7, templates: {} });
    // B's text is still there to be saved.
    await expect(b.getByLabel('English HTML template').inputValue()).resolves.toBe(mine);

    // Saved again, now based on the current settings: the text goes in, A's period stays.
    await b.getByRole('button', { name: 'Save join instructions' }).click();
    await expect.poll(() => status(b), { timeout: 10_000 }).toBe('Join instructions saved.');
    expect(await stored()).toMatchObject({ retentionDays: 7, templates: { en: { html: mine } } });
    await a.close();
    await b.close();
  });

  it('saves join instructions without touching unsaved input in the Settings form', async () => {
    const page = await openConsole();
    await expect(page.getByLabel(RETENTION).inputValue()).resolves.toBe('7');
    // Typed, not saved.
    await page.getByLabel(RETENTION).fill('14');
    const html = '<p><a href="{{joinUrl}}">Join the Northwind room</a></p>';
    await page.getByLabel('English HTML template').fill(html);
    await page.getByRole('button', { name: 'Save join instructions' }).click();
    await expect.poll(() => status(page), { timeout: 10_000 }).toBe('Join instructions saved.');
    // The Settings form still shows what was typed; only the instructions were saved.
    await expect(page.getByLabel(RETENTION).inputValue()).resolves.toBe('14');
    expect(await stored()).toMatchObject({ retentionDays: 7, templates: { en: { html } } });

    // Saving the Settings form then saves what it shows, and keeps the instructions just saved.
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect.poll(() => status(page), { timeout: 10_000 }).toBe('Settings saved.');
    expect(await stored()).toMatchObject({ retentionDays: 14, templates: { en: { html } } });
    await page.close();
  });
});
