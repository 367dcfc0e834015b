/**
 * The join page in a window another site opened (a web mail's link, a calendar page's script): with
 * Cross-Origin-Opener-Policy same-origin, that site's handle to the window is severed at once, so it
 * can neither send the call's tab to a look-alike page nor probe it, and the page sees no opener.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from './browser.js';
import { MapDirectory, startServer, type TestServer } from './helpers.js';

const directory = new MapDirectory();
let webRoot: string;
let server: TestServer;
/** Another site (another origin: localhost, not 127.0.0.1), which opens the join page. */
let other: Server;
let otherUrl: string;
let chromium: Awaited<ReturnType<typeof launchChromium>>;

beforeAll(async () => {
  webRoot = await mkdtemp(path.join(tmpdir(), 'rooms-opener-'));
  await mkdir(path.join(webRoot, 'assets'));
  await writeFile(
    path.join(webRoot, 'index.html'),
    '<!doctype html><title>Join</title><main id="main"></main>',
  );
  server = await startServer({ directory, webRoot, openBeforeMinutes: 10, closeAfterMinutes: 15 });
  other = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Mail</title>');
  });
  await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
  otherUrl = `http://localhost:${(other.address() as { port: number }).port}/`;
  chromium = await launchChromium();
}, 60_000);

afterAll(async () => {
  await chromium?.close();
  await server?.close();
  await new Promise((resolve) => other?.close(resolve));
  await rm(webRoot, { recursive: true, force: true });
});

describe('the join page opened by another site', () => {
  it('leaves the opener no handle to its window, and has no opener itself', async () => {
    const context = await chromium.browser.newContext();
    try {
      const mail: Page = await context.newPage();
      await mail.goto(otherUrl);
      const joinUrl = `${server.baseUrl}/m/${directory.add()}`;
      const [joinPage] = await Promise.all([
        context.waitForEvent('page'),
        // As a string: the test's own types have no DOM.
        mail.evaluate(`window.joined = window.open(${JSON.stringify(joinUrl)}); undefined`),
      ]);
      await joinPage.waitForLoadState('load');
      expect(await joinPage.title()).toBe('Join');
      // Severed: the opener's handle reads as a closed window, and the page has no opener.
      expect(await mail.evaluate('window.joined.closed')).toBe(true);
      expect(await joinPage.evaluate('window.opener === null')).toBe(true);
    } finally {
      await context.close();
    }
  });
});
