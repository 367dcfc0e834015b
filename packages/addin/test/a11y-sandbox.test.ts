/**
 * Accessibility of the add-in's own pages, in English and French, in the Outlook sandbox on the real
 * Roomlink server (demo mode), in headless Chromium: axe-core's WCAG 2.0/2.1 A and AA rules find
 * nothing in the task pane in each state a user meets (signed out; signed in with no meeting; a
 * meeting with its join link, host PIN and options; its joining details deleted from the body) nor on
 * Roomlink's sign-in dialog page (the last page of the dialog, which hands the code back).
 *
 * The dialog's middle page is Microsoft's sign-in page (here the identity emulator's account picker
 * stands in for it): not Roomlink's to check.
 */
import type { Frame, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { axeViolations } from '../../../test-setup/axe.js';
import { openSandbox } from '../../emulators/test/sandbox-support.js';
import {
  type DemoServer,
  type SandboxTestSession,
  sandboxPerTest,
  signInThroughDialog,
} from '../../server/test/browser/demo-sandbox.js';
import { ADELE, OPTIONS, taskpane as taskpaneOf } from './classic-send-check.js';

let session: SandboxTestSession;
let server: DemoServer;
let page: Page;

sandboxPerTest((s) => {
  session = s;
  ({ server, page } = s);
});

const taskpane = () => taskpaneOf(page);

async function taskpaneFrame(): Promise<Frame> {
  const frame = await (await page.getByTestId('taskpane-frame').elementHandle())?.contentFrame();
  if (!frame) throw new Error('no task pane frame');
  return frame;
}

/** axe's findings in the task pane as it is now, once it has rendered in `lang` and is not busy. */
async function paneViolations(lang: 'en' | 'fr'): Promise<string[]> {
  const frame = await taskpaneFrame();
  await frame.waitForFunction(
    `document.documentElement.lang === ${JSON.stringify(lang)} &&
      document.getElementById('app')?.getAttribute('aria-busy') === 'false'`,
  );
  return axeViolations(frame);
}

describe.each(['en', 'fr'] as const)('axe finds no WCAG 2.1 A/AA violation (%s)', (lang) => {
  it('in the task pane: signed out, signed in, with a meeting, its joining details deleted', async () => {
    await openSandbox(page, server.baseUrl, { user: ADELE.upn, lang: lang === 'fr' ? 'fr-FR' : 'en-US' });
    await page.getByTestId(OPTIONS).click();
    await taskpane().getByTestId('sign-in').waitFor();
    expect(await paneViolations(lang), 'signed out').toEqual([]);

    await signInThroughDialog(page, () => taskpane().getByTestId('sign-in').click(), ADELE.account);
    await taskpane().getByTestId('sign-out').waitFor();
    await taskpane().getByTestId('add-meeting').waitFor();
    expect(await paneViolations(lang), 'signed in, no meeting').toEqual([]);

    await taskpane().getByTestId('add-meeting').click();
    await taskpane().getByTestId('host-pin-value').waitFor();
    await taskpane().getByTestId('join-as-host').waitFor();
    expect(await paneViolations(lang), 'with a meeting').toEqual([]);

    await page.getByTestId('body').evaluate((body) => {
      (body as { innerHTML: string }).innerHTML = 'Notes.';
    });
    await page.getByTestId('taskpane-close').click();
    await page.getByTestId(OPTIONS).click();
    await taskpane().getByTestId('block-missing').waitFor();
    expect(await paneViolations(lang), 'joining details deleted').toEqual([]);
  });

  it('on Roomlink’s sign-in dialog page', async () => {
    await openSandbox(page, server.baseUrl, { user: ADELE.upn, lang: lang === 'fr' ? 'fr-FR' : 'en-US' });
    await page.getByTestId(OPTIONS).click();
    await signInThroughDialog(page, () => taskpane().getByTestId('sign-in').click(), ADELE.account);
    // The dialog the pane opened signed in by itself (login_hint) and closed: its URL, without the
    // hint, opened again stops at the account picker, then shows Roomlink's last page.
    const opened = session.requests
      .map((r) => r.replace(/^GET /, ''))
      .find((url) => url.startsWith(`${server.baseUrl}auth/addin/start?`));
    if (!opened) throw new Error('the task pane opened no sign-in dialog');
    const start = new URL(opened);
    expect(start.searchParams.get('lang')).toBe(lang);
    start.searchParams.delete('login_hint');
    const dialog = await session.browser.context.newPage();
    await dialog.goto(start.href);
    await dialog.getByRole('button', { name: ADELE.account }).click();
    await dialog.waitForURL(/\/auth\/callback\?/);
    await dialog.locator('main p').waitFor();
    expect(await dialog.evaluate('document.documentElement.lang')).toBe(lang);

    expect(await axeViolations(dialog)).toEqual([]);
  });
});
