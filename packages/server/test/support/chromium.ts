/** Debian's Chromium through playwright-core, headless, with a fresh profile per launch. */
import type { BrowserContext } from 'playwright-core';
import { launchChromium as launch } from '../../../../scripts/chromium.mjs';

export function launchChromium(
  extraArgs: string[] = [],
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  return launch({ args: extraArgs });
}

/**
 * Office.js cannot load from Microsoft's CDN here: this stand-in records what a dialog page hands
 * to its parent with messageParent, and the options it passes (DialogMessageOptions).
 */
export const OFFICE_STUB = `
window.Office = {
  onReady: function (cb) { setTimeout(function () { cb({ host: 'Outlook' }); }, 0); return Promise.resolve({ host: 'Outlook' }); },
  context: { ui: { messageParent: function (message, options) { window.__messageParentOptions = options; window.__messageParent = message; } } },
};`;
