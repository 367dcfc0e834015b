/**
 * One origin serving what the Outlook sandbox needs in browser tests: the sandbox itself, the built
 * add-in (as the Roomlink server serves it, base URL written in) and a stub of Roomlink's add-in API.
 * The end-to-end suite replaces the stub with the real server.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { addinIdFor } from '../../addin/src/manifest/addin-id.js';
import { generateManifest } from '../../addin/src/manifest/generate.js';
import { registerAddinRoutes } from '../../addin/src/serve/routes.js';
import { registerStubRoomlink, type StubRoomlink } from '../../addin/test/support/stub-roomlink.js';
import { createMemoryCalendar, type MemoryCalendar } from '../src/sandbox/memory-calendar.js';
import { registerSandbox } from '../src/sandbox/plugin.js';

const ADDIN_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../addin');

export const USERS = [
  { upn: 'adele@contoso.test', displayName: 'Adele Vance', timeZone: 'Romance Standard Time' },
  { upn: 'pierre@contoso.test', displayName: 'Pierre Martin', timeZone: 'Romance Standard Time' },
];

/** Builds the add-in once if this checkout has not (npm run build does it otherwise). */
export function ensureAddinBuilt(): void {
  if (existsSync(path.join(ADDIN_ROOT, 'dist/web/commands.html'))) return;
  const result = spawnSync(process.execPath, [path.join(ADDIN_ROOT, 'scripts/build-web.mjs')], {
    cwd: ADDIN_ROOT,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error('building the add-in failed');
}

export interface SandboxServer {
  readonly baseUrl: string;
  readonly stub: StubRoomlink;
  readonly calendar: MemoryCalendar;
  readonly addinId: string;
  close(): Promise<void>;
}

export async function startSandboxServer(): Promise<SandboxServer> {
  // The base URL must be known before the manifest is generated, so the socket listens first and
  // Fastify routes its requests.
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  const baseUrl = `http://127.0.0.1:${address.port}/`;
  const app: FastifyInstance = Fastify();
  const stub = registerStubRoomlink(app, { baseUrl: () => baseUrl });
  await registerAddinRoutes(app, { baseUrl, version: '0.1.0' });
  const calendar = createMemoryCalendar(USERS);
  await registerSandbox(app, {
    prefix: '/sandbox',
    addinBaseUrl: baseUrl,
    manifestXml: generateManifest({ baseUrl, version: '0.1.0' }),
    graph: calendar,
  });
  await app.ready();
  server.on('request', (req, res) => app.routing(req, res));
  return {
    baseUrl,
    stub,
    calendar,
    addinId: addinIdFor(baseUrl),
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await app.close();
    },
  };
}

export interface Browser {
  readonly context: BrowserContext;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  const userDataDir = await mkdtemp(path.join(tmpdir(), 'roomlink-sandbox-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

export interface SandboxLogEntry {
  readonly type: string;
  readonly [key: string]: unknown;
}

export interface SandboxItemSnapshot {
  readonly id: string | null;
  readonly subject: string;
  readonly location: string;
  readonly body: string;
  readonly customProperties: Record<string, unknown> | null;
  readonly notifications: { key: string; type: string; message: string }[];
  readonly sent: boolean;
}

/** The sandbox page's test hooks ((globalThis as unknown as SandboxGlobal).__outlookSandbox); tests cast globalThis to this in page code. */
export interface SandboxGlobal {
  __outlookSandbox: {
    ready: Promise<void>;
    item(): SandboxItemSnapshot;
    log: SandboxLogEntry[];
    newAppointment(): Promise<void>;
  };
}

/** Opens the sandbox as a user and waits until the form is ready (and the new-item event ran). */
export async function openSandbox(page: Page, baseUrl: string, query: Record<string, string>): Promise<void> {
  await page.goto(`${baseUrl}sandbox/?${new URLSearchParams(query)}`);
  await page.waitForFunction(() => (globalThis as unknown as SandboxGlobal).__outlookSandbox !== undefined);
  await page.evaluate(() => (globalThis as unknown as SandboxGlobal).__outlookSandbox.ready);
}

export const item = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as SandboxGlobal).__outlookSandbox.item());

/** Waits (bounded) until the sandbox log has `count` entries of `type`. */
export async function waitForLog(
  page: Page,
  type: string,
  count = 1,
  timeout = 20_000,
): Promise<SandboxLogEntry[]> {
  await page.waitForFunction(
    ([t, n]) =>
      (globalThis as unknown as SandboxGlobal).__outlookSandbox.log.filter(
        (e: SandboxLogEntry) => e.type === t,
      ).length >= (n as number),
    [type, count] as const,
    { timeout },
  );
  return page.evaluate(
    (t) =>
      (globalThis as unknown as SandboxGlobal).__outlookSandbox.log.filter(
        (e: SandboxLogEntry) => e.type === t,
      ),
    type,
  );
}

/** Clicks and lets the dialog open, answering the "wants to display a new window" prompt if it shows. */
export async function clickExpectingDialog(page: Page, click: () => Promise<void>): Promise<void> {
  const before = await page.evaluate(
    () => (globalThis as unknown as SandboxGlobal).__outlookSandbox.log.length,
  );
  await click();
  await page.waitForFunction(
    (n) =>
      (globalThis as unknown as SandboxGlobal).__outlookSandbox.log
        .slice(n)
        .some((e: SandboxLogEntry) => e.type === 'dialog.opened' || e.type === 'dialog.prompt'),
    before,
    { timeout: 20_000 },
  );
  const prompted = await page.evaluate(
    (n) =>
      (globalThis as unknown as SandboxGlobal).__outlookSandbox.log
        .slice(n)
        .some((e: SandboxLogEntry) => e.type === 'dialog.prompt'),
    before,
  );
  if (prompted) await page.getByTestId('dialog-allow').click();
}
