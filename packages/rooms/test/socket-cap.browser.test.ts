/**
 * The join page in headless Chromium when its client is at the socket cap: the upgrade is refused 429
 * before the handshake, and the page says the service cannot be reached, on a form that stays usable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWebClient, launchChromium, newParticipantPage } from './browser.js';
import { MapDirectory, startServer, type TestServer, TestSocket } from './helpers.js';

const directory = new MapDirectory();
let server: TestServer;
let chromium: Awaited<ReturnType<typeof launchChromium>>;
let web: Awaited<ReturnType<typeof buildWebClient>>;

beforeAll(async () => {
  [web, chromium] = await Promise.all([buildWebClient(), launchChromium()]);
  // The page and the test's own socket come from one address (127.0.0.1), which may hold one socket.
  server = await startServer({ directory, webRoot: web.root, maxSocketsPerClient: 1 });
}, 60_000);

afterAll(async () => {
  await chromium?.close();
  await server?.close();
  await web?.remove();
});

describe('a client at its socket cap', () => {
  it('is told on the join form that the service cannot be reached, and gets in once a place frees', async () => {
    const slug = directory.add();
    const holder = await TestSocket.open(server.wsUrl(slug));
    const { context, page } = await newParticipantPage(chromium.browser);
    try {
      await page.goto(`${server.baseUrl}/m/${slug}`);
      const refused = page
        .waitForEvent('websocket')
        .then((socket) => new Promise<void>((resolve) => socket.on('close', () => resolve())));
      await page.getByLabel('Your name').fill('Ada');
      await page.getByRole('button', { name: 'Join', exact: true }).click();
      await refused;
      await expect
        .poll(() => page.locator('#join-error').textContent())
        .toBe('The meeting service cannot be reached. Try again in a moment.');
      const button = page.locator('#join-button');
      expect(await button.isDisabled()).toBe(false);
      expect(await button.textContent()).toBe('Join');
      expect(server.rooms.counts().sockets).toBe(1);

      holder.close();
      await expect.poll(() => server.rooms.counts().sockets).toBe(0);
      await button.click();
      await page.getByRole('button', { name: 'Leave' }).waitFor({ state: 'visible' });
      expect(server.rooms.counts().participants).toBe(1);
    } finally {
      await context.close();
    }
  }, 60_000);
});
