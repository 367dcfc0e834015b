/**
 * "Join as host" end to end: the built add-in in the Outlook sandbox on the real Roomlink server (demo
 * mode), in headless Chromium. The sandbox's office.js has no openBrowserWindow (nor claims
 * OpenBrowserWindowApi), as Outlook on the web: the pane opens the host link with window.open, or shows
 * it when no window opened.
 */
import type { Frame, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { item, openSandbox, waitForLog } from '../../emulators/test/sandbox-support.js';
import {
  type DemoServer,
  sandboxPerTest,
  sessionToken,
  signInThroughDialog,
} from '../../server/test/browser/demo-sandbox.js';

// Demo directory users (packages/emulators/src/identity/demo-directory.ts).
const ADELE = { upn: 'adele@contoso.example', account: /Adele Vance/ };
const ADD = 'addin-button-roomlinkAddMeeting';
const OPTIONS = 'addin-button-roomlinkTaskpane';
const TICKET = '[A-Za-z0-9._-]{1,256}';

/** The browser globals page code uses here (this project's Node typings have no DOM). */
interface BrowserScope {
  open: (url: string, ...rest: unknown[]) => unknown;
  opener: unknown;
  localStorage: Record<string, string>;
  __opened: string[];
}

let server: DemoServer;
let page: Page;
let requests: string[];

sandboxPerTest((session) => {
  ({ server, page, requests } = session);
});

const taskpane = () => page.frameLocator('[data-testid="taskpane-frame"]');

async function taskpaneFrame(): Promise<Frame> {
  const frame = await (await page.getByTestId('taskpane-frame').elementHandle())?.contentFrame();
  if (!frame) throw new Error('no task pane frame');
  return frame;
}

/** Signs Adele in through "Add Roomlink meeting", then opens the task pane; the meeting's join URL. */
async function meetingInTaskpane(): Promise<{ joinUrl: string; meetingId: string }> {
  await openSandbox(page, server.baseUrl, { user: ADELE.upn });
  await page.getByTestId('subject').fill('Board meeting');
  await signInThroughDialog(page, () => page.getByTestId(ADD).click(), ADELE.account);
  await waitForLog(page, 'command.completed');
  const meetingId = String((await item(page)).customProperties?.roomlinkMeetingId ?? '');
  const response = await server.api(`api/v1/meetings/${meetingId}`, await sessionToken(page));
  expect(response.status).toBe(200);
  const { joinUrl } = (await response.json()) as { joinUrl: string };
  await page.getByTestId(OPTIONS).click();
  await taskpane().getByTestId('join-as-host').waitFor();
  return { joinUrl, meetingId };
}

/**
 * Makes the pane's window.open note the address it is given, then open it as before. The join page may
 * take the ticket out of its address bar as soon as it loads, so the popup's address cannot tell.
 */
async function noteWindowOpens(pane: Frame): Promise<() => Promise<string[]>> {
  await pane.evaluate(() => {
    const scope = globalThis as unknown as BrowserScope;
    const realOpen = scope.open.bind(globalThis);
    scope.__opened = [];
    scope.open = (url, ...rest) => {
      scope.__opened.push(String(url));
      return realOpen(url, ...rest);
    };
  });
  return () => pane.evaluate(() => (globalThis as unknown as BrowserScope).__opened);
}

/** Waits until the window shows the join page at `joinUrl`'s path. */
async function showsJoinPage(opened: Page, joinUrl: string): Promise<void> {
  const { pathname } = new URL(joinUrl);
  await opened.waitForURL((url) => url.pathname === pathname);
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const hostLinkCalls = (meetingId: string) =>
  requests.filter((r) => r === `POST ${server.baseUrl}api/v1/meetings/${meetingId}/host-link`).length;

describe('Join as host in the Outlook sandbox (real server, demo mode)', () => {
  it('opens <join URL>?lang=<pane language>#host=<ticket> in a new window, and keeps the link nowhere', async () => {
    const { joinUrl, meetingId } = await meetingInTaskpane();
    const pane = await taskpaneFrame();
    // Why window.open: the sandbox, like Outlook on the web, has no OpenBrowserWindowApi.
    expect(
      await pane.evaluate(() =>
        (
          globalThis as unknown as {
            Office: { context: { requirements: { isSetSupported(n: string, v: string): boolean } } };
          }
        ).Office.context.requirements.isSetSupported('OpenBrowserWindowApi', '1.1'),
      ),
    ).toBe(false);

    const opened = await noteWindowOpens(pane);
    const popup = page.waitForEvent('popup');
    await taskpane().getByTestId('join-as-host').click();
    const joinPage = await popup;
    await showsJoinPage(joinPage, joinUrl);

    const [url, ...more] = await opened();
    expect(more).toEqual([]);
    expect(url).toMatch(new RegExp(`^${escapeRegExp(joinUrl)}\\?lang=en#host=${TICKET}$`));
    // The join page took the ticket out of its address bar (keeping the language), and offers to join
    // as host without a PIN, in the pane's language.
    await expect.poll(() => joinPage.url()).toBe(`${joinUrl}?lang=en`);
    expect(await joinPage.locator('html').getAttribute('lang')).toBe('en');
    await joinPage.locator('#host-link-note').waitFor({ state: 'visible' });
    expect(await joinPage.locator('#pin-field').isHidden()).toBe(true);
    await expect
      .poll(() => taskpane().getByTestId('status').textContent())
      .toBe('The meeting is opening in your browser. You join as host, without the PIN.');
    expect(hostLinkCalls(meetingId)).toBe(1);
    await expect(taskpane().getByTestId('host-link').count()).resolves.toBe(0);
    // The join page has no way back into the pane.
    expect(await joinPage.evaluate(() => (globalThis as unknown as BrowserScope).opener)).toBeNull();
    // The sandbox's storage (the task pane's localStorage) holds no host link.
    const stored = await page.evaluate(() =>
      JSON.stringify({ ...(globalThis as unknown as BrowserScope).localStorage }),
    );
    expect(stored).not.toContain('#host=');
  });

  it('when no window opens (a popup blocker), shows the link to click, saying it works once', async () => {
    const { joinUrl, meetingId } = await meetingInTaskpane();
    const pane = await taskpaneFrame();
    // What a popup blocker does to window.open once the click's user activation has gone.
    await pane.evaluate(() => {
      (globalThis as unknown as BrowserScope).open = () => null;
    });

    await taskpane().getByTestId('join-as-host').click();
    const link = taskpane().getByTestId('host-link');
    await link.waitFor();
    const href = String(await link.getAttribute('href'));
    expect(href).toMatch(new RegExp(`^${escapeRegExp(joinUrl)}\\?lang=en#host=${TICKET}$`));
    expect(await taskpane().getByTestId('host-link-help').textContent()).toMatch(
      /^It works once, until \d\d:\d\d( [AP]M)?\. Don’t share it: anyone who opens it joins as host\./,
    );
    await expect(taskpane().getByTestId('status').getAttribute('class')).resolves.toBe('status');
    expect(hostLinkCalls(meetingId)).toBe(1);

    // A click on the link itself is the user's gesture: the browser opens it.
    const popup = page.waitForEvent('popup');
    await link.click();
    await showsJoinPage(await popup, joinUrl);
  });
});
