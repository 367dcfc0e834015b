/**
 * The mark "the meeting was removed" in the item's session data (Office.SessionData, Mailbox 1.11). In
 * classic Outlook on Windows the send runtime reads the custom properties the item was last saved
 * with (learn.microsoft.com/office/dev/add-ins/outlook/metadata-for-an-outlook-add-in): after "add,
 * save, remove" they still name the removed meeting, whose block is gone from the body. The send check
 * takes the session data over them; a later add clears the mark.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findJoinBlock, removeJoinBlock } from '../../server/src/instructions/marker.js';
import { addMeeting } from '../web/core/add-meeting.js';
import { PROPS, readSessionState, recordedMeeting, SESSION_REMOVED } from '../web/core/item.js';
import { checkBeforeSend } from '../web/core/launch-events.js';
import { rewriteJoinBlockLanguage } from '../web/core/meeting-language.js';
import { readMeetingState } from '../web/core/meeting-options.js';
import { removeMeeting } from '../web/core/remove-meeting.js';
import { type FakeOutlook, fakeOutlook } from './support/fake-outlook.js';
import { contextFor, type Harness, startStub } from './support/harness.js';

const USER = 'adele@contoso.test';
let harness: Harness;

beforeEach(async () => {
  harness = await startStub();
});
afterEach(async () => {
  await harness.close();
});

const check = (outlook: FakeOutlook) => checkBeforeSend({ office: outlook.office }, 'en');
const BLOCKED = { allowEvent: false, errorMessage: expect.stringContaining('joining details') };

/** A signed-in add-in on an item with session data, its meeting added; `saved`: the properties then. */
async function added(sessionData: Record<string, string> = {}) {
  const outlook = fakeOutlook({ sessionData });
  const ctx = await contextFor(harness, outlook, { signedInAs: USER });
  const result = await addMeeting(ctx);
  if (result.status !== 'added') throw new Error(result.status);
  return { outlook, ctx, meeting: result.meeting, saved: { ...outlook.state.customProperties } };
}

describe('session data: the removal mark', () => {
  it('removing writes the mark, with the removed meeting’s id, and takes the meeting’s keys out', async () => {
    const { outlook, ctx, meeting } = await added();

    expect((await removeMeeting(ctx)).status).toBe('removed');

    expect(outlook.state.sessionData).toEqual({ [SESSION_REMOVED]: meeting.id });
  });

  it('added, saved, removed: the send runtime, reading the saved properties, lets the send go', async () => {
    const { outlook, ctx, saved } = await added();
    expect((await removeMeeting(ctx)).status).toBe('removed');
    // What classic Outlook's send runtime (and a task pane opened since) sees: the item as last saved.
    outlook.state.customProperties = saved;

    expect(await check(outlook)).toEqual({ allowEvent: true });
    expect(await readMeetingState(ctx)).toMatchObject({ meetingId: null, blockMissing: false });
  });

  it('added again after the removal: the mark is cleared, and the check follows the new meeting', async () => {
    const { outlook, ctx, meeting: first, saved } = await added();
    expect((await removeMeeting(ctx)).status).toBe('removed');
    const again = await addMeeting(ctx);
    if (again.status !== 'added') throw new Error(again.status);
    expect(again.meeting.id).not.toBe(first.id);
    expect(outlook.state.sessionData).toEqual({
      [PROPS.meetingId]: again.meeting.id,
      [PROPS.joinUrl]: again.meeting.joinUrl,
      [PROPS.idempotencyKey]: outlook.state.customProperties[PROPS.idempotencyKey],
    });
    outlook.state.customProperties = saved; // the first meeting's, as last saved

    // The body holds the new meeting's block: not taken for the first one's, deleted.
    expect(await check(outlook)).toEqual({ allowEvent: true });
    outlook.state.body = removeJoinBlock(outlook.state.body, 'html');
    expect(await check(outlook)).toEqual(BLOCKED);
  });

  it('the meeting’s keys could not be taken out: the mark naming that meeting still says removed', async () => {
    const { outlook, ctx, meeting, saved } = await added();
    outlook.state.failing.add('sessionData.removeAsync');
    expect((await removeMeeting(ctx)).status).toBe('removed');
    expect(outlook.state.sessionData).toMatchObject({
      [PROPS.meetingId]: meeting.id,
      [SESSION_REMOVED]: meeting.id,
    });
    outlook.state.customProperties = saved;

    expect(await readSessionState(outlook.office, currentItemOf(outlook))).toEqual({ kind: 'removed' });
    expect(await check(outlook)).toEqual({ allowEvent: true });
  });

  it('the mark could not be cleared by a later add: the new meeting, another id, counts', async () => {
    const { outlook, ctx, saved } = await added();
    expect((await removeMeeting(ctx)).status).toBe('removed');
    outlook.state.failing.add('sessionData.removeAsync');
    const again = await addMeeting(ctx);
    if (again.status !== 'added') throw new Error(again.status);
    expect(outlook.state.sessionData?.[SESSION_REMOVED]).toBeDefined();
    outlook.state.customProperties = saved;

    expect(await recordedMeeting(outlook.office, currentItemOf(outlook), await props(outlook))).toEqual({
      meetingId: again.meeting.id,
      joinUrl: again.meeting.joinUrl,
    });
    outlook.state.body = removeJoinBlock(outlook.state.body, 'html');
    expect(await check(outlook)).toEqual(BLOCKED);
  });

  it('a mark whose removal failed to be written: the meeting’s keys gone, the saved properties decide', async () => {
    const { outlook, ctx, saved } = await added();
    outlook.state.failing.add('sessionData.setAsync');
    expect((await removeMeeting(ctx)).status).toBe('removed');
    expect(outlook.state.sessionData).toEqual({});
    outlook.state.customProperties = saved;

    // As before the mark existed: the stale properties name the meeting, whose block is gone.
    expect(await check(outlook)).toEqual(BLOCKED);
  });

  it('no session data written since the item was opened: the custom properties decide, as before', async () => {
    const { outlook, saved } = await added();
    outlook.state.sessionData = {}; // the item closed and opened again
    outlook.state.customProperties = saved;

    expect(await check(outlook)).toEqual({ allowEvent: true });
    outlook.state.body = removeJoinBlock(outlook.state.body, 'html');
    expect(await check(outlook)).toEqual(BLOCKED);
  });

  it('session data that cannot be read: the custom properties decide', async () => {
    const { outlook, ctx } = await added();
    expect((await removeMeeting(ctx)).status).toBe('removed');
    outlook.state.failing.add('sessionData.getAsync');

    expect(await readSessionState(outlook.office, currentItemOf(outlook))).toBeNull();
    expect(await check(outlook)).toEqual({ allowEvent: true });
  });
});

/**
 * A runtime opened after "add, save, remove, add again" in classic Outlook (a task pane opened again,
 * the ribbon's function command) reads the custom properties the item was last saved with: the first
 * meeting's, removed and deleted. Every flow there must act on what the session data says, as the
 * send check does (item.ts, loadProps).
 */
describe('session data: a runtime reading the item as last saved acts on the session data', () => {
  async function removedThenAddedAgain() {
    const { outlook, ctx, meeting: first, saved } = await added();
    expect((await removeMeeting(ctx)).status).toBe('removed');
    const again = await addMeeting(ctx);
    if (again.status !== 'added') throw new Error(again.status);
    const second = again.meeting;
    const secondKey = outlook.state.customProperties[PROPS.idempotencyKey];
    expect(secondKey).not.toBe(saved[PROPS.idempotencyKey]);
    outlook.state.customProperties = saved; // the first meeting's, as last saved
    return { outlook, ctx, first, second, secondKey };
  }

  it('Remove removes the meeting the session data names, its block and location entry', async () => {
    const { outlook, ctx, second } = await removedThenAddedAgain();
    expect(outlook.state.location).toBe(second.joinUrl);

    expect(await removeMeeting(ctx)).toEqual({ status: 'removed' });

    expect(findJoinBlock(outlook.state.body, 'html')).toBeNull();
    expect(outlook.state.location).toBe('');
    expect(harness.stub.meetings.get(second.id)?.deleted).toBe(true);
    expect(outlook.state.sessionData).toEqual({ [SESSION_REMOVED]: second.id });
    expect(outlook.state.customProperties).toEqual({});
    expect(await check(outlook)).toEqual({ allowEvent: true });
  });

  it('the task pane shows that meeting, with the item’s key the add recorded', async () => {
    const { ctx, second, secondKey } = await removedThenAddedAgain();

    expect(await readMeetingState(ctx)).toEqual({
      meetingId: second.id,
      joinUrl: second.joinUrl,
      itemKey: secondKey,
      hasBlock: true,
      blockMissing: false,
    });
  });

  it('Add, its block deleted by hand, writes that meeting back; no other meeting is made', async () => {
    const { outlook, ctx, second } = await removedThenAddedAgain();
    outlook.state.body = removeJoinBlock(outlook.state.body, 'html');
    const made = harness.stub.createBodies.length;

    const result = await addMeeting(ctx);

    expect(result).toMatchObject({ status: 'restored', meeting: { id: second.id } });
    expect(findJoinBlock(outlook.state.body, 'html')?.meetingId).toBe(second.id);
    expect(harness.stub.createBodies).toHaveLength(made);
    expect(outlook.state.sessionData?.[PROPS.meetingId]).toBe(second.id);
    expect(await check(outlook)).toEqual({ allowEvent: true });
  });

  it('a new language rewrites that meeting’s block', async () => {
    const { outlook, second } = await removedThenAddedAgain();
    const fr = await contextFor(harness, outlook, { signedInAs: USER, lang: 'fr' });

    expect((await rewriteJoinBlockLanguage(fr)).status).toBe('rewritten');

    expect(findJoinBlock(outlook.state.body, 'html')?.meetingId).toBe(second.id);
    expect(outlook.state.body).toContain('Rejoindre la réunion Roomlink');
    expect(outlook.state.body).not.toContain('Join the Roomlink meeting');
  });

  it('after a removal, Add there makes a new meeting with a new key, not the removed one’s', async () => {
    const { outlook, ctx, meeting: first, saved } = await added();
    expect((await removeMeeting(ctx)).status).toBe('removed');
    outlook.state.customProperties = saved; // the removed meeting's, with its key
    const made = harness.stub.createBodies.length;

    const result = await addMeeting(ctx);

    if (result.status !== 'added') throw new Error(result.status);
    expect(result.meeting.id).not.toBe(first.id);
    expect(harness.stub.createBodies).toHaveLength(made + 1);
    expect(harness.stub.createBodies.at(-1)?.idempotencyKey).not.toBe(saved[PROPS.idempotencyKey]);
    // Straight to a new meeting: the removed one is not looked up first.
    expect(harness.stub.requests.filter((r) => r === `GET /api/v1/meetings/${first.id}`)).toEqual([]);
  });
});

function currentItemOf(outlook: FakeOutlook) {
  const item = outlook.office.context.mailbox.item;
  if (!item) throw new Error('no item');
  return item;
}

function props(outlook: FakeOutlook) {
  return new Promise<Parameters<typeof recordedMeeting>[2]>((resolve) =>
    currentItemOf(outlook).loadCustomPropertiesAsync((r) => resolve(r.value)),
  );
}
