/**
 * Roomlink as `npm start` runs it in demo mode, in this process on 127.0.0.1: serve() with the product
 * features (identity emulator, Graph emulator, rooms, the add-in under /addin/ and the Outlook sandbox
 * at /sandbox), on a fresh SQLite database. Browser tests drive the sandbox in Chromium and check the
 * outcome through Roomlink's API and through the Graph emulator, as the calendar sync sees it.
 */
import { addinIdFor } from '@roomlink/addin';
import { customPropertiesPropertyId } from '@roomlink/emulators';
import type { BrowserContext, Page } from 'playwright-core';
import { afterEach, beforeAll, beforeEach } from 'vitest';
import {
  clickExpectingDialog,
  ensureAddinBuilt,
  type SandboxGlobal,
  type SandboxLogEntry,
} from '../../../emulators/test/sandbox-support.js';
import { loadConfig } from '../../src/config/config.js';
import { EMULATOR_GRAPH_PATH } from '../../src/demo.js';
import { productFeatures } from '../../src/features.js';
import { TokenService } from '../../src/identity/tokens.js';
import type { Runtime } from '../../src/runtime.js';
import { serve } from '../../src/server.js';
import { launchChromium } from '../support/chromium.js';
import { createTestDatabase, type TestDatabase } from '../support/databases.js';
import { serverTestEnv } from '../support/harness.js';

export interface DemoServer {
  /** The base URL, ending with `/`. */
  readonly baseUrl: string;
  readonly runtime: Runtime;
  readonly database: TestDatabase;
  /** The add-in id of this deployment (its custom properties are `cecp-<id>` in Graph). */
  readonly addinId: string;
  /** Roomlink's API with an add-in session token. */
  api(path: string, token: string, init?: RequestInit): Promise<Response>;
  /**
   * GET on the Graph emulator with the access token Roomlink received for the user at sign-in (the
   * token calendar sync uses): `path` is under /v1.0.
   */
  graph(userId: string, path: string): Promise<Response>;
  close(): Promise<void>;
}

export async function startDemoServer(): Promise<DemoServer> {
  const database = await createTestDatabase('sqlite');
  const config = loadConfig(await serverTestEnv(database, process.env.TEST_LOG_LEVEL ?? 'silent'));
  if (!config.demo) throw new Error('expected demo mode (no MS_CLIENT_ID)');
  const running = await serve(config, { features: productFeatures, exitOnSignal: false });
  const baseUrl = config.baseUrl.toString();
  const { runtime } = running;
  // Reads the user's stored Microsoft tokens, as the sync's token source does; never refreshes.
  const tokens = new TokenService({
    tokens: runtime.store.tokens,
    users: runtime.store.users,
    cipher: runtime.cipher,
    oidc: () => Promise.reject(new Error('tests read stored tokens only')),
  });
  return {
    baseUrl,
    runtime,
    database,
    addinId: addinIdFor(baseUrl),
    api: (path, token, init = {}) =>
      fetch(new URL(path, baseUrl), {
        ...init,
        headers: { accept: 'application/json', authorization: `Bearer ${token}`, ...init.headers },
      }),
    graph: async (userId, path) =>
      fetch(`${baseUrl}${EMULATOR_GRAPH_PATH}/v1.0/${path}`, {
        headers: {
          authorization: `Bearer ${await tokens.getAccessToken(userId)}`,
          prefer: 'outlook.body-content-type="html"',
        },
      }),
    close: async () => {
      await running.shutdown('test finished');
      await database.drop();
    },
  };
}

/** Graph's `$expand` of the add-in's custom properties on an event. */
export function customPropertiesExpand(addinId: string): string {
  return `$expand=singleValueExtendedProperties($filter=id eq '${customPropertiesPropertyId(addinId)}')`;
}

/** The add-in's Roomlink session in the sandbox's storage (the task pane and commands share it). */
export async function sessionToken(page: Page): Promise<string> {
  const raw = await page.evaluate(() =>
    (globalThis as unknown as { localStorage: { getItem(key: string): string | null } }).localStorage.getItem(
      'roomlink.session',
    ),
  );
  const token = raw ? (JSON.parse(raw) as { token?: unknown }).token : undefined;
  if (typeof token !== 'string') throw new Error('the add-in holds no Roomlink session');
  return token;
}

/** How many entries of `type` the sandbox has logged so far. */
export const countLog = (page: Page, type: string) =>
  page.evaluate(
    (t) =>
      (globalThis as unknown as SandboxGlobal).__outlookSandbox.log.filter(
        (e: SandboxLogEntry) => e.type === t,
      ).length,
    type,
  );

/**
 * Clicks something that opens the sign-in dialog, picks `account` on the identity emulator's sign-in
 * page in the dialog window and waits until the add-in has closed the dialog with its one-time code.
 */
export async function signInThroughDialog(
  page: Page,
  click: () => Promise<void>,
  account: RegExp,
): Promise<void> {
  const closedBefore = await countLog(page, 'dialog.closed');
  const popup = page.waitForEvent('popup');
  await clickExpectingDialog(page, click);
  const dialog = await popup;
  // With the mailbox's address as login_hint the identity emulator signs a known user in without
  // showing its account picker, and the dialog closes by itself; otherwise the test picks the account.
  await Promise.race([
    dialog.waitForEvent('close'),
    dialog
      .getByRole('button', { name: account })
      .click()
      .catch(() => undefined),
  ]);
  await page.waitForFunction(
    (n) =>
      (globalThis as unknown as SandboxGlobal).__outlookSandbox.log.filter(
        (e: SandboxLogEntry) => e.type === 'dialog.closed',
      ).length > n,
    closedBefore,
    { timeout: 20_000 },
  );
}

/**
 * Records every request the context's pages, frames and dialog windows make (redirect hops included),
 * as `METHOD url`.
 */
export function recordRequests(context: BrowserContext): string[] {
  const requests: string[] = [];
  context.on('request', (request) => requests.push(`${request.method()} ${request.url()}`));
  return requests;
}

export interface SandboxTestSession {
  readonly server: DemoServer;
  readonly browser: Awaited<ReturnType<typeof launchChromium>>;
  readonly page: Page;
  /** Every request the browser made, as `METHOD url` (recordRequests). */
  readonly requests: string[];
}

/**
 * Registers the hooks of a sandbox browser test file: the add-in built once, then for each test a
 * demo server, a fresh Chromium with a page and its request log (handed to `use`), all closed after it.
 * Locator waits end at 10 s, well before the test's timeout, so that a failure names what was missing.
 */
export function sandboxPerTest(use: (session: SandboxTestSession) => void): void {
  let session: SandboxTestSession | undefined;
  beforeAll(() => {
    ensureAddinBuilt();
  }, 120_000);
  beforeEach(async () => {
    const server = await startDemoServer();
    const browser = await launchChromium();
    browser.context.setDefaultTimeout(10_000);
    const requests = recordRequests(browser.context);
    session = { server, browser, page: await browser.context.newPage(), requests };
    use(session);
  });
  afterEach(async () => {
    await session?.browser.close();
    await session?.server.close();
    session = undefined;
  });
}
