/**
 * The admin console as `npm start` serves it in demo mode: serve() with productFeatures (identity
 * and Graph emulators on the same port, calendar sync, retention), real HTTP and headless Chromium.
 * A Global Administrator of the identity emulator (`wids`) signs in through the browser flow and
 * reaches the console, which shows users' calendar sync status; a member is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scriptedSignIn } from '../src/identity/scripted-sign-in.js';
import { type DemoServer, startDemoServer } from './browser/demo-sandbox.js';
import { insertBrowserSession } from './support/admin.js';
import { launchChromium } from './support/chromium.js';
import { eventually } from './sync-harness.js';

const ADMIN = { upn: 'megan@contoso.example', button: /Sign in as Megan Bowen/ };
const MEMBER = { upn: 'adele@contoso.example', button: /Sign in as Adele Vance/ };

describe('admin console in the product (demo mode)', () => {
  let server: DemoServer;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  beforeAll(async () => {
    server = await startDemoServer();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('serves /admin and its API to tenant admins only', async () => {
    const anonymous = await fetch(new URL('admin', server.baseUrl));
    expect(anonymous.status).toBe(200); // a page inviting to sign in; the API below answers 401
    expect(await anonymous.text()).toContain('href="/auth/signin?lang=en"');
    expect((await fetch(new URL('api/v1/admin/users', server.baseUrl))).status).toBe(401);

    const member = await scriptedSignIn(server.baseUrl, MEMBER.upn);
    expect((await server.api('admin', member.token)).status).toBe(403);
    // The admin API takes the console's session only: an add-in token is no credential there.
    const refused = await server.api('api/v1/admin/users', member.token);
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { detail: string }).detail).toContain('not an add-in token');

    const admin = await scriptedSignIn(server.baseUrl, ADMIN.upn);
    // The add-in's session is not the console's, even for a Global Administrator.
    expect((await server.api('admin', admin.token)).status).toBe(403);
    expect((await server.api('api/v1/admin/users', admin.token)).status).toBe(401);
    const consoleSession = await insertBrowserSession(server.runtime, admin.user.tenantId, admin.user.id);
    const console = (path: string) =>
      fetch(new URL(path, server.baseUrl), {
        headers: { accept: 'application/json', cookie: `roomlink_session=${consoleSession}` },
      });
    expect((await console('admin')).status).toBe(200);
    // Signing in started calendar sync: the console shows it from sync_users.
    const users = await eventually(
      async () => {
        const response = await console('api/v1/admin/users');
        expect(response.status).toBe(200);
        const body = (await response.json()) as {
          users: { id: string; upn: string | null; status: string; sync: { status: string } }[];
        };
        return body.users.find((u) => u.id === member.user.id)?.sync.status === 'syncing'
          ? body.users
          : undefined;
      },
      10_000,
      'sync status in the users list',
    );
    expect(users.find((u) => u.id === member.user.id)).toMatchObject({
      upn: MEMBER.upn,
      status: 'signed_in',
    });
    // Another tenant's admin sees none of Contoso's users.
    const fabrikam = await scriptedSignIn(server.baseUrl, 'diego@fabrikam.example');
    const theirSession = await insertBrowserSession(server.runtime, fabrikam.user.tenantId, fabrikam.user.id);
    const theirList = await fetch(new URL('api/v1/admin/users', server.baseUrl), {
      headers: { accept: 'application/json', cookie: `roomlink_session=${theirSession}` },
    });
    expect(theirList.status).toBe(200);
    const theirs = (await theirList.json()) as { users: { id: string }[] };
    expect(theirs.users.map((u) => u.id)).not.toContain(member.user.id);
  });

  it('signs a Global Administrator in through the browser flow into the console; refuses a member', async () => {
    const { context } = browser;
    await context.clearCookies();
    const page = await context.newPage();
    await page.goto(new URL('auth/signin', server.baseUrl).toString());
    await page.getByRole('button', { name: ADMIN.button }).click();
    await page.waitForURL(/\/admin$/);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
    const row = page.locator('#users-table tr', { hasText: ADMIN.upn });
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.locator('td.sync').getAttribute('data-sync')).toBe('syncing');
    await page.close();

    await context.clearCookies();
    const other = await context.newPage();
    await other.goto(new URL('auth/signin', server.baseUrl).toString());
    const [response] = await Promise.all([
      other.waitForResponse((r) => new URL(r.url()).pathname === '/admin'),
      other.getByRole('button', { name: MEMBER.button }).click(),
    ]);
    expect(response.status()).toBe(403);
    await expect.poll(() => other.locator('h1').textContent()).toBe('You are not a tenant admin');
    await other.close();
  });
});
