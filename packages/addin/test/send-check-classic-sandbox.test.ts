/**
 * The OnAppointmentSend check in classic Outlook on Windows, in the Outlook sandbox on the real Roomlink
 * server (demo mode), in headless Chromium. "In classic Outlook on Windows, custom properties saved while
 * in compose mode only persist after the item being composed is closed or after
 * Office.context.mailbox.item.saveAsync is called"
 * (learn.microsoft.com/office/dev/add-ins/outlook/metadata-for-an-outlook-add-in): the send handler, in
 * its own JavaScript-only runtime, may find no meeting id for a meeting added in the same window. The
 * add-in also records the meeting in the item's session data (Office.SessionData, Mailbox 1.11), which
 * the item's runtimes share, and the check falls back to it.
 */
import type { Frame, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { item, openSandbox, waitForLog } from '../../emulators/test/sandbox-support.js';
import { findJoinBlock } from '../../server/src/instructions/marker.js';
import {
  countLog,
  type DemoServer,
  sandboxPerTest,
  signInThroughDialog,
} from '../../server/test/browser/demo-sandbox.js';
import {
  ADD,
  ADELE,
  expectBlocked as blockedOn,
  OPTIONS,
  signInInTaskpane,
  taskpane as taskpaneOf,
} from './classic-send-check.js';

let server: DemoServer;
let page: Page;

sandboxPerTest((session) => {
  ({ server, page } = session);
});

const taskpane = () => taskpaneOf(page);
const logCount = (type: string) => countLog(page, type);
const expectBlocked = () => blockedOn(page);

async function addWithButton(): Promise<void> {
  await signInThroughDialog(page, () => page.getByTestId(ADD).click(), ADELE.account);
  await waitForLog(page, 'command.completed');
}

async function addInTaskpane(): Promise<void> {
  await signInInTaskpane(page);
  await taskpane().getByTestId('add-meeting').click();
  await expect.poll(async () => (await item(page)).customProperties?.roomlinkMeetingId).toBeTruthy();
}

async function deleteJoinBlockAndSend(): Promise<void> {
  const added = await item(page);
  expect(findJoinBlock(added.body, 'html')?.meetingId).toBe(added.customProperties?.roomlinkMeetingId);
  await page.getByTestId('body').evaluate((body) => {
    (body as { innerHTML: string }).innerHTML = 'Notes.';
  });
  await page.getByTestId('send').click();
}

describe('Smart Alert on send in classic Outlook before the item was ever saved (sandbox)', () => {
  it.each([
    ['the ribbon button', addWithButton],
    ['the task pane', addInTaskpane],
  ])('meeting added with %s, join block deleted, first send: blocked', async (_label, add) => {
    await openSandbox(page, server.baseUrl, { user: ADELE.upn }); // classic Outlook on Windows (default)
    await page.getByTestId('subject').fill('Weekly sync');
    await add();
    // Nothing saved the item: the send runtime cannot see the custom properties.
    expect(await logCount('saved')).toBe(0);

    await deleteJoinBlockAndSend();

    await expectBlocked();
  });

  it('the task pane opened after the ribbon added the meeting offers it (join as host), before any save', async () => {
    await openSandbox(page, server.baseUrl, { user: ADELE.upn });
    await addWithButton();
    await page.getByTestId(OPTIONS).click();
    await taskpane().getByTestId('join-as-host').waitFor();
    expect(await logCount('saved')).toBe(0);
  });
});

/** Office.js calls made from inside an add-in frame. */
interface OfficeItemScope {
  Office: {
    context: {
      mailbox: {
        item: {
          loadCustomPropertiesAsync(cb: (r: { value: OfficeProps }) => void): void;
          sessionData: {
            getAsync(name: string, cb: (r: { status: string; value: string | null }) => void): void;
            setAsync(name: string, value: string, cb: (r: { status: string }) => void): void;
          };
        };
      };
    };
  };
}
interface OfficeProps {
  get(name: string): unknown;
  set(name: string, value: unknown): void;
  saveAsync(cb: (r: { status: string }) => void): void;
}

async function openPane(): Promise<Frame> {
  await page.getByTestId(OPTIONS).click();
  const handle = await page.getByTestId('taskpane-frame').elementHandle();
  const frame = await handle?.contentFrame();
  if (!frame) throw new Error('no task pane frame');
  await frame.waitForFunction(
    () => (globalThis as unknown as OfficeItemScope).Office?.context?.mailbox?.item,
  );
  return frame;
}

async function reopenPane(): Promise<Frame> {
  await page.getByTestId('taskpane-close').click();
  return openPane();
}

const writeInFrame = (frame: Frame) =>
  frame.evaluate(
    () =>
      new Promise<void>((resolve, reject) => {
        const officeItem = (globalThis as unknown as OfficeItemScope).Office.context.mailbox.item;
        officeItem.loadCustomPropertiesAsync(({ value: props }) => {
          props.set('probe', 'from pane A');
          props.saveAsync((saved) => {
            if (saved.status !== 'succeeded') return reject(new Error('saveAsync failed'));
            officeItem.sessionData.setAsync('probe', 'from pane A', (set) =>
              set.status === 'succeeded' ? resolve() : reject(new Error('setAsync failed')),
            );
          });
        });
      }),
  );

const readInFrame = (frame: Frame) =>
  frame.evaluate(
    () =>
      new Promise<{ property: unknown; session: string | null }>((resolve) => {
        const officeItem = (globalThis as unknown as OfficeItemScope).Office.context.mailbox.item;
        officeItem.loadCustomPropertiesAsync(({ value: props }) => {
          officeItem.sessionData.getAsync('probe', (got) =>
            resolve({ property: props.get('probe') ?? null, session: got.value }),
          );
        });
      }),
  );

describe('the sandbox’s custom properties and session data across runtimes', () => {
  it('classic Outlook: another runtime sees unsaved custom properties only after a save; session data at once', async () => {
    await openSandbox(page, server.baseUrl, { user: ADELE.upn });
    const paneA = await openPane();
    await writeInFrame(paneA);
    expect(await readInFrame(paneA)).toEqual({ property: 'from pane A', session: 'from pane A' });

    expect(await readInFrame(await reopenPane())).toEqual({ property: null, session: 'from pane A' });

    await page.getByTestId('save').click();
    await waitForLog(page, 'saved');
    expect(await readInFrame(await reopenPane())).toEqual({
      property: 'from pane A',
      session: 'from pane A',
    });
  });

  it('Outlook on the web (runtime=browser): another runtime sees saved custom properties at once', async () => {
    await openSandbox(page, server.baseUrl, { user: ADELE.upn, runtime: 'browser' });
    await writeInFrame(await openPane());

    expect(await readInFrame(await reopenPane())).toEqual({
      property: 'from pane A',
      session: 'from pane A',
    });
  });

  it('closing the item (New event) clears its session data', async () => {
    await openSandbox(page, server.baseUrl, { user: ADELE.upn });
    await writeInFrame(await openPane());
    await page.getByTestId('new-event').click();
    await waitForLog(page, 'item.new', 2);

    expect(await readInFrame(await openPane())).toEqual({ property: null, session: null });
  });
});
