/**
 * The admin console in headless Chromium against the real app (in New York time), for what an
 * admin sees beyond settings:
 * - "Sign out of the console" ends this browser's session only and shows the sign-in page;
 * - failures are said plainly: a proxy's HTML error page (not a JSON parse error), an ended
 *   session (with a link to sign in again), an export refused or attempted without a session
 *   (rather than a download that fails without a word);
 * - times carry their zone, and UTC days say so;
 * - users come a page at a time ("Show more users"); a name that no longer decrypts reads
 *   "(unreadable)";
 * - the erase dialog says what stays, and rooms an erasure could not end are reported.
 */
import { readFile } from 'node:fs/promises';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../../scripts/chromium.mjs';
import { digest } from '../src/identity/secrets.js';
import { type AdminTestApp, insertBrowserSession, insertNamedUser, startAdminApp } from './support/admin.js';

const T = 't-console';
/** More than the console's first page of users (100). */
const MEMBERS = 104;

describe('admin console behaviour in Chromium', () => {
  let t: AdminTestApp;
  let browser: { context: BrowserContext; close(): Promise<void> };

  beforeAll(async () => {
    t = await startAdminApp('sqlite');
    // Playwright's context options (ChromiumOptions' type keeps only `args` of them).
    const options = { timezoneId: 'America/New_York', acceptDownloads: true };
    browser = await launchChromium(options as Parameters<typeof launchChromium>[0]);
    await insertNamedUser(t.runtime, T, 'ada', { name: 'Ada Admin', isAdmin: true });
    const db = t.runtime.store.db;
    await db
      .updateTable('users')
      .set({ created_at: '2026-01-01T00:00:00.000Z' })
      .where('id', '=', 'ada')
      .execute();
    for (let i = 0; i < MEMBERS; i++) {
      await insertNamedUser(t.runtime, T, `m-${String(i).padStart(3, '0')}`, { name: `Member ${i}` });
    }
    // Signed in, but the name no longer decrypts.
    await db.updateTable('users').set({ display_name_ct: 'v1.garbage' }).where('id', '=', 'm-001').execute();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** The console in a page of its own, signed in with a new session of Ada's. */
  async function openConsole(): Promise<{ page: Page; token: string }> {
    const token = await insertBrowserSession(t.runtime, T, 'ada');
    await browser.context.clearCookies();
    await browser.context.addCookies([
      { name: 'roomlink_session', value: token, url: t.url, httpOnly: true, sameSite: 'Strict' },
    ]);
    const page = await browser.context.newPage();
    expect((await page.goto(`${t.url}/admin`))?.status()).toBe(200);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
    return { page, token };
  }
  const status = (page: Page) => page.locator('#status').textContent();
  const endSession = (token: string) =>
    t.runtime.store.db.deleteFrom('sessions').where('token_hash', '=', digest(token)).execute();

  it('signs out of the console only, and shows the sign-in page', async () => {
    const other = await insertBrowserSession(t.runtime, T, 'ada');
    const { page, token } = await openConsole();
    await page.getByRole('button', { name: 'Sign out of the console' }).click();
    await page.getByRole('link', { name: 'Sign in' }).waitFor({ timeout: 10_000 });
    expect(new URL(page.url()).pathname).toBe('/admin');
    expect((await browser.context.cookies(t.url)).map((c) => c.name)).not.toContain('roomlink_session');
    const sessions = t.runtime.store.db.selectFrom('sessions').select('token_hash');
    expect(await sessions.where('token_hash', '=', digest(token)).execute()).toEqual([]);
    // Ada's other session (another browser) still opens the console.
    expect(await sessions.where('token_hash', '=', digest(other)).execute()).toHaveLength(1);
    await page.close();
  });

  it('says a proxy’s HTML error page is not Roomlink’s answer, and that the action may have completed', async () => {
    const { page } = await openConsole();
    await page.route('**/api/v1/admin/settings', (route) =>
      route.request().method() === 'PUT'
        ? route.fulfill({
            status: 504,
            contentType: 'text/html',
            body: '<html><body><h1>504 Gateway Time-out</h1></body></html>',
          })
        : route.continue(),
    );
    await page.getByRole('button', { name: 'Save settings' }).click();
    await expect
      .poll(() => status(page), { timeout: 10_000 })
      .toBe(
        'Not saved: HTTP 504 from a proxy or gateway, not from Roomlink: the action may have completed anyway; ' +
          'reload the page to see.',
      );
    expect(await status(page)).not.toMatch(/JSON|Unexpected token/);
    await page.close();
  });

  it('links to sign in again when the session has ended, keeping what was typed', async () => {
    const { page, token } = await openConsole();
    await endSession(token);
    await page.getByLabel('Digits in host and guest PINs (4 to 10)').fill('9');
    await page.getByRole('button', { name: 'Save settings' }).click();
    const link = page.locator('#status').getByRole('link', { name: 'Sign in again' });
    await link.waitFor({ timeout: 10_000 });
    await expect(link.getAttribute('href')).resolves.toBe('/auth/signin?lang=en');
    expect(await status(page)).toMatch(/^Not saved: your console session has ended\./);
    await expect(page.getByLabel('Digits in host and guest PINs (4 to 10)').inputValue()).resolves.toBe('9');
    await page.close();
  });

  it('reports an export it cannot make instead of a download failing silently', async () => {
    const downloads: string[] = [];
    const { page, token } = await openConsole();
    page.on('download', (d) => downloads.push(d.suggestedFilename()));

    // Another export running: the server's refusal is said.
    await page.route('**/api/v1/admin/export', (route) =>
      route.fulfill({
        status: 429,
        contentType: 'application/problem+json',
        headers: { 'retry-after': '30' },
        body: JSON.stringify({
          type: 'https://roomlink.dev/problems/export-in-progress',
          title: 'Another export is running',
          status: 429,
          code: 'export_in_progress',
          detail: 'another export of an organisation’s data is running on this server',
        }),
      }),
    );
    await page.getByRole('link', { name: 'Export all of the organisation’s data' }).click();
    await expect
      .poll(() => status(page), { timeout: 10_000 })
      .toBe(
        "Could not export all of the organisation's data: another export of an organisation’s data is running on this server",
      );
    await page.unroute('**/api/v1/admin/export');

    // The session ended: said, with the way back, and no broken download.
    await endSession(token);
    await page.getByRole('link', { name: 'Export the data of Member 0', exact: true }).click();
    await page.locator('#status').getByRole('link', { name: 'Sign in again' }).waitFor({ timeout: 10_000 });
    expect(await status(page)).toMatch(
      /^Could not export the data of Member 0: your console session has ended\./,
    );
    expect(downloads).toEqual([]);
    await page.close();
  });

  it('downloads the organisation’s data as one JSON file', async () => {
    const { page } = await openConsole();
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 20_000 }),
      page.getByRole('link', { name: 'Export all of the organisation’s data' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`roomlink-tenant-${T}.json`);
    const data = JSON.parse(await readFile((await download.path()) as string, 'utf8'));
    expect(data.tenant.id).toBe(T);
    expect(data.users).toHaveLength(MEMBERS + 1);
    await expect
      .poll(() => status(page), { timeout: 10_000 })
      .toMatch(/^Exported all of the organisation's data/);
    await page.close();
  });

  it('shows times with their zone, and UTC days as UTC', async () => {
    await t.runtime.store.audit.append(
      { tenantId: T, actorId: 'ada', action: 'keys.rotated', details: {} },
      new Date('2026-01-15T15:30:00.000Z'),
    );
    await t.runtime.store.db
      .updateTable('tenants')
      .set({ contract_end: '2026-06-30' })
      .where('id', '=', T)
      .execute();
    const { page } = await openConsole();
    const row = page.locator('#audit-table tr', { hasText: 'keys.rotated' });
    // 15:30 UTC is 10:30 in New York in January, and the zone is named.
    await expect(row.locator('td').first().textContent()).resolves.toMatch(
      /^15 Jan 2026, 10:30 (GMT-5|EST)$/,
    );
    await expect(page.locator('#retention-facts').textContent()).resolves.toMatch(
      /Contract end recorded: 2026-06-30 \(UTC\); data deletion on \d{4}-\d{2}-\d{2} \(UTC\)\./,
    );
    await page.close();
  });

  it('lists users a page at a time, and says which names are unreadable', async () => {
    const { page } = await openConsole();
    const rows = page.locator('#users-table tbody tr');
    await expect(rows.count()).resolves.toBe(100);
    await expect(page.locator('#users-table caption').textContent()).resolves.toBe(
      `Showing 100 of ${MEMBERS + 1} users, oldest first`,
    );
    await page.getByRole('button', { name: 'Show more users' }).click();
    await expect.poll(() => rows.count(), { timeout: 10_000 }).toBe(MEMBERS + 1);
    await expect(page.locator('#users-table caption').textContent()).resolves.toBe(`${MEMBERS + 1} users`);
    await expect(page.getByRole('button', { name: 'Show more users' }).isHidden()).resolves.toBe(true);
    // Each user once.
    const ids = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-user-id')));
    expect(new Set(ids).size).toBe(MEMBERS + 1);
    await expect(page.locator('tr[data-user-id="m-001"] td').first().textContent()).resolves.toBe(
      '(unreadable)',
    );
    await page.close();
  });

  it('says what an erasure leaves, and warns of rooms it could not end', async () => {
    const { page } = await openConsole();
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.accept();
    });
    // The erasure's answer when a room could not be ended (test/admin-erase-report.test.ts makes one).
    await page.route('**/api/v1/admin/users/m-002', (route) =>
      route.request().method() === 'DELETE'
        ? route.fulfill({
            status: 200,
            contentType: 'application/json',
            body: JSON.stringify({ userId: 'm-002', meetings: 3, rows: {}, roomsNotEnded: 2 }),
          })
        : route.continue(),
    );
    await page.getByRole('button', { name: 'Erase Member 2', exact: true }).click();
    await expect
      .poll(() => status(page), { timeout: 10_000 })
      .toMatch(/^Erased Member 2: 3 meetings deleted\./);
    expect(await status(page)).toContain('Warning: 2 rooms of theirs could not be ended');
    expect(await page.locator('#status').getAttribute('class')).toContain('fail');
    expect(dialogs[0]).toContain('join links already sent stop working');
    expect(dialogs[0]).toContain('audit log entries about them');
    expect(dialogs[0]).toContain('Roomlink creates a new user for them');
    expect(dialogs[0]).toContain('cannot be undone');
    await page.close();
  });
});
