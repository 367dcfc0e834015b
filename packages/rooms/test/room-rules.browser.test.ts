/**
 * The join page in headless Chromium when the organizer changes the meeting while the pre-join form
 * sits open: a guest PIN added or dropped, the lobby turned on, the times moved. The form follows the
 * room's rules as they are when the visitor presses Join (or shows the tab again), never as the page
 * loaded them.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RoomInfo } from '../src/server/directory.js';
import { format } from '../src/web/texts.js';
import { buildWebClient, launchChromium, newParticipantPage } from './browser.js';
import { MapDirectory, startServer, type TestServer } from './helpers.js';

const GUEST_PIN = '771204';
const PIN_NOW_REQUIRED = format('en', 'pinNowRequired');
const PIN_NO_LONGER_ASKED = format('en', 'pinNoLongerAsked');

const directory = new MapDirectory();
let server: TestServer;
let chromium: { browser: Browser; close(): Promise<void> };
let web: { root: string; remove(): Promise<void> };
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  [web, chromium] = await Promise.all([buildWebClient(), launchChromium()]);
  server = await startServer({ directory, webRoot: web.root, pinAttempts: 3, lockoutMinutes: 15 });
}, 60_000);

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close().catch(() => undefined)));
});

afterAll(async () => {
  await chromium?.close();
  await server?.close();
  await web?.remove();
});

/** The page at its pre-join form. */
async function openForm(slug: string): Promise<Page> {
  const page = await openPage(slug);
  await page.getByLabel('Your name').waitFor();
  return page;
}

async function openPage(slug: string): Promise<Page> {
  const { context, page } = await newParticipantPage(chromium.browser);
  contexts.push(context);
  await page.goto(`${server.baseUrl}/m/${slug}`);
  return page;
}

/** What the organizer's edit does: the meeting changes in the directory, then the core rechecks the room. */
async function organizerChanges(slug: string, change: Partial<RoomInfo>): Promise<void> {
  const info = directory.rooms.get(slug);
  if (!info) throw new Error('room missing');
  directory.rooms.set(slug, { ...info, ...change });
  // Nobody is in the room: the visitor at the form is not the server's to tell.
  expect(await server.rooms.recheckRoom(slug)).toBe(0);
}

/**
 * The tab is shown again. Headless Chromium never hides a tab, so the event comes from the test; the
 * page reads document.visibilityState, which is 'visible'.
 */
async function showTabAgain(page: Page): Promise<void> {
  // A string, evaluated in the page: this file is type-checked without the DOM's types.
  await page.evaluate("document.dispatchEvent(new Event('visibilitychange'))");
}

const pressJoin = (page: Page) => page.getByRole('button', { name: 'Join', exact: true }).click();
const alertText = (page: Page) => page.getByRole('alert').textContent();
const focusedId = (page: Page) => page.evaluate<string | undefined>('document.activeElement?.id');
const inCall = (page: Page) => page.getByRole('button', { name: 'Leave' }).waitFor({ state: 'visible' });

describe('a guest PIN the organizer asks for after the page loaded', () => {
  it('Join shows the PIN field and says why, keeping the name; the PIN then gets the guest in', async () => {
    const slug = directory.add();
    const page = await openForm(slug);
    await page.getByLabel('Host PIN (hosts only)').waitFor();
    await organizerChanges(slug, { guestPin: GUEST_PIN });

    await page.getByLabel('Your name').fill('Ada');
    await pressJoin(page);
    await expect.poll(() => alertText(page)).toBe(PIN_NOW_REQUIRED);
    // The field is the guests' now, and has the focus; what was typed stays.
    const pin = page.getByLabel('Meeting PIN');
    await pin.waitFor();
    expect(await page.locator('#pin-hint').textContent()).toBe(
      'The PIN in your invitation. Hosts: enter your host PIN here.',
    );
    expect(await focusedId(page)).toBe('pin-input');
    expect(await page.getByLabel('Your name').inputValue()).toBe('Ada');

    await pin.fill(GUEST_PIN);
    await pressJoin(page);
    await inCall(page);
  }, 60_000);

  it('when the change came after the page last read the room, the server’s answer does the same', async () => {
    const slug = directory.add();
    const page = await openForm(slug);
    const loaded = { state: 'open', guestPinRequired: false, lobby: false };
    // The page's read before the join still gets the rules it loaded with (the organizer saved just
    // after it): the server's pin_required is what tells the page.
    const statusUrl = `${server.baseUrl}/api/v1/rooms/${slug}`;
    await page.route(statusUrl, (route) => route.fulfill({ json: loaded }));
    await organizerChanges(slug, { guestPin: GUEST_PIN });

    await page.getByLabel('Your name').fill('Ada');
    await pressJoin(page);
    await expect.poll(() => alertText(page)).toBe(PIN_NOW_REQUIRED);
    await page.unroute(statusUrl);
    const pin = page.getByLabel('Meeting PIN');
    await pin.waitFor();
    expect(await focusedId(page)).toBe('pin-input');
    expect(await page.getByLabel('Your name').inputValue()).toBe('Ada');

    await pin.fill(GUEST_PIN);
    await pressJoin(page);
    await inCall(page);
  }, 60_000);

  it('in French too', async () => {
    const slug = directory.add();
    const { context, page } = await newParticipantPage(chromium.browser);
    contexts.push(context);
    await page.goto(`${server.baseUrl}/m/${slug}?lang=fr`);
    await page.getByLabel('Votre nom').fill('Zoé');
    await organizerChanges(slug, { guestPin: GUEST_PIN });
    await page.getByRole('button', { name: 'Rejoindre', exact: true }).click();
    await expect.poll(() => alertText(page)).toBe(format('fr', 'pinNowRequired'));
    await page.getByLabel('Code PIN de la réunion').waitFor();
  }, 60_000);
});

describe('a guest PIN the organizer dropped after the page loaded', () => {
  it('a guest without the PIN gets in, rather than being asked for one the room no longer takes', async () => {
    const slug = directory.add({ guestPin: GUEST_PIN });
    const page = await openForm(slug);
    await page.getByLabel('Meeting PIN').waitFor();
    await organizerChanges(slug, { guestPin: null });

    await page.getByLabel('Your name').fill('Bob');
    await pressJoin(page);
    await inCall(page);
  }, 60_000);

  it('a guest who typed the old PIN is told once, spends no attempt, and gets in without it', async () => {
    const slug = directory.add({ guestPin: GUEST_PIN });
    const page = await openForm(slug);
    await page.getByLabel('Your name').fill('Bob');
    await page.getByLabel('Meeting PIN').fill(GUEST_PIN);
    await organizerChanges(slug, { guestPin: null });

    const sockets: string[] = [];
    page.on('websocket', (socket) => sockets.push(socket.url()));
    await pressJoin(page);
    await expect.poll(() => alertText(page)).toBe(PIN_NO_LONGER_ASKED);
    // Stopped before any join: the old guest PIN is no wrong PIN counted towards the lockout.
    expect(sockets).toEqual([]);
    const pin = page.getByLabel('Host PIN (hosts only)');
    await pin.waitFor();
    expect(await pin.inputValue()).toBe(GUEST_PIN);
    expect(await focusedId(page)).toBe('pin-input');

    await pin.fill('');
    await pressJoin(page);
    await inCall(page);
  }, 60_000);
});

describe('the tab shown again after the organizer changed the meeting', () => {
  it('the form tells of a lobby turned on and of a guest PIN now asked, before Join', async () => {
    const slug = directory.add();
    const page = await openForm(slug);
    const hint = page.locator('#pin-hint');
    expect(await hint.textContent()).toBe('Guests leave this empty.');

    await organizerChanges(slug, { lobby: true });
    await showTabAgain(page);
    await expect.poll(() => hint.textContent()).toBe('Guests leave this empty. A host lets guests in.');
    expect(await alertText(page)).toBe('');

    await organizerChanges(slug, { guestPin: GUEST_PIN });
    await showTabAgain(page);
    await page.getByLabel('Meeting PIN').waitFor();
    await expect.poll(() => alertText(page)).toBe(PIN_NOW_REQUIRED);

    await page.getByLabel('Your name').fill('Ida');
    await page.getByLabel('Meeting PIN').fill(GUEST_PIN);
    await pressJoin(page);
    await page.getByText('Waiting to be let in').waitFor();
  }, 60_000);

  it('a room that was not open yet, moved to now, shows the form then, not at its old time', async () => {
    const tomorrow = Date.now() + 86_400_000;
    const slug = directory.add({ startsAt: new Date(tomorrow), endsAt: new Date(tomorrow + 3_600_000) });
    const page = await openPage(slug);
    await page.getByText(/^The room opens .+\. This page lets you in then\.$/).waitFor();

    const now = Date.now();
    await organizerChanges(slug, { startsAt: new Date(now - 60_000), endsAt: new Date(now + 3_600_000) });
    await showTabAgain(page);
    await page.getByLabel('Your name').fill('Ada');
    await pressJoin(page);
    await inCall(page);
  }, 60_000);

  it('a room cancelled meanwhile says so at once', async () => {
    const slug = directory.add();
    const page = await openForm(slug);
    await organizerChanges(slug, { status: 'cancelled' });
    await showTabAgain(page);
    await page.getByText('This meeting was cancelled. It cannot be joined.').waitFor();
  }, 60_000);
});
