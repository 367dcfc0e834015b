/**
 * Driving the Outlook sandbox page in Chromium: open it as a user, read its appointment, wait on its
 * event log, answer its dialog prompt. The browser tests (packages/server/test/sandbox-e2e.test.ts) run
 * it on the real Roomlink server in demo mode.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';

const ADDIN_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../addin');

/**
 * Builds the add-in when this checkout has not, or when its sources changed since (npm run build
 * does it otherwise): a browser test run on its own must not test a stale add-in.
 */
export function ensureAddinBuilt(): void {
  if (!addinBuildIsStale()) return;
  const result = spawnSync(process.execPath, [path.join(ADDIN_ROOT, 'scripts/build-web.mjs')], {
    cwd: ADDIN_ROOT,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error('building the add-in failed');
}

/** The one module outside the add-in that its web build bundles (the join block's markers). */
const SHARED_SOURCES = [path.resolve(ADDIN_ROOT, '../server/src/instructions/marker.ts')];

/**
 * Whether dist/web is missing or older than a file it is built from: web/, assets/, the build
 * script, and `shared` (the default add-in's shared sources).
 */
export function addinBuildIsStale(root = ADDIN_ROOT, shared = SHARED_SOURCES): boolean {
  let built: number;
  try {
    built = statSync(path.join(root, 'dist/web/commands.html')).mtimeMs;
  } catch {
    return true;
  }
  const sources = [
    path.join(root, 'scripts/build-web.mjs'),
    ...filesUnder(path.join(root, 'web')),
    ...filesUnder(path.join(root, 'assets')),
    ...shared,
  ];
  return sources.some((file) => statSync(file).mtimeMs > built);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
}

export interface SandboxLogEntry {
  readonly type: string;
  readonly [key: string]: unknown;
}

export interface SandboxItemSnapshot {
  readonly id: string | null;
  readonly subject: string;
  readonly location: string;
  readonly locations: {
    readonly type: 'custom' | 'room';
    readonly id: string;
    readonly displayName: string;
  }[];
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
/** Office.js's limit on body.setAsync's data, which the sandbox enforces too (`web/host.js`). */
export const SANDBOX_MAX_BODY = 1_000_000;

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
