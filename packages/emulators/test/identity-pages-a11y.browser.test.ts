/**
 * The identity emulator's own pages are usable with a screen reader: axe-core (WCAG 2.1 A and AA
 * rules) finds nothing on the account picker (as it first shows, with the notice of an unknown
 * login_hint, for admin consent, and with the users of several tenants), on its error page and on
 * its signed-out page. Each picker button's accessible name contains what it shows (Label in Name)
 * and still starts with "Sign in as", which the sign-in flows of the other packages' tests click.
 */
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../../scripts/chromium.mjs';
import { axeViolations } from '../../../test-setup/axe.js';
import {
  DEMO_TENANTS,
  DEMO_USERS,
  type RunningIdentityEmulator,
  startIdentityEmulator,
  type TestTenant,
  type TestUser,
} from '../src/identity/index.js';

const CLIENT_ID = '0c3f4a5b-6d7e-4f80-9a1b-2c3d4e5f6a7b';
const REDIRECT_URI = 'http://127.0.0.1:9/auth/callback';
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

/** A third tenant with no admin and a name that needs escaping, and a fourth with nobody in it. */
const NORTHWIND: TestTenant = { id: '3c2b1a09-8f7e-4d6c-8b5a-493827160504', name: 'Northwind & Sons' };
const EMPTY: TestTenant = { id: '4d3c2b1a-0f9e-4e7d-9c6b-5a4938271605', name: 'Empty' };
const MANY_TENANT_USERS: readonly TestUser[] = [
  ...DEMO_USERS,
  {
    oid: '3a2b1c0d-9e8f-4a7b-8c6d-5e4f3a2b1c01',
    tenantId: NORTHWIND.id,
    upn: 'zoë.o’brien@northwind.example',
    name: 'Zoë O’Brien',
  },
];

let demo: RunningIdentityEmulator;
let many: RunningIdentityEmulator;
let chromium: { context: BrowserContext; close(): Promise<void> };
const pages: Page[] = [];

beforeAll(async () => {
  const clients = [{ clientId: CLIENT_ID, redirectUris: [REDIRECT_URI] }];
  [demo, many, chromium] = await Promise.all([
    startIdentityEmulator({ clients }),
    startIdentityEmulator({
      clients,
      users: MANY_TENANT_USERS,
      tenants: [...DEMO_TENANTS, NORTHWIND, EMPTY],
    }),
    launchChromium(),
  ]);
});
afterEach(async () => {
  await Promise.all(pages.splice(0).map((page) => page.close()));
});
afterAll(async () => {
  await chromium?.close();
  await demo?.close();
  await many?.close();
});

/** The authorize (or admin consent) URL of `run`, for the registered client, with `extra` params. */
function pickerUrl(
  run: RunningIdentityEmulator,
  extra: Record<string, string> = {},
  endpoint = 'oauth2/v2.0/authorize',
): string {
  const url = new URL(`${run.baseUrl}/organizations/${endpoint}`);
  const params = {
    client_id: CLIENT_ID,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: 'openid profile',
    state: 'a11y',
    code_challenge: CHALLENGE,
    code_challenge_method: 'S256',
    ...extra,
  };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  return url.toString();
}

async function open(url: string): Promise<Page> {
  const page = await chromium.context.newPage();
  pages.push(page);
  await page.goto(url);
  return page;
}

describe('the identity emulator’s pages in Chromium', () => {
  it('has no axe violation on the account picker as it first shows', async () => {
    const page = await open(pickerUrl(demo));
    expect(await page.getByRole('button').count()).toBe(DEMO_USERS.length);
    expect(await axeViolations(page)).toEqual([]);
  });

  it('has no axe violation on the picker with the notice of an unknown account', async () => {
    const page = await open(pickerUrl(demo, { login_hint: 'nobody@contoso.example' }));
    expect(await page.getByRole('status').textContent()).toContain('not one of the test users');
    expect(await axeViolations(page)).toEqual([]);
  });

  it('has no axe violation on the admin consent picker', async () => {
    const page = await open(
      pickerUrl(demo, { scope: 'https://graph.microsoft.com/.default' }, 'v2.0/adminconsent'),
    );
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('Permissions requested');
    expect(await axeViolations(page)).toEqual([]);
  });

  it('has no axe violation on the picker with the users of several tenants', async () => {
    const page = await open(pickerUrl(many));
    const groups = page.getByRole('region');
    expect(await groups.count()).toBe(3);
    expect(await groups.nth(2).getByRole('heading').textContent()).toBe(NORTHWIND.name);
    expect(await axeViolations(page)).toEqual([]);
  });

  it('names each picker button by whom it signs in, the words the sign-in tests click', async () => {
    const page = await open(pickerUrl(demo));
    for (const who of DEMO_USERS) {
      const button = page.getByRole('button', { name: `Sign in as ${who.name} (${who.upn})` });
      expect(await button.count()).toBe(1);
      expect(await button.getAttribute('value')).toBe(who.upn);
    }
    const admin = page.getByRole('button', { name: /Sign in as Megan Bowen/ });
    expect(await admin.getAttribute('aria-label')).toContain('Global Administrator');
  });

  it('has no axe violation on the error page', async () => {
    const page = await open(pickerUrl(demo, { client_id: 'f0000000-0000-4000-8000-000000000000' }));
    expect(await page.getByRole('alert').textContent()).toMatch(/^AADSTS\d+/);
    expect(await axeViolations(page)).toEqual([]);
  });

  it('has no axe violation on the signed-out page', async () => {
    const page = await open(`${demo.baseUrl}/organizations/oauth2/v2.0/logout`);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(
      'You signed out of your account',
    );
    expect(await axeViolations(page)).toEqual([]);
  });
});
