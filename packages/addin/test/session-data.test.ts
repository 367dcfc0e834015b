/**
 * The meeting recorded in the item's session data (Office.SessionData, Mailbox 1.11) beside its custom
 * properties, for the send check in classic Outlook on Windows, where custom properties saved in compose
 * mode persist only once the item is closed or saved (learn.microsoft.com/office/dev/add-ins/outlook/
 * metadata-for-an-outlook-add-in), so the OnAppointmentSend runtime may not see them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeJoinBlock } from '../../server/src/instructions/marker.js';
import { addMeeting } from '../web/core/add-meeting.js';
import { PROPS, SESSION_REMOVED } from '../web/core/item.js';
import { checkBeforeSend } from '../web/core/launch-events.js';
import { readMeetingState } from '../web/core/meeting-options.js';
import { removeMeeting } from '../web/core/remove-meeting.js';
import { fakeOutlook } from './support/fake-outlook.js';
import { contextFor, type Harness, startStub } from './support/harness.js';

const USER = 'adele@contoso.test';
let harness: Harness;

beforeEach(async () => {
  harness = await startStub();
});
afterEach(async () => {
  await harness.close();
});

describe('session data (Mailbox 1.11)', () => {
  it('adding records the meeting id, join URL and the item’s key in the session data too', async () => {
    const outlook = fakeOutlook({ sessionData: {} });
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });

    const result = await addMeeting(ctx);

    if (result.status !== 'added') throw new Error(result.status);
    expect(outlook.state.sessionData).toEqual({
      [PROPS.meetingId]: result.meeting.id,
      [PROPS.joinUrl]: result.meeting.joinUrl,
      [PROPS.idempotencyKey]: outlook.state.customProperties[PROPS.idempotencyKey],
    });
    expect(outlook.state.sessionData?.[PROPS.idempotencyKey]).toMatch(/^rl-[0-9a-f]{32}$/);
  });

  it('the send check, seeing no custom properties (classic Outlook before a save), blocks on the session data', async () => {
    const outlook = fakeOutlook({ sessionData: {} });
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    expect((await addMeeting(ctx)).status).toBe('added');
    const withBlock = outlook.state.body;
    // What classic Outlook's send runtime sees: the properties saved in the compose window are not there.
    outlook.state.customProperties = {};

    expect(await checkBeforeSend({ office: outlook.office }, 'en')).toEqual({ allowEvent: true });
    outlook.state.body = removeJoinBlock(withBlock, 'html');
    expect((await checkBeforeSend({ office: outlook.office }, 'en')).allowEvent).toBe(false);
    // The task pane of another runtime names the meeting too.
    expect(await readMeetingState(ctx)).toMatchObject({ blockMissing: true });
  });

  it('removing the meeting clears it from the session data: the send goes', async () => {
    const outlook = fakeOutlook({ sessionData: {} });
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    expect((await addMeeting(ctx)).status).toBe('added');

    const id = String(outlook.state.customProperties[PROPS.meetingId]);
    expect((await removeMeeting(ctx)).status).toBe('removed');

    // The meeting's keys go; the mark of its removal stays (session-data-removed.test.ts).
    expect(outlook.state.sessionData).toEqual({ [SESSION_REMOVED]: id });
    outlook.state.customProperties = {};
    expect(await checkBeforeSend({ office: outlook.office }, 'en')).toEqual({ allowEvent: true });
  });

  it('session data refused (Outlook mobile: FeatureNotEnabled) never fails adding the meeting', async () => {
    const outlook = fakeOutlook({ sessionData: {} });
    outlook.state.failing.add('sessionData.setAsync');
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });

    const result = await addMeeting(ctx);

    if (result.status !== 'added') throw new Error(result.status);
    expect(outlook.state.customProperties[PROPS.meetingId]).toBe(result.meeting.id);
    expect(outlook.state.calls).toContain('sessionData.setAsync');
  });

  it('without Mailbox 1.11 no session data is touched, and the check reads the custom properties alone', async () => {
    const outlook = fakeOutlook();
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    expect((await addMeeting(ctx)).status).toBe('added');
    expect(outlook.state.calls.filter((c) => c.startsWith('sessionData.'))).toEqual([]);

    outlook.state.body = removeJoinBlock(outlook.state.body, 'html');
    expect((await checkBeforeSend({ office: outlook.office }, 'en')).allowEvent).toBe(false);
    outlook.state.customProperties = {};
    expect(await checkBeforeSend({ office: outlook.office }, 'en')).toEqual({ allowEvent: true });
  });
});
