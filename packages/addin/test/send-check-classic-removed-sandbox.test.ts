/**
 * The OnAppointmentSend check in classic Outlook on Windows after the user removed the meeting from an
 * item that was saved with it, in the Outlook sandbox on the real Roomlink server (demo mode), in
 * headless Chromium. Classic Outlook keeps custom properties saved in compose mode only once the item is
 * closed or saved again (learn.microsoft.com/office/dev/add-ins/outlook/metadata-for-an-outlook-add-in):
 * the send runtime still reads the saved properties, which name the removed meeting, while its join
 * block is gone from the body. Removing records that in the item's session data (Mailbox 1.11), which
 * the check takes over the custom properties; adding again clears it.
 */
import type { Page } from 'playwright-core';
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
  sendOutcome,
  signInInTaskpane as signInOn,
  taskpane as taskpaneOf,
} from './classic-send-check.js';

let server: DemoServer;
let page: Page;

sandboxPerTest((session) => {
  ({ server, page } = session);
});

const taskpane = () => taskpaneOf(page);
const logCount = (type: string) => countLog(page, type);
const meetingId = async () => (await item(page)).customProperties?.roomlinkMeetingId ?? null;
const signInInTaskpane = () => signInOn(page);
const expectBlocked = () => blockedOn(page);

/** "Add" in the task pane; resolves with the new meeting's id. */
async function addInTaskpane(): Promise<string> {
  const before = await meetingId();
  await taskpane().getByTestId('add-meeting').click();
  await expect.poll(meetingId).toBeTruthy();
  await expect.poll(meetingId).not.toBe(before);
  await taskpane().getByTestId('remove-meeting').waitFor();
  return String(await meetingId());
}

/** "Remove" in the task pane: the block leaves the body, the properties are saved without the meeting. */
async function removeInTaskpane(): Promise<void> {
  await taskpane().getByTestId('remove-meeting').click();
  await taskpane().getByTestId('no-meeting').waitFor();
  expect(await meetingId()).toBeNull();
  expect(findJoinBlock((await item(page)).body, 'html')).toBeNull();
}

async function save(): Promise<void> {
  const saved = await logCount('saved');
  await page.getByTestId('save').click();
  await waitForLog(page, 'saved', saved + 1);
}

/** Clicks Send and waits for whichever comes first: the Smart Alert, or the item sent. */
async function send(): Promise<void> {
  await page.getByTestId('send').click();
  await sendOutcome(page);
}

/** Sent without a Smart Alert (send() waited for one or the other). */
async function expectSent(): Promise<void> {
  expect(await logCount('send.alert')).toBe(0);
  expect(await logCount('send.sent')).toBe(1);
  expect((await item(page)).sent).toBe(true);
}

/** A new classic Outlook appointment with a meeting added in the task pane, then saved. */
async function addedAndSaved(): Promise<string> {
  await openSandbox(page, server.baseUrl, { user: ADELE.upn }); // classic Outlook on Windows (default)
  await page.getByTestId('subject').fill('Weekly sync');
  await signInInTaskpane();
  const id = await addInTaskpane();
  await save();
  return id;
}

describe('Smart Alert on send in classic Outlook after the meeting was removed from a saved item (sandbox)', () => {
  it('added, saved, removed (task pane), not saved again: the send is not stopped', async () => {
    await addedAndSaved();
    await removeInTaskpane();
    // The saved item still holds the removed meeting's properties: the send runtime reads those.
    expect(await logCount('saved')).toBe(1);

    await send();

    await expectSent();
  });

  it('added with the ribbon, saved, removed in the task pane: the send is not stopped', async () => {
    await openSandbox(page, server.baseUrl, { user: ADELE.upn });
    await page.getByTestId('subject').fill('Weekly sync');
    await signInThroughDialog(page, () => page.getByTestId(ADD).click(), ADELE.account);
    await waitForLog(page, 'command.completed');
    expect(await meetingId()).toBeTruthy();
    await save();
    await page.getByTestId(OPTIONS).click();
    await removeInTaskpane();

    await send();

    await expectSent();
  });

  it('added, saved, removed, added again, join block deleted by hand: the send is stopped', async () => {
    const first = await addedAndSaved();
    await removeInTaskpane();
    const second = await addInTaskpane();
    expect(second).not.toBe(first);
    const added = await item(page);
    expect(findJoinBlock(added.body, 'html')?.meetingId).toBe(second);
    expect(await logCount('saved')).toBe(1);

    await page.getByTestId('body').evaluate((body) => {
      (body as { innerHTML: string }).innerHTML = 'Notes.';
    });
    await send();

    await expectBlocked();
  });

  it('added, saved, removed, task pane opened again: it shows no meeting; added there, the send is not stopped', async () => {
    const first = await addedAndSaved();
    await removeInTaskpane();
    // A new task pane runtime reads the properties as last saved, like the send runtime.
    await page.getByTestId('taskpane-close').click();
    await page.getByTestId(OPTIONS).click();
    await taskpane().getByTestId('no-meeting').waitFor();

    const second = await addInTaskpane();

    expect(second).not.toBe(first);
    expect(findJoinBlock((await item(page)).body, 'html')?.meetingId).toBe(second);
    await send();
    await expectSent();
  });

  it('added, saved, removed, added again, join block kept: the send is not stopped', async () => {
    await addedAndSaved();
    await removeInTaskpane();
    await addInTaskpane();
    // The send runtime still reads the first meeting's saved properties; the body holds the second's block.
    expect(await logCount('saved')).toBe(1);

    await send();

    await expectSent();
  });
});
