/**
 * Adding a meeting to an appointment whose description is close to Outlook's limit: body.setAsync
 * refuses more than 1,000,000 characters (DataExceedsMaximumSize), so the joining details do not fit.
 * The user is told that, and what to do, in their language; the item is left as it was; the meeting
 * the server made is kept for the retry (same idempotency key), which gets it back once the
 * description is shorter.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findJoinBlock } from '../../server/src/instructions/marker.js';
import { addMeeting } from '../web/core/add-meeting.js';
import { runAddMeetingCommand } from '../web/core/add-meeting-command.js';
import { PROPS } from '../web/core/item.js';
import { onNewAppointment } from '../web/core/launch-events.js';
import { removeMeeting } from '../web/core/remove-meeting.js';
import { type FakeOutlook, fakeOutlook, MAX_BODY, snapshot } from './support/fake-outlook.js';
import { contextFor, type Harness, startStub } from './support/harness.js';

const USER = 'adele@contoso.test';
const TOO_LONG_EN =
  'The description is too long for the Roomlink joining details to be added. Shorten it, then try again. Nothing was changed.';
const TOO_LONG_FR =
  'La description est trop longue pour y ajouter les informations de la réunion Roomlink. Raccourcissez-la, puis réessayez. Rien n’a été modifié.';

let harness: Harness;

beforeEach(async () => {
  harness = await startStub();
});
afterEach(async () => {
  await harness.close();
});

/** An HTML body this much under Outlook's limit: any join block takes it over. */
function bodyNearLimit(spare = 20): string {
  const shell = '<html><body><div></div></body></html>';
  return `<html><body><div>${'x'.repeat(MAX_BODY - shell.length - spare)}</div></body></html>`;
}

function nearLimit(init: Parameters<typeof fakeOutlook>[0] = {}): FakeOutlook {
  return fakeOutlook({ location: 'Room 4.12', body: bodyNearLimit(), ...init });
}

/** What the add wrote into the item besides the idempotency key (none expected). */
function propsBesidesKey(outlook: FakeOutlook): Record<string, unknown> {
  const { [PROPS.idempotencyKey]: _key, ...rest } = outlook.state.customProperties;
  return rest;
}

const shorten = (outlook: FakeOutlook) => {
  outlook.state.body = '<html><body><div>Agenda: numbers.</div></body></html>';
};

describe('a description too long for the joining details', () => {
  it('says so and what to do, leaves the item as it was, and a retry once shortened gets the same meeting', async () => {
    const outlook = nearLimit();
    const before = snapshot(outlook.state);
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });

    const first = await addMeeting(ctx);

    expect(first.status === 'failed' && first.message).toBe(TOO_LONG_EN);
    expect(outlook.state.notifications.get('roomlink')).toEqual({
      type: 'errorMessage',
      message: TOO_LONG_EN,
    });
    expect(outlook.state.calls).toContain('body.setAsync');
    expect(outlook.state.body).toBe(before.body);
    expect(outlook.state.location).toBe(before.location);
    // The only trace: the key the retry makes its request with.
    expect(propsBesidesKey(outlook)).toEqual(before.customProperties);
    expect(harness.stub.meetings.size).toBe(1);
    const [made] = [...harness.stub.meetings.keys()];

    shorten(outlook);
    const second = await addMeeting(ctx);

    if (second.status !== 'added') throw new Error(second.status);
    expect(second.meeting.id).toBe(made);
    expect(harness.stub.meetings.size).toBe(1);
    expect(harness.stub.createBodies.map((b) => b.idempotencyKey)).toEqual([
      outlook.state.customProperties[PROPS.idempotencyKey],
      outlook.state.customProperties[PROPS.idempotencyKey],
    ]);
    expect(findJoinBlock(outlook.state.body, 'html')?.meetingId).toBe(made);
    expect(outlook.state.location).toBe(`Room 4.12; ${second.meeting.joinUrl}`);
    expect(outlook.state.customProperties[PROPS.meetingId]).toBe(made);
  });

  it('says it in French to a French user', async () => {
    const outlook = nearLimit();
    const ctx = await contextFor(harness, outlook, { signedInAs: USER, lang: 'fr' });

    const result = await addMeeting(ctx);

    expect(result.status === 'failed' && result.message).toBe(TOO_LONG_FR);
    expect(outlook.state.notifications.get('roomlink')?.message).toBe(TOO_LONG_FR);
  });

  it('adds the meeting when the description and the joining details just fit', async () => {
    const outlook = fakeOutlook({ body: bodyNearLimit(5000) });
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });

    const result = await addMeeting(ctx);

    expect(result.status).toBe('added');
    expect(outlook.state.body.length).toBeLessThanOrEqual(MAX_BODY);
  });

  it('from the ribbon: the command reports the failure (Outlook mobile) and the bar says why', async () => {
    const outlook = nearLimit();
    const before = snapshot(outlook.state);
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    const completions: unknown[] = [];

    await runAddMeetingCommand({ completed: (options) => completions.push(options) }, () => addMeeting(ctx));

    expect(completions).toEqual([{ allowEvent: false }]);
    expect(outlook.state.notifications.get('roomlink')?.message).toBe(TOO_LONG_EN);
    expect(outlook.state.body).toBe(before.body);
    expect(outlook.state.location).toBe(before.location);
  });

  it('on a new appointment with "add to every meeting": the bar says why, nothing is written', async () => {
    const outlook = nearLimit();
    const before = snapshot(outlook.state);
    const ctx = await contextFor(harness, outlook, { signedInAs: USER, withDialog: false });
    (
      harness.stub.users.get(USER) as { settings: { addToEveryMeeting: boolean } }
    ).settings.addToEveryMeeting = true;

    const result = await onNewAppointment(ctx);

    expect(result.status === 'failed' && result.message).toBe(TOO_LONG_EN);
    expect(outlook.state.notifications.get('roomlink')?.message).toBe(TOO_LONG_EN);
    expect(outlook.state.body).toBe(before.body);
    expect(outlook.state.location).toBe(before.location);
    expect(propsBesidesKey(outlook)).toEqual(before.customProperties);
  });

  it('with entries (Mailbox 1.8): the location keeps its room and gets no join URL', async () => {
    const room = { type: 'room', id: 'room412@contoso.test', displayName: 'Room 4.12' } as const;
    const outlook = nearLimit({ locations: [room] });
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });

    const result = await addMeeting(ctx);

    expect(result.status === 'failed' && result.message).toBe(TOO_LONG_EN);
    expect(outlook.state.locations).toEqual([room]);
    expect(outlook.state.calls).not.toContain('enhancedLocation.addAsync');
  });

  it('when writing the joining details back ("Add back"), says the same and writes nothing', async () => {
    const outlook = fakeOutlook();
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    const added = await addMeeting(ctx);
    if (added.status !== 'added') throw new Error(added.status);
    // The user deleted the joining details and pasted a long text in their place.
    outlook.state.body = bodyNearLimit();
    const before = snapshot(outlook.state);

    const result = await addMeeting(ctx);

    expect(result.status === 'failed' && result.message).toBe(TOO_LONG_EN);
    expect(snapshot(outlook.state)).toEqual(before);
    expect(harness.stub.meetings.size).toBe(1);
  });

  it('another error from Outlook still reads as Outlook’s', async () => {
    const outlook = fakeOutlook();
    outlook.state.failing.add('body.setAsync');
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });

    const result = await addMeeting(ctx);

    expect(result.status === 'failed' && result.message).toBe(
      'Outlook couldn’t update the appointment: body.setAsync failed. Nothing was changed.',
    );
  });
});

describe('the retry in another runtime (classic Outlook: custom properties are per runtime until saved)', () => {
  it('finds the failed try’s key in the session data: no second meeting', async () => {
    const outlook = nearLimit({ sessionData: {} });
    const ribbon = await contextFor(harness, outlook, { signedInAs: USER });
    const first = await addMeeting(ribbon);
    expect(first.status === 'failed' && first.message).toBe(TOO_LONG_EN);
    const key = outlook.state.customProperties[PROPS.idempotencyKey];
    expect(outlook.state.sessionData).toEqual({ [PROPS.idempotencyKey]: key });

    // A new runtime (the task pane, or the next ribbon command) sees the properties the item was
    // last saved with: none.
    outlook.state.customProperties = {};
    shorten(outlook);
    const pane = await contextFor(harness, outlook, { signedInAs: USER });
    const second = await addMeeting(pane);

    if (second.status !== 'added') throw new Error(second.status);
    expect(harness.stub.meetings.size).toBe(1);
    expect(harness.stub.createBodies.map((b) => b.idempotencyKey)).toEqual([key, key]);
    expect(outlook.state.customProperties[PROPS.idempotencyKey]).toBe(key);
    expect(outlook.state.sessionData).toMatchObject({
      [PROPS.idempotencyKey]: key,
      [PROPS.meetingId]: second.meeting.id,
    });
  });

  it('after a removal the next add makes a new meeting, not the removed one again', async () => {
    const outlook = fakeOutlook({ sessionData: {} });
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    const added = await addMeeting(ctx);
    if (added.status !== 'added') throw new Error(added.status);
    expect((await removeMeeting(ctx)).status).toBe('removed');
    expect(outlook.state.sessionData?.[PROPS.idempotencyKey]).toBeUndefined();

    outlook.state.customProperties = {};
    const again = await addMeeting(ctx);

    if (again.status !== 'added') throw new Error(again.status);
    expect(again.meeting.id).not.toBe(added.meeting.id);
    const keys = harness.stub.createBodies.map((b) => b.idempotencyKey);
    expect(keys).toHaveLength(2);
    expect(keys[1]).not.toBe(keys[0]);
  });
});
