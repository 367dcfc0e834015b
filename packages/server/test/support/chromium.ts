/** Debian's Chromium through playwright-core, headless, with a fresh profile per launch. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(
  extraArgs: string[] = [],
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = await mkdtemp(path.join(tmpdir(), 'roomlink-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [...CHROMIUM_FLAGS, ...extraArgs],
  });
  return {
    context,
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Office.js cannot load from Microsoft's CDN here: this stand-in records what a dialog page hands
 * to its parent with messageParent.
 */
export const OFFICE_STUB = `
window.Office = {
  onReady: function (cb) { setTimeout(function () { cb({ host: 'Outlook' }); }, 0); return Promise.resolve({ host: 'Outlook' }); },
  context: { ui: { messageParent: function (message) { window.__messageParent = message; } } },
};`;
