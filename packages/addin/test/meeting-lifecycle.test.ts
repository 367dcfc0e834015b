import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findJoinBlock, SEPARATOR_LINE } from '../../server/src/instructions/marker.js';
import { addMeeting } from '../web/core/add-meeting.js';
import { PROPS } from '../web/core/item.js';
import { checkBeforeSend, onNewAppointment } from '../web/core/launch-events.js';
import { applyMeetingOptions, readMeetingState } from '../web/core/meeting-options.js';
import { removeMeeting } from '../web/core/remove-meeting.js';
import { fakeOutlook, snapshot } from './support/fake-outlook.js';
import { contextFor, type Harness, startStub } from './support/harness.js';

const USER = 'adele@contoso.test';
let harness: Harness;

beforeEach(async () => {
  harness = await startStub();
});
afterEach(async () => {
  await harness.close();
});

describe('remove meeting (task pane)', () => {
  it('deletes the meeting and takes out exactly the block, the location entry and the properties', async () => {
    const outlook = fakeOutlook({ location: 'Room 4.12' });
    const before = snapshot(outlook.state);
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    const added = await addMeeting(ctx);
    if (added.status !== 'added') throw new Error(added.status);
    outlook.state.body = outlook.state.body.replace('</body>', '<p>Typed after the block.</p></body>');

    expect((await removeMeeting(ctx)).status).toBe('removed');

    expect(harness.stub.requests).toContain(`DELETE /api/v1/meetings/${added.meeting.id}`);
    expect(harness.stub.meetings.get(added.meeting.id)?.deleted).toBe(true);
    expect(outlook.state.body).toBe(before.body.replace('</body>', '<p>Typed after the block.</p></body>'));
    expect(outlook.state.location).toBe('Room 4.12');
    expect(outlook.state.customProperties).toEqual({});
    expect(outlook.state.notifications.get('roomlink')?.message).toBe(
      'The Roomlink meeting was removed from this appointment.',
    );
  });

  it('adding again after a removal creates a new meeting', async () => {
    const outlook = fakeOutlook();
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    const first = await addMeeting(ctx);
    await removeMeeting(ctx);
    const second = await addMeeting(ctx);
    expect(
      first.status === 'added' && second.status === 'added' && first.meeting.id !== second.meeting.id,
    ).toBe(true);
  });

  it('cleans the item when the meeting is already gone on the server', async () => {
    const outlook = fakeOutlook();
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    const added = await addMeeting(ctx);
    if (added.status !== 'added') throw new Error(added.status);
    harness.stub.meetings.delete(added.meeting.id);
    // The server cannot tell "already gone" from "not yours": no claim that the room is gone.
    expect((await removeMeeting(ctx)).status).toBe('failed');
    expect(findJoinBlock(outlook.state.body, 'html')).toBeNull();
    expect(outlook.state.customProperties).toEqual({});
  });

  it('when the server cannot be reached, cleans the item, keeps the meeting id, says so; Remove again finishes', async () => {
    const outlook = fakeOutlook({ location: 'Room 4.12' });
    const before = snapshot(outlook.state);
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    const added = await addMeeting(ctx);
    if (added.status !== 'added') throw new Error(added.status);
    harness.stub.failNext('/api/v1/meetings/', 503, { detail: 'maintenance' });

    const result = await removeMeeting(ctx);

    expect(result.status === 'failed' && result.message).toBe(
      'The joining details were removed from the appointment, but Roomlink couldn’t delete the meeting (maintenance). Try Remove again.',
    );
    expect(outlook.state.body).toBe(before.body);
    expect(outlook.state.location).toBe('Room 4.12');
    expect(outlook.state.customProperties[PROPS.meetingId]).toBe(added.meeting.id);
    expect(harness.stub.meetings.get(added.meeting.id)?.deleted).toBe(false);

    expect((await removeMeeting(ctx)).status).toBe('removed');
    expect(harness.stub.meetings.get(added.meeting.id)?.deleted).toBe(true);
    expect(outlook.state.customProperties).toEqual({});
  });

  it('changes nothing when the user cancels the sign-in Remove needs', async () => {
    const outlook = fakeOutlook();
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    await addMeeting(ctx);
    await ctx.sessions.clear();
    outlook.onDialog = (dialog) => dialog.closeByUser();
    const before = snapshot(outlook.state);
    const result = await removeMeeting(ctx);
    expect(result.status === 'failed' && result.message).toBe('Sign-in was cancelled. Nothing was changed.');
    expect(snapshot(outlook.state)).toEqual(before);
  });

  it('says there is nothing to remove on a plain appointment', async () => {
    const outlook = fakeOutlook();
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    expect((await removeMeeting(ctx)).status).toBe('none');
    expect(harness.stub.requests).toEqual([]);
  });
});

describe('meeting options (task pane)', () => {
  it('PATCHes the options and swaps the block for the re-rendered one, keeping the user text', async () => {
    const outlook = fakeOutlook();
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    const added = await addMeeting(ctx);
    if (added.status !== 'added') throw new Error(added.status);
    outlook.state.body = outlook.state.body.replace('</body>', '<p>PS: bring coffee</p></body>');
    expect(outlook.state.body).not.toContain('Guest PIN');

    const meeting = await applyMeetingOptions(ctx, added.meeting.id, { guestPin: true, lobby: true });

    expect(meeting.options).toEqual({ guestPin: true, lobby: true });
    expect(harness.stub.meetings.get(added.meeting.id)?.options).toEqual({ guestPin: true, lobby: true });
    expect(outlook.state.body).toContain('Guest PIN: 4242');
    expect(outlook.state.body).toContain('<div>Agenda: numbers.</div>');
    expect(outlook.state.body).toContain('<p>PS: bring coffee</p>');
    expect(outlook.state.body.match(/roomlink:begin/g)).toHaveLength(1);
  });

  it('reports the item’s meeting state from the custom properties and the body', async () => {
    const outlook = fakeOutlook();
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    expect(await readMeetingState(ctx)).toEqual({
      meetingId: null,
      joinUrl: null,
      itemKey: null,
      hasBlock: false,
      blockMissing: false,
    });
    const added = await addMeeting(ctx);
    if (added.status !== 'added') throw new Error(added.status);
    expect(await readMeetingState(ctx)).toEqual({
      meetingId: added.meeting.id,
      joinUrl: added.meeting.joinUrl,
      // The key the add-in sent when it created the meeting: the item's proof for a later re-claim.
      itemKey: harness.stub.createBodies[0]?.idempotencyKey,
      hasBlock: true,
      blockMissing: false,
    });
  });
});

describe('OnNewAppointmentOrganizer', () => {
  it('adds a meeting when the user chose "every new appointment"', async () => {
    const outlook = fakeOutlook();
    const ctx = await contextFor(harness, outlook, { signedInAs: USER, withDialog: false });
    (
      harness.stub.users.get(USER) as { settings: { addToEveryMeeting: boolean } }
    ).settings.addToEveryMeeting = true;
    const result = await onNewAppointment(ctx);
    expect(result.status).toBe('added');
    expect(outlook.state.customProperties[PROPS.meetingId]).toBeTruthy();
    expect(await ctx.sessions.getSettings()).toEqual({ addToEveryMeeting: true, language: null });
  });

  it('does nothing when the setting is off, or when signed out, or offline', async () => {
    const outlook = fakeOutlook();
    const before = snapshot(outlook.state);
    const signedIn = await contextFor(harness, outlook, { signedInAs: USER, withDialog: false });
    expect(await onNewAppointment(signedIn)).toEqual({ status: 'skipped', reason: 'setting off' });
    const signedOut = await contextFor(harness, outlook, { withDialog: false });
    expect(await onNewAppointment(signedOut)).toEqual({ status: 'skipped', reason: 'not signed in' });
    const offline = await contextFor(harness, outlook, {
      signedInAs: USER,
      withDialog: false,
      baseUrl: 'http://127.0.0.1:9/',
    });
    expect(await onNewAppointment(offline)).toEqual({ status: 'skipped', reason: 'settings unavailable' });
    expect(snapshot(outlook.state)).toEqual(before);
  });
});

describe('auto-add when the session has ended', () => {
  it('tells a user who asked for a meeting on every appointment to sign in, and adds nothing', async () => {
    const outlook = fakeOutlook();
    const before = snapshot(outlook.state);
    const ctx = await contextFor(harness, outlook, { signedInAs: USER, withDialog: false });
    await ctx.sessions.setSettings({ addToEveryMeeting: true, language: null });
    const told = 'Open Roomlink options and sign in to add meetings automatically.';

    // Roomlink refuses the session (revoked, or ended on the server).
    harness.stub.revokeAll();
    expect(await onNewAppointment(ctx)).toEqual({ status: 'skipped', reason: 'session ended' });
    expect(outlook.state.notifications.get('roomlink')?.message).toBe(told);

    // The session ended on this device (30 days): the same.
    outlook.state.notifications.clear();
    await ctx.sessions.clear();
    expect(await onNewAppointment(ctx)).toEqual({ status: 'skipped', reason: 'not signed in' });
    expect(outlook.state.notifications.get('roomlink')?.message).toBe(told);
    expect(outlook.state.customProperties).toEqual(before.customProperties);
    expect(outlook.state.body).toBe(before.body);

    // Signed out on purpose: the settings went too, and nothing is said.
    outlook.state.notifications.clear();
    await ctx.sessions.signOut();
    expect(await onNewAppointment(ctx)).toEqual({ status: 'skipped', reason: 'not signed in' });
    expect(outlook.state.notifications.size).toBe(0);
  });
});

describe('OnAppointmentSend (Smart Alert)', () => {
  it('lets a plain appointment and an intact Roomlink appointment go', async () => {
    const outlook = fakeOutlook();
    expect(await checkBeforeSend({ office: outlook.office }, 'en')).toEqual({ allowEvent: true });
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    await addMeeting(ctx);
    expect(await checkBeforeSend({ office: outlook.office }, 'en')).toEqual({ allowEvent: true });
  });

  it('stops the send when the block was deleted but the meeting id is still on the item', async () => {
    const outlook = fakeOutlook();
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    await addMeeting(ctx);
    outlook.state.body = '<html><body><div>Agenda: numbers.</div></body></html>';

    const english = await checkBeforeSend({ office: outlook.office }, 'en');
    expect(english).toEqual({
      allowEvent: false,
      errorMessage: expect.stringContaining(
        'The Roomlink joining details were deleted from this invitation.',
      ),
    });
    const french = await checkBeforeSend({ office: outlook.office }, 'fr');
    expect(french.allowEvent === false && french.errorMessage).toContain(
      'ont été supprimées de l’invitation',
    );
  });

  it('lets the send go when it cannot check (SoftBlock)', async () => {
    const outlook = fakeOutlook({ customProperties: { [PROPS.meetingId]: 'x' } });
    outlook.state.failing.add('body.getAsync');
    expect(await checkBeforeSend({ office: outlook.office }, 'en')).toEqual({ allowEvent: true });
  });
});

describe('remove meeting when Outlook lost the custom properties', () => {
  it('deletes the meeting named by the join block and takes its URL out of the location', async () => {
    const outlook = fakeOutlook({ location: 'Room 4.12' });
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    const added = await addMeeting(ctx);
    if (added.status !== 'added') throw new Error(added.status);
    outlook.state.customProperties = {};

    expect((await removeMeeting(ctx)).status).toBe('removed');

    expect(findJoinBlock(outlook.state.body, 'html')).toBeNull();
    expect(outlook.state.location).toBe('Room 4.12');
    expect(harness.stub.requests).toContain(`DELETE /api/v1/meetings/${added.meeting.id}`);
    expect(harness.stub.meetings.get(added.meeting.id)?.deleted).toBe(true);
  });

  it('keeps a meeting whose block was pasted from another appointment (its times differ), and says so', async () => {
    const original = fakeOutlook();
    const ctx = await contextFor(harness, original, { signedInAs: USER });
    const added = await addMeeting(ctx);
    if (added.status !== 'added') throw new Error(added.status);
    // Last week's invitation body, pasted into a new appointment at another time.
    const pasted = fakeOutlook({
      body: original.state.body,
      start: new Date('2026-12-08T09:00:00Z'),
      end: new Date('2026-12-08T10:00:00Z'),
    });
    const other = await contextFor(harness, pasted, { signedInAs: USER });

    expect((await removeMeeting(other)).status).toBe('removed');

    expect(findJoinBlock(pasted.state.body, 'html')).toBeNull();
    expect(harness.stub.requests).not.toContain(`DELETE /api/v1/meetings/${added.meeting.id}`);
    expect(harness.stub.meetings.get(added.meeting.id)?.deleted).toBe(false);
    expect(pasted.state.notifications.get('roomlink')?.message).toBe(
      'Joining details removed. Their meeting was kept: its times differ from this appointment’s, so it belongs to another one.',
    );
  });

  it('in a plain-text body (no meeting id in the block), still takes the link out of the location', async () => {
    const outlook = fakeOutlook({ bodyType: 'text', body: 'Agenda.', location: 'Room 4.12' });
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    const added = await addMeeting(ctx);
    if (added.status !== 'added') throw new Error(added.status);
    outlook.state.customProperties = {};

    expect((await removeMeeting(ctx)).status).toBe('removed');

    expect(outlook.state.body).toBe('Agenda.');
    expect(outlook.state.location).toBe('Room 4.12');
  });
});

describe('add meeting when the body holds a join block but no properties', () => {
  const FOREIGN_EN =
    'The description holds another Roomlink meeting’s joining details. Remove them (their meeting is kept) or delete them, then add a meeting.';

  it('refuses a block pasted from another appointment (its times differ): makes nothing, changes nothing, says so', async () => {
    const original = fakeOutlook();
    const ctx = await contextFor(harness, original, { signedInAs: USER });
    const added = await addMeeting(ctx);
    if (added.status !== 'added') throw new Error(added.status);
    // Last week's invitation body, pasted into a new appointment at another time.
    const pasted = fakeOutlook({
      body: original.state.body,
      start: new Date('2026-12-08T09:00:00Z'),
      end: new Date('2026-12-08T10:00:00Z'),
    });
    const before = snapshot(pasted.state);
    const other = await contextFor(harness, pasted, { signedInAs: USER });

    expect(await addMeeting(other)).toEqual({ status: 'foreignBlock' });

    expect(harness.stub.createBodies).toHaveLength(1);
    expect(harness.stub.meetings.size).toBe(1);
    expect(snapshot(pasted.state)).toEqual(before);
    expect(pasted.state.notifications.get('roomlink')?.message).toBe(FOREIGN_EN);

    const french = await contextFor(harness, pasted, { signedInAs: USER, lang: 'fr' });
    expect((await addMeeting(french)).status).toBe('foreignBlock');
    expect(pasted.state.notifications.get('roomlink')?.message).toBe(
      'La description contient les informations d’une autre réunion Roomlink. Retirez-les (leur réunion est conservée) ou effacez-les, puis ajoutez la vôtre.',
    );
    expect(snapshot(pasted.state)).toEqual(before);
  });

  it('still answers "already" for its own block when Outlook lost the properties, once the server confirms its times', async () => {
    const outlook = fakeOutlook({ location: 'Room 4.12' });
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    const added = await addMeeting(ctx);
    if (added.status !== 'added') throw new Error(added.status);
    outlook.state.customProperties = {}; // classic Outlook before a save
    const before = snapshot(outlook.state);

    expect(await addMeeting(ctx)).toEqual({ status: 'already' });

    expect(harness.stub.requests).toContain(`GET /api/v1/meetings/${added.meeting.id}`);
    expect(harness.stub.createBodies).toHaveLength(1);
    expect(snapshot(outlook.state)).toEqual(before);
    expect(outlook.state.notifications.get('roomlink')?.message).toBe(
      'This appointment already has a Roomlink meeting.',
    );
  });

  it('refuses a block whose meeting is someone else’s or cancelled, even at this appointment’s times', async () => {
    // A colleague's invitation at the same hour, pasted: the server does not know it for this user.
    const colleagues = fakeOutlook();
    const pierre = await contextFor(harness, colleagues, { signedInAs: 'pierre@contoso.test' });
    expect((await addMeeting(pierre)).status).toBe('added');
    const pasted = fakeOutlook({ body: colleagues.state.body });
    const before = snapshot(pasted.state);
    expect(await addMeeting(await contextFor(harness, pasted, { signedInAs: USER }))).toEqual({
      status: 'foreignBlock',
    });
    expect(snapshot(pasted.state)).toEqual(before);

    // The item's own meeting, cancelled meanwhile on the server, its properties lost.
    const outlook = fakeOutlook();
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    const added = await addMeeting(ctx);
    if (added.status !== 'added') throw new Error(added.status);
    outlook.state.customProperties = {};
    const stored = harness.stub.meetings.get(added.meeting.id);
    if (!stored) throw new Error('no stored meeting');
    stored.status = 'cancelled';
    const kept = snapshot(outlook.state);

    expect(await addMeeting(ctx)).toEqual({ status: 'foreignBlock' });

    expect(snapshot(outlook.state)).toEqual(kept);
    expect(harness.stub.createBodies).toHaveLength(2);
    expect(outlook.state.notifications.get('roomlink')?.message).toBe(FOREIGN_EN);
  });

  it('in one occurrence of a Roomlink series, which shows the series’ block without its properties: Add says "already", Remove keeps the series’ meeting', async () => {
    const recurrence = {
      recurrenceType: 'weekly',
      recurrenceProperties: { interval: 1, days: ['tue'], firstDayOfWeek: 'mon' },
      recurrenceTimeZone: { name: 'Romance Standard Time' },
      seriesTime: { getStartDate: () => '2026-12-01', getEndDate: () => '2027-03-02' },
    };
    const series = fakeOutlook({ recurrence });
    const added = await addMeeting(await contextFor(harness, series, { signedInAs: USER }));
    if (added.status !== 'added') throw new Error(added.status);
    // The third Tuesday opened on its own: the series' body, none of its properties, its own times.
    const occurrence = fakeOutlook({
      seriesId: 'AAMkADSeriesMaster=',
      recurrence,
      body: series.state.body,
      start: new Date('2026-12-15T09:00:00Z'),
      end: new Date('2026-12-15T10:00:00Z'),
    });
    const before = snapshot(occurrence.state);
    const ctx = await contextFor(harness, occurrence, { signedInAs: USER });

    expect(await addMeeting(ctx)).toEqual({ status: 'already' });
    expect(snapshot(occurrence.state)).toEqual(before);
    expect(harness.stub.createBodies).toHaveLength(1);

    expect((await removeMeeting(ctx)).status).toBe('removed');
    expect(findJoinBlock(occurrence.state.body, 'html')).toBeNull();
    expect(harness.stub.meetings.get(added.meeting.id)?.status).toBe('scheduled');
    expect(harness.stub.requests).not.toContain(`DELETE /api/v1/meetings/${added.meeting.id}`);
    expect(occurrence.state.notifications.get('roomlink')?.message).toBe(
      'Joining details removed from this occurrence. The series keeps its Roomlink meeting for its other occurrences.',
    );
  });

  it('changes nothing when the user cancels the sign-in that check needs', async () => {
    const outlook = fakeOutlook();
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    await addMeeting(ctx);
    outlook.state.customProperties = {};
    await ctx.sessions.clear();
    outlook.onDialog = (dialog) => dialog.closeByUser();
    const before = snapshot(outlook.state);

    const result = await addMeeting(ctx);

    expect(result.status === 'failed' && result.message).toBe('Sign-in was cancelled. Nothing was changed.');
    expect(snapshot(outlook.state)).toEqual(before);
    expect(harness.stub.createBodies).toHaveLength(1);
  });
});

describe('remove meeting that fails half-way', () => {
  it('cleans the item before deleting on the server, and does not claim that nothing changed', async () => {
    const outlook = fakeOutlook({ location: 'Room 4.12' });
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    const added = await addMeeting(ctx);
    if (added.status !== 'added') throw new Error(added.status);
    outlook.state.failing.add('location.setAsync');

    const result = await removeMeeting(ctx);

    expect(result.status === 'failed' && result.message).toBe(
      'Roomlink couldn’t finish removing the meeting (location.setAsync failed). Some joining details may already be gone from the appointment: try Remove again.',
    );
    // The room still exists while the item may still point at it; the item still names it.
    expect(harness.stub.meetings.get(added.meeting.id)?.deleted).toBe(false);
    expect(outlook.state.customProperties[PROPS.meetingId]).toBe(added.meeting.id);

    outlook.state.failing.clear();
    expect((await removeMeeting(ctx)).status).toBe('removed');
    expect(outlook.state.location).toBe('Room 4.12');
    expect(harness.stub.meetings.get(added.meeting.id)?.deleted).toBe(true);
  });
});

describe('meeting options in a plain-text body', () => {
  it('swaps the text block (found by its link) and says so; reports a block it cannot find', async () => {
    const outlook = fakeOutlook({ bodyType: 'text', body: 'Agenda: numbers.' });
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    const added = await addMeeting(ctx);
    if (added.status !== 'added') throw new Error(added.status);

    const applied = await applyMeetingOptions(ctx, added.meeting.id, { guestPin: true });

    expect(applied.blockUpdated).toBe(true);
    expect(outlook.state.body).toContain('Guest PIN: 4242');
    expect(outlook.state.body.startsWith('Agenda: numbers.\n\n')).toBe(true);
    expect(outlook.state.body.split(SEPARATOR_LINE)).toHaveLength(3);

    outlook.state.body = 'Agenda: numbers.';
    const lost = await applyMeetingOptions(ctx, added.meeting.id, { guestPin: false });
    expect(lost.blockUpdated).toBe(false);
    expect(outlook.state.body).toBe('Agenda: numbers.');
  });

  it('says the options were saved when Outlook then refuses the body write', async () => {
    const outlook = fakeOutlook({ bodyType: 'text', body: 'Agenda: numbers.' });
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    const added = await addMeeting(ctx);
    if (added.status !== 'added') throw new Error(added.status);
    outlook.state.failing.add('body.setAsync');

    const applied = await applyMeetingOptions(ctx, added.meeting.id, { guestPin: true });

    expect(applied.options.guestPin).toBe(true);
    expect(harness.stub.meetings.get(added.meeting.id)?.options.guestPin).toBe(true);
    expect(applied.blockUpdated).toBe(false);
    expect(applied.bodyError).toBeInstanceOf(Error);
    expect(outlook.state.body).not.toContain('Guest PIN');
  });
});

describe('OnAppointmentSend looks for the item’s own join link', () => {
  it('stops the send when the link was deleted from the block but its markers remain', async () => {
    const outlook = fakeOutlook();
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    const added = await addMeeting(ctx, { guestPin: true });
    if (added.status !== 'added') throw new Error(added.status);
    outlook.state.body = outlook.state.body.replace(/<p><a href="[^"]*">[^<]*<\/a><\/p><p>[^<]*<\/p>/, '');
    expect(outlook.state.body).not.toContain(added.meeting.joinUrl);
    expect(outlook.state.body).toContain('roomlink:begin');

    expect((await checkBeforeSend({ office: outlook.office }, 'en')).allowEvent).toBe(false);

    // Following the Smart Alert's advice mends the block in place.
    expect((await addMeeting(ctx)).status).toBe('restored');
    expect(outlook.state.body.match(/roomlink:begin/g)).toHaveLength(1);
    expect(outlook.state.body).toContain(added.meeting.joinUrl);
    expect(await checkBeforeSend({ office: outlook.office }, 'en')).toEqual({ allowEvent: true });
  });

  it('stops the send when only another meeting’s block is left (a forwarded invitation)', async () => {
    const outlook = fakeOutlook();
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    await addMeeting(ctx);
    const forwarded = `<div>${SEPARATOR_LINE}</div><p>Join: https://roomlink.fabrikam.example/m/AbCdEfGh12345678</p><div>${SEPARATOR_LINE}</div>`;
    outlook.state.body = `<html><body><div>Agenda</div>${forwarded}</body></html>`;

    expect((await checkBeforeSend({ office: outlook.office }, 'en')).allowEvent).toBe(false);
  });

  it('lets a text body whose block carries the item’s link go', async () => {
    const outlook = fakeOutlook({ bodyType: 'text', body: 'Agenda.' });
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    await addMeeting(ctx);
    expect(await checkBeforeSend({ office: outlook.office }, 'en')).toEqual({ allowEvent: true });
  });
});
