/**
 * The join page in headless Chromium when the server refuses its signalling upgrade 429 before the
 * handshake (its address at the socket cap, or connecting too often). The browser never sees that
 * status; the page asks the admission route why, says so, and joins by itself once Retry-After has
 * passed. The page's timers run on Playwright's clock, the server's budget on a clock of the test's.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWebClient, launchChromium, newParticipantPage } from './browser.js';
import { MapDirectory, startServer, type TestServer, TestSocket, upgrade } from './helpers.js';

const directory = new MapDirectory();
let chromium: Awaited<ReturnType<typeof launchChromium>>;
let web: Awaited<ReturnType<typeof buildWebClient>>;

beforeAll(async () => {
  [web, chromium] = await Promise.all([buildWebClient(), launchChromium()]);
}, 60_000);

afterAll(async () => {
  await chromium?.close();
  await web?.remove();
});

/**
 * A server on a clock that stands still until the test moves it, so that no budget refills on its
 * own. The page and the test's own sockets come from one address (127.0.0.1), which may hold one
 * socket and open two new ones at once, then one every 10 s.
 */
async function stillServer() {
  let now = Date.now();
  const server = await startServer({
    directory,
    webRoot: web.root,
    maxSocketsPerClient: 1,
    now: () => new Date(now),
  });
  return { server, advance: (ms: number) => (now += ms) };
}

/**
 * Test-only instrumentation: counts the signalling sockets the page opens, at once as it opens them,
 * so that "no new try yet" can be read right after the clock ran (no wait for the server to see one).
 */
const COUNT_SOCKETS = `(() => {
  const Native = window.WebSocket;
  window.__socketsOpened = 0;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      window.__socketsOpened += 1;
    }
  };
})();`;

const socketsOpened = (page: Page) => page.evaluate('window.__socketsOpened') as Promise<number>;

/**
 * The page's Math.random, which spreads its retries (retryDelayMs), gives what the test last set:
 * 0 (no spread) until it sets another.
 */
const FIXED_RANDOM = `(() => {
  window.__random = 0;
  Math.random = () => window.__random;
})();`;

const setRandom = (page: Page, value: number) =>
  page.evaluate(`window.__random = ${JSON.stringify(value)}`) as Promise<unknown>;

/** A page of the room whose timers fire only when the test runs its clock. */
async function openPausedPage(server: TestServer, slug: string, query = '') {
  const { context, page } = await newParticipantPage(chromium.browser);
  await context.addInitScript(COUNT_SOCKETS);
  await context.addInitScript(FIXED_RANDOM);
  await page.clock.install();
  await page.goto(`${server.baseUrl}/m/${slug}${query}`);
  await page.clock.pauseAt(Date.now() + 1_000);
  return { context, page };
}

/** Presses Join and waits for the page's upgrade to be refused. */
async function joinRefused(page: Page, name: string, label: string, button: string): Promise<void> {
  const refused = page
    .waitForEvent('websocket')
    .then((socket) => new Promise<void>((resolve) => socket.on('close', () => resolve())));
  await page.getByLabel(label).fill(name);
  await page.getByRole('button', { name: button, exact: true }).click();
  await refused;
}

describe('a join page whose upgrade is refused before the handshake', () => {
  it('at the socket cap, says too many connections come from its network, and joins by itself after Retry-After (twice as long, spread, after a second refusal) once a place is free', async () => {
    const { server } = await stillServer();
    const slug = directory.add();
    const holder = await TestSocket.open(server.wsUrl(slug));
    const { context, page } = await openPausedPage(server, slug);
    try {
      await joinRefused(page, 'Ada', 'Your name', 'Join');
      const error = page.locator('#join-error');
      await expect
        .poll(() => error.textContent())
        .toBe('Too many connections from your network right now. This page tries again in 5 seconds.');
      // The form stays usable meanwhile.
      const button = page.locator('#join-button');
      expect(await button.isDisabled()).toBe(false);
      expect(await button.textContent()).toBe('Join');
      expect(server.rooms.counts().sockets).toBe(1);

      // No new try before the 5 s are up; then one, refused again (the place is still held): the
      // next wait is twice as long, and spread by the page's random draw (0.5: a tenth more).
      expect(await socketsOpened(page)).toBe(1);
      await setRandom(page, 0.5);
      await page.clock.runFor(4_999);
      expect(await socketsOpened(page)).toBe(1);
      await page.clock.runFor(1);
      expect(await socketsOpened(page)).toBe(2);
      await expect
        .poll(() => error.textContent())
        .toBe('Too many connections from your network right now. This page tries again in 11 seconds.');

      holder.close();
      await expect.poll(() => server.rooms.counts().sockets).toBe(0);
      // A place is free, but the page waits as it was told: no new try before the 11 s are up.
      await page.clock.runFor(10_999);
      expect(await socketsOpened(page)).toBe(2);
      expect(await error.textContent()).toMatch(/^Too many connections/);
      await page.clock.runFor(1);
      expect(await socketsOpened(page)).toBe(3);
      await page.getByRole('button', { name: 'Leave' }).waitFor({ state: 'visible' });
      expect(server.rooms.counts().participants).toBe(1);
    } finally {
      await context.close();
      await server.close();
    }
  }, 60_000);

  it('connecting too often, says so (in French here) and joins by itself once its budget lets it', async () => {
    const { server, advance } = await stillServer();
    const slug = directory.add();
    for (let i = 0; i < 2; i++) {
      expect(await upgrade(server.wsUrl(slug))).toBe('open');
      await expect.poll(() => server.rooms.counts().sockets).toBe(0);
    }
    const { context, page } = await openPausedPage(server, slug, '?lang=fr');
    try {
      await joinRefused(page, 'Ada', 'Votre nom', 'Rejoindre');
      const error = page.locator('#join-error');
      await expect
        .poll(() => error.textContent())
        .toBe('Connexions trop fréquentes depuis votre réseau. Cette page réessaie dans 10 secondes.');

      await page.clock.runFor(9_999);
      expect(await socketsOpened(page)).toBe(1);
      advance(10_000);
      await page.clock.runFor(1);
      expect(await socketsOpened(page)).toBe(2);
      await page.getByRole('button', { name: 'Quitter' }).first().waitFor({ state: 'visible' });
      expect(server.rooms.counts().participants).toBe(1);
    } finally {
      await context.close();
      await server.close();
    }
  }, 60_000);
});
