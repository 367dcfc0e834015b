/**
 * The admin console in headless Chromium against the real app (browser session cookie, real
 * HTTP): a non-admin is refused, templates are edited with a live preview in both languages and
 * problems shown next to their field, export downloads the user's data, erase removes the user.
 */
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AdminTestApp,
  createMeeting,
  insertBrowserSession,
  insertNamedUser,
  startAdminApp,
} from './support/admin.js';
import { launchChromium } from './support/chromium.js';

describe('admin console in Chromium', () => {
  let t: AdminTestApp;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  const sessions: Record<string, string> = {};

  beforeAll(async () => {
    t = await startAdminApp('sqlite');
    browser = await launchChromium();
    await insertNamedUser(t.runtime, 't-web', 'ada', { name: 'Ada Admin', isAdmin: true });
    await insertNamedUser(t.runtime, 't-web', 'mo', { name: 'Mo Member' });
    await insertNamedUser(t.runtime, 't-web', 'pat', { name: 'Pat Subject', upn: 'pat@contoso.example' });
    await createMeeting(t.runtime, 't-web', 'pat', 'Pat’s budget review');
    await createMeeting(t.runtime, 't-web', 'pat', 'Pat’s hiring panel');
    sessions.ada = await insertBrowserSession(t.runtime, 't-web', 'ada');
    sessions.mo = await insertBrowserSession(t.runtime, 't-web', 'mo');
  });
  afterAll(async () => {
    await browser?.close();
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
    return context.newPage();
  }

  async function openConsole(): Promise<Page> {
    const page = await pageAs('ada');
    const response = await page.goto(`${t.url}/admin`);
    expect(response?.status()).toBe(200);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
    return page;
  }

  it('refuses a non-admin and sends a visitor to sign in', async () => {
    const member = await pageAs('mo');
    const refused = await member.goto(`${t.url}/admin`);
    expect(refused?.status()).toBe(403);
    await expect(member.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
      'You are not a tenant admin',
    );
    expect(await member.locator('#settings-form').count()).toBe(0);
    await member.close();

    const visitor = await pageAs(null);
    // 200: the sign-in page is a page to read, not a failed load (the API still answers 401).
    expect((await visitor.goto(`${t.url}/admin`))?.status()).toBe(200);
    await expect(visitor.getByRole('link', { name: 'Sign in' }).getAttribute('href')).resolves.toBe(
      '/auth/signin?lang=en',
    );
    await visitor.close();
  });

  it('edits a template with a live preview in both languages, shows problems next to the field, saves', async () => {
    const page = await openConsole();
    // Both languages preview the built-in templates from the start.
    const en = page.frameLocator('#preview-en-html');
    const fr = page.frameLocator('#preview-fr-html');
    await en.getByText('Join the meeting now').waitFor({ timeout: 10_000 });
    await fr.getByText('Rejoindre la réunion maintenant').waitFor({ timeout: 10_000 });

    const html = page.getByLabel('English HTML template');
    await html.fill(
      '<p><a href="{{joinUrl}}">Enter the Contoso room</a></p>\n<p>ID {{formatConferenceId conferenceId}}</p>',
    );
    await en.getByText('Enter the Contoso room').waitFor({ timeout: 10_000 });
    await en.getByText('ID 840 451 2763').waitFor({ timeout: 10_000 });

    // A problem is explained next to the field, with its place, and the field is marked invalid.
    await html.fill('<p>{{{joinUrl}}}</p>');
    const error = page.locator('#err-tpl-en-html');
    await expect.poll(() => error.textContent(), { timeout: 10_000 }).toMatch(/line 1/);
    expect(await error.textContent()).not.toMatch(/line 1.*line 1/); // the place is said once
    await expect(html.getAttribute('aria-invalid')).resolves.toBe('true');

    await html.fill('<p><a href="{{joinUrl}}">Enter the Contoso room</a></p>');
    await expect.poll(() => error.textContent(), { timeout: 10_000 }).toBe('');
    await page.getByRole('button', { name: 'Save join instructions' }).click();
    await expect
      .poll(() => page.locator('#status').textContent(), { timeout: 10_000 })
      .toBe('Join instructions saved.');
    const tenant = await t.runtime.store.tenants.find('t-web');
    expect(tenant?.settings.templates.en?.html).toBe(
      '<p><a href="{{joinUrl}}">Enter the Contoso room</a></p>',
    );
    expect(tenant?.settings.templates.fr).toBeUndefined();

    // A settings field out of range is refused, and said so beside it.
    await page.getByLabel('Digits in host and guest PINs (4 to 10)').fill('12');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect.poll(() => page.locator('#err-pinLength').textContent(), { timeout: 10_000 }).toMatch(/10/);
    expect((await t.runtime.store.tenants.find('t-web'))?.settings.pinLength).toBe(6);
    await page.close();
  });

  it('downloads a user’s data as JSON', async () => {
    const page = await openConsole();
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 10_000 }),
      page.getByRole('link', { name: 'Export the data of Pat Subject' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe('roomlink-user-pat.json');
    const data = JSON.parse(await readFile(await download.path(), 'utf8'));
    expect(data.user).toMatchObject({ id: 'pat', name: 'Pat Subject', upn: 'pat@contoso.example' });
    expect(data.meetings.map((m: { subject: string }) => m.subject).sort()).toEqual([
      'Pat’s budget review',
      'Pat’s hiring panel',
    ]);
    await page.close();
  });

  it('erases a user after confirmation', async () => {
    const page = await openConsole();
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.accept();
    });
    await page.getByRole('button', { name: 'Erase Pat Subject' }).click();
    await expect
      .poll(() => page.locator('#status').textContent(), { timeout: 10_000 })
      .toBe('Erased Pat Subject: 2 meetings deleted.');
    expect(dialogs[0]).toMatch(/cannot be undone/);
    await expect.poll(() => page.locator('tr[data-user-id="pat"]').count()).toBe(0);
    expect(await t.runtime.store.users.findById('pat')).toBeUndefined();
    const meetings = await t.runtime.store.db
      .selectFrom('meetings')
      .select('id')
      .where('organizer_id', '=', 'pat')
      .execute();
    expect(meetings).toEqual([]);
    // The console reloads users and the audit log side by side after an erase: wait for the audit
    // table as for the users' table above, rather than reading it once.
    await expect.poll(() => page.locator('#audit-table').textContent()).toContain('user.erased');
    await page.close();
  });
});
