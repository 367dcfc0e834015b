/**
 * The join page is usable with a screen reader and with the keyboard alone, in English and French:
 * axe-core (WCAG 2.1 A and AA rules) finds nothing in any state a guest or a host meets (PIN entry,
 * a wrong PIN, the lobby, the call with a chat message, a host with someone in the lobby, the
 * ended, cancelled, closed and not-yet-open pages), and a guest joins, chats, mutes and leaves, and a
 * host admits someone, by keyboard only.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { axeViolations, focusRing } from '../../../test-setup/axe.js';
import type { Language } from '../src/shared/language.js';
import { format, type MessageKey } from '../src/web/texts.js';
import { buildWebClient, launchChromium, newParticipantPage } from './browser.js';
import { MapDirectory, startServer, type TestServer } from './helpers.js';

const HOST_PIN = '482913';
const GUEST_PIN = '771204';

const directory = new MapDirectory();
let server: TestServer;
let chromium: { browser: Browser; close(): Promise<void> };
let web: { root: string; remove(): Promise<void> };
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  [web, chromium] = await Promise.all([buildWebClient(), launchChromium()]);
  server = await startServer({
    directory,
    webRoot: web.root,
    maxParticipants: 4,
    pinAttempts: 5,
    lockoutMinutes: 15,
  });
}, 60_000);

afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close().catch(() => undefined)));
});

afterAll(async () => {
  await chromium?.close();
  await server?.close();
  await web?.remove();
});

async function openPage(slug: string, language: Language): Promise<Page> {
  const { context, page } = await newParticipantPage(chromium.browser);
  contexts.push(context);
  await page.goto(`${server.baseUrl}/m/${slug}?lang=${language}`);
  return page;
}

/** What the page's element with `id` says, trimmed. */
function textOf(page: Page, id: string): Promise<string> {
  return page.evaluate(
    `document.getElementById(${JSON.stringify(id)}).textContent.trim()`,
  ) as Promise<string>;
}

/** The focused element: its id, else its aria-label, else its text. */
function focused(page: Page): Promise<string> {
  return page.evaluate(
    "(() => { const e = document.activeElement; return e ? e.id || e.getAttribute('aria-label') || e.textContent.trim() : ''; })()",
  ) as Promise<string>;
}

async function fillForm(page: Page, name: string, pin = ''): Promise<void> {
  await page.locator('#name-input').fill(name);
  if (pin) await page.locator('#pin-input').fill(pin);
  await page.locator('#join-button').click();
}

async function inCall(page: Page): Promise<void> {
  await page.locator('#call-leave').waitFor({ state: 'visible' });
}

/** No violation in the light colour scheme, nor in the dark one (the page has its own colours for it). */
async function expectAccessible(page: Page): Promise<void> {
  try {
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme });
      expect(await axeViolations(page), colorScheme).toEqual([]);
    }
  } finally {
    await page.emulateMedia({ colorScheme: null });
  }
}

/**
 * Presses Tab (Shift+Tab when `back`) until the focused element is `target` (as `focused` names
 * it); fails after `max` presses.
 */
async function tabTo(page: Page, target: string, options: { back?: boolean; max?: number } = {}) {
  const { back = false, max = 40 } = options;
  for (let i = 0; i < max; i++) {
    if ((await focused(page)) === target) return;
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
  }
  expect(await focused(page)).toBe(target);
}

describe.each(['en', 'fr'] as const)('axe finds no WCAG 2.1 A/AA violation (%s)', (language) => {
  const say = (key: MessageKey, vars?: Record<string, string | number>) => format(language, key, vars);

  it('on the PIN entry form, after a wrong PIN, and in the page’s language', async () => {
    const slug = directory.add({ guestPin: GUEST_PIN });
    const page = await openPage(slug, language);
    await page.locator('#pin-input').waitFor({ state: 'visible' });
    await expect.poll(() => textOf(page, 'pin-label')).toBe(say('pinLabel'));
    // The devices are listed once the camera and microphone started.
    await expect.poll(() => page.locator('#camera-select option').count()).toBeGreaterThan(0);
    expect(await page.evaluate('document.documentElement.lang')).toBe(language);
    await expectAccessible(page);

    await fillForm(page, 'Ada', '000000');
    await expect.poll(() => textOf(page, 'join-error')).toBe(say('wrongPin', { remaining: 4 }));
    // The error is read out with the field it is about: focus is on the PIN, described by the error.
    expect(await focused(page)).toBe('pin-input');
    expect(await page.locator('#pin-input').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#pin-input').getAttribute('aria-describedby')).toBe('pin-hint join-error');
    expect(await page.locator('#name-input').getAttribute('aria-invalid')).toBeNull();
    await expectAccessible(page);
  }, 60_000);

  it('in the lobby, for the guest waiting and for the host who admits them; in the call with a chat message', async () => {
    const slug = directory.add({ lobby: true });
    const host = await openPage(slug, language);
    const guest = await openPage(slug, language);

    await fillForm(host, 'Hana', HOST_PIN);
    await inCall(host);
    await fillForm(guest, 'Gus');
    await guest.locator('#view-waiting').waitFor({ state: 'visible' });
    await expect.poll(() => textOf(guest, 'waiting-text')).toBe(say('waiting'));
    // Focus on the lobby's heading, so that a screen reader says where the guest now is.
    expect(await focused(guest)).toBe('waiting-heading');
    await expectAccessible(guest);

    const admit = host.getByRole('button', { name: say('admitLabel', { name: 'Gus' }), exact: true });
    await admit.waitFor();
    await expect.poll(() => textOf(host, 'call-notice')).toBe(say('lobbyNotice', { name: 'Gus' }));
    await expectAccessible(host);

    await admit.click();
    await inCall(guest);
    // Told they are in, through the page's live region.
    await expect.poll(() => textOf(guest, 'announcer')).toBe(say('joinedMeeting'));
    await host.locator('#chat-input').fill('Welcome, Gus');
    await host.keyboard.press('Enter');
    await expect
      .poll(() => guest.locator('#chat-log .chat-text').allTextContents())
      .toEqual(['Welcome, Gus']);
    await guest.locator('#settings summary').click();
    await guest.locator('#settings[open] #camera-select').waitFor();
    await expectAccessible(guest);
    await expectAccessible(host);

    // The host leaves: the page that says so has nothing to fix either.
    await host.locator('#call-leave').click();
    await expect.poll(() => textOf(host, 'message-text')).toBe(say('leftMeeting'));
    await expectAccessible(host);
  }, 90_000);

  it('when the meeting is cancelled during the call, and on cancelled, closed and not-yet-open rooms', async () => {
    const slug = directory.add();
    const page = await openPage(slug, language);
    await fillForm(page, 'Ada');
    await inCall(page);
    server.rooms.closeRoom(slug);
    await expect.poll(() => textOf(page, 'message-text')).toBe(say('endedCancelled'));
    expect(await focused(page)).toBe('message-heading');
    await expectAccessible(page);

    const now = Date.now();
    const rooms: [string, MessageKey][] = [
      [directory.add({ status: 'cancelled' }), 'cancelled'],
      [directory.add({ startsAt: new Date(now - 7200_000), endsAt: new Date(now - 3600_000) }), 'closed'],
    ];
    for (const [other, key] of rooms) {
      await page.goto(`${server.baseUrl}/m/${other}?lang=${language}`);
      await expect.poll(() => textOf(page, 'message-text')).toBe(say(key));
      await expectAccessible(page);
    }
    const later = directory.add({
      startsAt: new Date(now + 86_400_000),
      endsAt: new Date(now + 90_000_000),
    });
    await page.goto(`${server.baseUrl}/m/${later}?lang=${language}`);
    await page.locator('#message-action').waitFor({ state: 'visible' });
    expect(await textOf(page, 'message-action')).toBe(say('checkAgain'));
    await expectAccessible(page);
  }, 60_000);
});

/** The focused element shows a solid ring of 2px or more at 3:1 or more against its background. */
async function expectVisibleFocus(page: Page): Promise<void> {
  const ring = await focusRing(page);
  expect(ring.style, await focused(page)).toBe('solid');
  expect(ring.width, await focused(page)).toBeGreaterThanOrEqual(2);
  expect(ring.contrast, await focused(page)).toBeGreaterThanOrEqual(3);
}

describe('by keyboard only', () => {
  const say = (key: MessageKey, vars?: Record<string, string | number>) => format('en', key, vars);

  it('a guest joins through the lobby, chats, mutes, unmutes and leaves; the host admits them; focus follows and shows', async () => {
    const slug = directory.add({ guestPin: GUEST_PIN, lobby: true });
    const host = await openPage(slug, 'en');
    const guest = await openPage(slug, 'en');

    // The form opens with the name field focused; Tab reaches the PIN, Enter joins.
    for (const [page, name, pin] of [
      [host, 'Hana', HOST_PIN],
      [guest, 'Gus', GUEST_PIN],
    ] as const) {
      await expect.poll(() => focused(page)).toBe('name-input');
      await page.keyboard.type(name);
      await tabTo(page, 'pin-input');
      await expectVisibleFocus(page);
      await page.keyboard.type(pin);
      await tabTo(page, 'join-button');
      await expectVisibleFocus(page);
      if (page === host) {
        await page.keyboard.press('Enter');
        await inCall(host);
        // In the call, focus is on the first control, and the page says the visitor is in.
        await expect.poll(() => focused(host)).toBe('call-mic');
        await expect.poll(() => textOf(host, 'announcer')).toBe(say('joinedMeeting'));
      }
    }
    await guest.keyboard.press('Enter');
    await guest.locator('#view-waiting').waitFor({ state: 'visible' });
    await expect.poll(() => focused(guest)).toBe('waiting-heading');
    expect(await guest.locator('#waiting-text').getAttribute('role')).toBe('status');

    // The host hears of Gus through a status region, and reaches Admit with Shift+Tab from the controls.
    await expect.poll(() => textOf(host, 'call-notice')).toBe(say('lobbyNotice', { name: 'Gus' }));
    expect(await host.locator('#call-notice').getAttribute('role')).toBe('status');
    await tabTo(host, say('admitLabel', { name: 'Gus' }), { back: true });
    await expectVisibleFocus(host);
    await host.keyboard.press('Enter');
    await inCall(guest);
    await expect.poll(() => focused(guest)).toBe('call-mic');
    await expectVisibleFocus(guest);
    await expect.poll(() => textOf(guest, 'announcer')).toBe(say('joinedMeeting'));
    await expect.poll(() => focused(host)).toBe('participants-heading');

    // Chat: Shift+Tab to the message field, type, Enter; the host's chat log (a live region) has it.
    await tabTo(guest, 'chat-input', { back: true });
    await expectVisibleFocus(guest);
    await guest.keyboard.type('Hello by keyboard');
    await guest.keyboard.press('Enter');
    await expect
      .poll(() => host.locator('#chat-log .chat-text').allTextContents())
      .toEqual(['Hello by keyboard']);
    expect(await host.locator('#chat-scroll').getAttribute('role')).toBe('log');

    // Mute and unmute with Enter and Space; the host sees both.
    const hostSees = () => host.locator('#participant-list').textContent();
    await tabTo(guest, 'call-mic');
    await guest.keyboard.press('Enter');
    await expect.poll(() => textOf(guest, 'call-mic')).toBe(say('micOff'));
    await expect.poll(hostSees).toContain(say('muted'));
    await guest.keyboard.press('Space');
    await expect.poll(() => textOf(guest, 'call-mic')).toBe(say('micOn'));
    await expect.poll(hostSees).not.toContain(say('muted'));

    // Leave: the page says so, with focus on its heading, and Join again is the next stop.
    await tabTo(guest, 'call-leave');
    await expectVisibleFocus(guest);
    await guest.keyboard.press('Enter');
    await expect.poll(() => textOf(guest, 'message-text')).toBe(say('leftMeeting'));
    expect(await focused(guest)).toBe('message-heading');
    await guest.keyboard.press('Tab');
    expect(await focused(guest)).toBe('message-action');
    expect(await textOf(guest, 'message-action')).toBe(say('rejoin'));
    await expectVisibleFocus(guest);
    await expect
      .poll(() => host.locator('#participants-heading').textContent())
      .toBe(say('participantsCount', { count: 1 }));
  }, 90_000);
});
