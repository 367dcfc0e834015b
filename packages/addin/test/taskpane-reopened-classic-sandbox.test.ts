/**
 * A task pane opened again after the meeting was removed and another one added, in classic Outlook on
 * Windows, in the Outlook sandbox on the real Roomlink server (demo mode), in headless Chromium.
 *
 * Classic Outlook keeps custom properties saved in compose mode only once the item is saved or closed
 * (learn.microsoft.com/office/dev/add-ins/outlook/metadata-for-an-outlook-add-in): a task pane opened
 * since (a new runtime) reads the properties the item was last saved with. After "add, save, remove,
 * add again", those name the first meeting, which is deleted, while the item's session data
 * (Mailbox 1.11, shared by every runtime at once) names the second. The pane shows the second; its
 * Remove and its "Add back" must act on the second too, as the send check does.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { item, openSandbox, waitForLog } from '../../emulators/test/sandbox-support.js';
import { findJoinBlock } from '../../server/src/instructions/marker.js';
import {
  countLog,
  type DemoServer,
  sandboxPerTest,
  sessionToken,
} from '../../server/test/browser/demo-sandbox.js';
import {
  ADD,
  ADELE,
  OPTIONS,
  sendOutcome,
  signInInTaskpane,
  taskpane as taskpaneOf,
} from './classic-send-check.js';

let server: DemoServer;
let page: Page;
let requests: string[];

sandboxPerTest((session) => {
  ({ server, page, requests } = session);
});

/** How many meetings the add-in has asked Roomlink to make (POST /api/v1/meetings). */
const creates = () => requests.filter((r) => /^POST \S+\/api\/v1\/meetings(\?|$)/.test(r)).length;

const taskpane = () => taskpaneOf(page);
const logCount = (type: string) => countLog(page, type);
/** The meeting id in the body's join block (the item's custom properties are per runtime here). */
const blockMeetingId = async () => findJoinBlock((await item(page)).body, 'html')?.meetingId ?? null;
const status = () => taskpane().getByTestId('status').textContent();

/** GET /api/v1/meetings/{id} as the signed-in user: its HTTP status and the meeting's status. */
async function serverMeeting(id: string): Promise<{ http: number; status?: string }> {
  const response = await server.api(`api/v1/meetings/${id}`, await sessionToken(page));
  if (!response.ok) return { http: response.status };
  return { http: response.status, status: ((await response.json()) as { status: string }).status };
}

/** "Add" in the task pane; resolves with the new meeting's id (read from the body's join block). */
async function addInTaskpane(): Promise<string> {
  const before = await blockMeetingId();
  await taskpane().getByTestId('add-meeting').click();
  await taskpane().getByTestId('remove-meeting').waitFor();
  await expect.poll(blockMeetingId).toBeTruthy();
  const id = String(await blockMeetingId());
  expect(id).not.toBe(before);
  return id;
}

async function removeInTaskpane(): Promise<void> {
  await taskpane().getByTestId('remove-meeting').click();
  await taskpane().getByTestId('no-meeting').waitFor();
  expect(await blockMeetingId()).toBeNull();
}

async function save(): Promise<void> {
  const saved = await logCount('saved');
  await page.getByTestId('save').click();
  await waitForLog(page, 'saved', saved + 1);
}

async function reopenTaskpane(): Promise<void> {
  await page.getByTestId('taskpane-close').click();
  await page.getByTestId(OPTIONS).click();
}

/**
 * A classic Outlook appointment: a meeting added in the task pane, the item saved, the meeting removed,
 * a second meeting added (not saved). Resolves with both ids.
 */
async function removedThenAddedAgain(): Promise<{ first: string; second: string }> {
  await openSandbox(page, server.baseUrl, { user: ADELE.upn }); // classic Outlook on Windows (default)
  await page.getByTestId('subject').fill('Weekly sync');
  await signInInTaskpane(page);
  const first = await addInTaskpane();
  await save();
  await removeInTaskpane();
  const second = await addInTaskpane();
  expect(second).not.toBe(first);
  // Saved once, with the first meeting: what a runtime opened from now on reads as the properties.
  expect(await logCount('saved')).toBe(1);
  expect((await serverMeeting(first)).http).toBe(404);
  return { first, second };
}

describe('a task pane opened again after remove and add again, in classic Outlook (sandbox)', () => {
  it('Remove there removes the meeting it shows, not the one the saved properties name', async () => {
    const { second } = await removedThenAddedAgain();
    const joinUrl = (await item(page)).location;
    expect(joinUrl).toContain('/m/');

    await reopenTaskpane();
    await taskpane().getByTestId('remove-meeting').click();
    await taskpane().getByTestId('no-meeting').waitFor();

    expect(await status()).toBe('The Roomlink meeting was removed from this appointment.');
    const after = await item(page);
    expect(findJoinBlock(after.body, 'html')).toBeNull();
    expect(after.location).toBe('');
    expect((await serverMeeting(second)).http).toBe(404);
    await page.getByTestId('send').click();
    await sendOutcome(page);
    expect(await logCount('send.alert')).toBe(0);
    expect((await item(page)).sent).toBe(true);
  });

  it('"Add back" there, the join block deleted by hand, writes the same meeting back; no other is made', async () => {
    const { second } = await removedThenAddedAgain();
    const made = creates();
    expect(made).toBe(2);
    await page.getByTestId('body').evaluate((body) => {
      (body as { innerHTML: string }).innerHTML = 'Notes.';
    });

    await reopenTaskpane();
    await taskpane().getByTestId('restore-meeting').click();
    await taskpane().getByTestId('block-missing').waitFor({ state: 'detached' });

    expect(await status()).toBe('The Roomlink joining details were added back to this appointment.');
    expect(await blockMeetingId()).toBe(second);
    expect(await serverMeeting(second)).toEqual({ http: 200, status: 'scheduled' });
    expect(creates()).toBe(made);
  });

  it('added with the ribbon after the removal, pane opened: Remove removes the ribbon’s meeting', async () => {
    await openSandbox(page, server.baseUrl, { user: ADELE.upn });
    await page.getByTestId('subject').fill('Weekly sync');
    await signInInTaskpane(page);
    const first = await addInTaskpane();
    await save();
    await removeInTaskpane();
    await page.getByTestId('taskpane-close').click();
    const completed = await logCount('command.completed');
    await page.getByTestId(ADD).click();
    await waitForLog(page, 'command.completed', completed + 1);
    const second = String(await blockMeetingId());
    expect(second).not.toBe(first);

    await page.getByTestId(OPTIONS).click();
    await taskpane().getByTestId('remove-meeting').click();
    await taskpane().getByTestId('no-meeting').waitFor();

    expect(await status()).toBe('The Roomlink meeting was removed from this appointment.');
    expect(findJoinBlock((await item(page)).body, 'html')).toBeNull();
    expect((await serverMeeting(second)).http).toBe(404);
  });
});
