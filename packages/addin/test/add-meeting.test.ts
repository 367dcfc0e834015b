import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findJoinBlock, listJoinBlocks, removeJoinBlock } from '../../server/src/instructions/marker.js';
import { addMeeting } from '../web/core/add-meeting.js';
import { runAddMeetingCommand } from '../web/core/add-meeting-command.js';
import type { AddinContext } from '../web/core/context.js';
import { PROPS } from '../web/core/item.js';
import { checkBeforeSend } from '../web/core/launch-events.js';
import { readMeetingState } from '../web/core/meeting-options.js';
import type { OfficeLike } from '../web/core/office.js';
import { removeMeeting } from '../web/core/remove-meeting.js';
import { type FakeOutlook, fakeOutlook, snapshot } from './support/fake-outlook.js';
import { completeSignInDialogs, contextFor, type Harness, startStub } from './support/harness.js';

const USER = 'adele@contoso.test';
let harness: Harness;

beforeEach(async () => {
  harness = await startStub();
});
afterEach(async () => {
  await harness.close();
});

describe('add meeting', () => {
  it('writes the block after the user text, the join URL as location and the meeting id as a custom property', async () => {
    const outlook = fakeOutlook();
    const userText = outlook.state.body;
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });

    const result = await addMeeting(ctx);

    expect(result.status).toBe('added');
    if (result.status !== 'added') return;
    const { body, location, customProperties } = outlook.state;
    const block = findJoinBlock(body, 'html');
    expect(block?.meetingId).toBe(result.meeting.id);
    // The user's text is byte for byte what it was, and removing the block gives it back.
    expect(body.startsWith(userText.slice(0, userText.indexOf('</body>')))).toBe(true);
    expect(removeJoinBlock(body, 'html')).toBe(userText);
    expect(location).toBe(result.meeting.joinUrl);
    expect(customProperties[PROPS.meetingId]).toBe(result.meeting.id);
    expect(customProperties[PROPS.joinUrl]).toBe(result.meeting.joinUrl);
    expect(customProperties[PROPS.idempotencyKey]).toMatch(/^rl-[0-9a-f]{32}$/);
    expect(harness.stub.createBodies[0]).toMatchObject({
      subject: 'Quarterly review',
      start: '2026-12-01T09:00:00.000Z',
      end: '2026-12-01T10:00:00.000Z',
      timeZone: 'Romance Standard Time',
      idempotencyKey: customProperties[PROPS.idempotencyKey],
    });
    expect(outlook.state.notifications.get('roomlink')).toMatchObject({
      type: 'informationalMessage',
      message: 'Roomlink meeting added.',
    });
  });

  it('sends the device’s time zone, never an empty one, when Outlook gives an empty one', async () => {
    const outlook = fakeOutlook();
    const profile = outlook.office.context.mailbox.userProfile as { timeZone?: string };
    profile.timeZone = '';
    const tz = process.env.TZ;
    process.env.TZ = 'Asia/Tokyo'; // Node re-reads the device zone (Intl included) when TZ is set
    try {
      const ctx = await contextFor(harness, outlook, { signedInAs: USER });
      expect((await addMeeting(ctx)).status).toBe('added');
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
    expect(harness.stub.createBodies.at(-1)).toMatchObject({ timeZone: 'Asia/Tokyo' });
  });

  it('adds nothing the second time, whether the custom property or only the block is there', async () => {
    const outlook = fakeOutlook();
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    await addMeeting(ctx);
    const after = snapshot(outlook.state);

    expect((await addMeeting(ctx)).status).toBe('already');
    expect(snapshot(outlook.state)).toEqual(after);

    outlook.state.customProperties = {}; // e.g. classic Outlook lost them: the block alone still counts
    expect((await addMeeting(ctx)).status).toBe('already');
    expect(outlook.state.body).toBe(after.body);
    expect(harness.stub.createBodies).toHaveLength(1);
    expect(outlook.state.notifications.get('roomlink')?.message).toBe(
      'This appointment already has a Roomlink meeting.',
    );
  });

  it('appends the join URL to a location the organiser already set', async () => {
    const outlook = fakeOutlook({ location: 'Room 4.12' });
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    const result = await addMeeting(ctx);
    if (result.status !== 'added') throw new Error(result.status);
    expect(outlook.state.location).toBe(`Room 4.12; ${result.meeting.joinUrl}`);
  });

  it('signs in through the dialog when there is no session, then continues', async () => {
    const outlook = fakeOutlook();
    completeSignInDialogs(harness, outlook);
    const ctx = await contextFor(harness, outlook, { lang: 'fr' });

    const result = await addMeeting(ctx);

    expect(result.status).toBe('added');
    expect(outlook.dialogs).toHaveLength(1);
    const url = new URL(outlook.dialogs[0]?.url ?? '');
    expect(url.pathname).toBe('/auth/addin/start');
    expect(url.searchParams.get('challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get('lang')).toBe('fr');
    expect(outlook.dialogs[0]?.closed).toBe(true);
    expect((await ctx.sessions.get())?.user.upn).toBe(USER);
    expect(outlook.state.notifications.get('roomlink')?.message).toBe('Réunion Roomlink ajoutée.');
    expect(harness.stub.requests).toContain('POST /api/v1/meetings');
  });

  it('changes nothing when the user closes the sign-in dialog', async () => {
    const outlook = fakeOutlook({ location: 'Room 1' });
    outlook.onDialog = (dialog) => dialog.closeByUser();
    const before = snapshot(outlook.state);
    const ctx = await contextFor(harness, outlook);

    const result = await addMeeting(ctx);

    expect(result).toMatchObject({
      status: 'failed',
      message: 'Sign-in was cancelled. Nothing was changed.',
    });
    expect(snapshot(outlook.state)).toEqual(before);
    expect(harness.stub.createBodies).toHaveLength(0);
    expect(outlook.state.notifications.get('roomlink')?.type).toBe('errorMessage');
  });

  it('shows why the server refused the sign-in, and changes nothing', async () => {
    const outlook = fakeOutlook();
    const before = snapshot(outlook.state);
    outlook.onDialog = (dialog) =>
      dialog.message(
        JSON.stringify({
          type: 'roomlink-signin-error',
          error: 'tenant_not_allowed',
          description: 'your organisation is not allowed',
        }),
      );
    const ctx = await contextFor(harness, outlook);

    const result = await addMeeting(ctx);

    expect(result.status === 'failed' && result.message).toBe(
      'Sign-in failed: your organisation is not allowed. Nothing was changed.',
    );
    expect(outlook.dialogs[0]?.closed).toBe(true);
    expect(snapshot(outlook.state)).toEqual(before);
  });

  it('reports an unreachable server and leaves the item as it was (apart from the idempotency key)', async () => {
    const outlook = fakeOutlook({ location: 'Room 1' });
    const before = snapshot(outlook.state);
    const ctx = await contextFor(harness, outlook, { signedInAs: USER, baseUrl: 'http://127.0.0.1:9/' });

    const result = await addMeeting(ctx);

    expect(result).toMatchObject({ status: 'failed' });
    expect(result.status === 'failed' && result.message).toBe(
      'Can’t reach Roomlink. Check your connection and try again. Nothing was changed.',
    );
    const after = snapshot(outlook.state);
    expect({ ...after, customProperties: {} }).toEqual({ ...before, customProperties: {} });
    expect(Object.keys(after.customProperties)).toEqual([PROPS.idempotencyKey]);
  });

  it('signs in again when the session has expired, then retries', async () => {
    const outlook = fakeOutlook();
    completeSignInDialogs(harness, outlook);
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    harness.stub.revokeAll();

    const result = await addMeeting(ctx);

    expect(result.status).toBe('added');
    expect(outlook.dialogs).toHaveLength(1);
    expect(harness.stub.requests.filter((r) => r === 'POST /api/v1/meetings')).toHaveLength(2);
  });

  it('signs in again, with the Conditional Access claims the session reports, when Microsoft refused the user', async () => {
    const outlook = fakeOutlook();
    completeSignInDialogs(harness, outlook);
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    const claims = JSON.stringify({ access_token: { acrs: { essential: true, value: 'c1' } } });
    harness.stub.refuseSignIn(USER, claims);
    harness.stub.failNext('/api/v1/meetings', 401, {
      code: 'sign_in_required',
      detail: 'Microsoft no longer accepts your sign-in to Roomlink: sign in again',
    });

    const result = await addMeeting(ctx);

    expect(result.status).toBe('added');
    expect(harness.stub.requests).toContain('GET /api/v1/me');
    expect(outlook.dialogs).toHaveLength(1);
    expect(new URL(outlook.dialogs[0]?.url ?? '').searchParams.get('claims')).toBe(claims);
    expect(harness.stub.requests.filter((r) => r === 'POST /api/v1/meetings')).toHaveLength(2);
  });

  it('without a dialog (event runtime) and without a session, adds nothing and says how to sign in', async () => {
    const outlook = fakeOutlook();
    const before = snapshot(outlook.state);
    const ctx = await contextFor(harness, outlook, { withDialog: false });
    const result = await addMeeting(ctx);
    expect(result.status === 'failed' && result.message).toBe(
      'Open Roomlink options and sign in to add meetings automatically.',
    );
    expect(snapshot(outlook.state).body).toBe(before.body);
    expect(harness.stub.createBodies).toHaveLength(0);
  });

  it('shows the server’s explanation on an API error and changes nothing visible', async () => {
    const outlook = fakeOutlook();
    const before = snapshot(outlook.state);
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    harness.stub.failNext('/api/v1/meetings', 422, {
      code: 'invalid_time',
      detail: 'the meeting ends before it starts',
    });

    const result = await addMeeting(ctx);

    expect(result.status === 'failed' && result.message).toBe(
      'Roomlink couldn’t complete this: the meeting ends before it starts. Nothing was changed.',
    );
    expect(snapshot(outlook.state).body).toBe(before.body);
    expect(snapshot(outlook.state).location).toBe(before.location);
  });

  it('when Outlook refuses the body, leaves the item unchanged; a retry gets the same meeting back', async () => {
    const outlook = fakeOutlook();
    const before = snapshot(outlook.state);
    outlook.state.failing.add('body.setAsync');
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });

    const first = await addMeeting(ctx);
    expect(first.status === 'failed' && first.message).toBe(
      'Outlook couldn’t update the appointment: body.setAsync failed. Nothing was changed.',
    );
    expect(outlook.state.body).toBe(before.body);
    expect(outlook.state.location).toBe(before.location);
    expect(outlook.state.customProperties[PROPS.meetingId]).toBeUndefined();

    outlook.state.failing.clear();
    const second = await addMeeting(ctx);
    expect(second.status).toBe('added');
    expect(harness.stub.meetings.size).toBe(1);
    expect(second.status === 'added' && second.meeting.id).toBe([...harness.stub.meetings.keys()][0]);
  });

  it('keeps a booked room a room (Mailbox 1.8): the join URL is an entry of its own, and goes alone', async () => {
    const room = { type: 'room', id: 'room412@contoso.test', displayName: 'Room 4.12' } as const;
    const outlook = fakeOutlook({ locations: [room] });
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });

    const result = await addMeeting(ctx);

    if (result.status !== 'added') throw new Error(result.status);
    const joinUrl = result.meeting.joinUrl;
    expect(outlook.state.locations).toEqual([room, { type: 'custom', id: joinUrl, displayName: joinUrl }]);
    expect(outlook.state.location).toBe(`Room 4.12; ${joinUrl}`);
    expect(outlook.state.calls).not.toContain('location.setAsync');
    expect(outlook.state.customProperties[PROPS.location]).toBe(joinUrl);
    // Adding again changes nothing; removing takes out the join URL's entry only.
    expect((await addMeeting(ctx)).status).toBe('already');
    expect((await removeMeeting(ctx)).status).toBe('removed');
    expect(outlook.state.locations).toEqual([room]);
  });

  it('with entries (Mailbox 1.8), still takes out a join URL an older client wrote into one line', async () => {
    const outlook = fakeOutlook({ locations: [] });
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    const result = await addMeeting(ctx);
    if (result.status !== 'added') throw new Error(result.status);
    // As Outlook shows an appointment whose location an older client set as one line of text.
    const line = `Room 4.12; ${result.meeting.joinUrl}`;
    outlook.state.locations = [{ type: 'custom', id: line, displayName: line }];
    outlook.state.location = line;

    expect((await addMeeting(ctx)).status).toBe('already');
    expect(outlook.state.locations).toHaveLength(1);
    expect((await removeMeeting(ctx)).status).toBe('removed');
    expect(outlook.state.locations).toEqual([{ type: 'custom', id: 'Room 4.12', displayName: 'Room 4.12' }]);
  });

  it('with entries (Mailbox 1.8), takes the join URL back out when a later step fails', async () => {
    const room = { type: 'room', id: 'room412@contoso.test', displayName: 'Room 4.12' } as const;
    const outlook = fakeOutlook({ locations: [room] });
    outlook.state.failing.add('customProperties.saveAsync');
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });

    expect((await addMeeting(ctx)).status).toBe('failed');
    expect(outlook.state.locations).toEqual([room]);
    expect(findJoinBlock(outlook.state.body, 'html')).toBeNull();
  });

  it('undoes the body when the location cannot be written', async () => {
    const outlook = fakeOutlook();
    const before = snapshot(outlook.state);
    outlook.state.failing.add('location.setAsync');
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });

    expect((await addMeeting(ctx)).status).toBe('failed');
    expect(outlook.state.body).toBe(before.body);
    expect(outlook.state.customProperties[PROPS.meetingId]).toBeUndefined();
  });

  it('writes the text instructions into a plain-text body, after a blank line', async () => {
    const outlook = fakeOutlook({ bodyType: 'text', body: 'Agenda:\r\n- numbers' });
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    const result = await addMeeting(ctx);
    if (result.status !== 'added') throw new Error(result.status);
    expect(outlook.state.body.startsWith('Agenda:\r\n- numbers\r\n\r\n_____')).toBe(true);
    expect(outlook.state.body).toContain(result.meeting.joinUrl);
    expect(findJoinBlock(outlook.state.body, 'text')).not.toBeNull();
  });

  it('sends the recurrence as a Graph patternedRecurrence', async () => {
    const outlook = fakeOutlook({
      recurrence: {
        recurrenceType: 'weekly',
        recurrenceProperties: { interval: 2, days: ['mon', 'thu'], firstDayOfWeek: 'mon' },
        recurrenceTimeZone: { name: 'Romance Standard Time' },
        seriesTime: { getStartDate: () => '2026-12-01', getEndDate: () => '2027-03-01' },
      },
    });
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    await addMeeting(ctx);
    expect(harness.stub.createBodies[0]?.recurrence).toEqual({
      pattern: { type: 'weekly', interval: 2, daysOfWeek: ['monday', 'thursday'], firstDayOfWeek: 'monday' },
      range: {
        type: 'endDate',
        startDate: '2026-12-01',
        endDate: '2027-03-01',
        recurrenceTimeZone: 'Romance Standard Time',
      },
    });
  });

  it('makes a new meeting once when the item’s key names one it never recorded that no longer fits it', async () => {
    const outlook = fakeOutlook();
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    // The meeting is made, but writing it into the item fails: the item keeps only the key.
    outlook.state.failing.add('body.setAsync');
    expect((await addMeeting(ctx)).status).toBe('failed');
    const firstKey = outlook.state.customProperties[PROPS.idempotencyKey];
    expect(firstKey).toBeTruthy();
    // The appointment becomes a series: the same key now names a meeting of another shape (422).
    outlook.state.failing.delete('body.setAsync');
    outlook.state.recurrence = {
      recurrenceType: 'daily',
      recurrenceProperties: { interval: 1 },
      recurrenceTimeZone: { name: 'Romance Standard Time' },
      seriesTime: { getStartDate: () => '2026-12-01', getEndDate: () => '2026-12-05' },
    };
    const result = await addMeeting(ctx);
    expect(result.status).toBe('added');
    const keys = harness.stub.createBodies.map((b) => b.idempotencyKey);
    expect(keys).toHaveLength(3);
    expect(keys.slice(0, 2)).toEqual([firstKey, firstKey]);
    expect(keys[2]).not.toBe(firstKey);
    expect(outlook.state.customProperties[PROPS.idempotencyKey]).toBe(keys[2]);
    if (result.status === 'added') expect(outlook.state.body).toContain(result.meeting.joinUrl);
  });

  it('sends no recurrence for one occurrence opened on its own, whose recurrence is its series', async () => {
    const outlook = fakeOutlook({
      seriesId: 'AAMkADSeriesMaster=',
      recurrence: {
        recurrenceType: 'weekly',
        recurrenceProperties: { interval: 1, days: ['mon'], firstDayOfWeek: 'mon' },
        recurrenceTimeZone: { name: 'Romance Standard Time' },
        seriesTime: { getStartDate: () => '2026-11-02', getEndDate: () => '2027-03-01' },
      },
    });
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    const result = await addMeeting(ctx);
    expect(result.status).toBe('added');
    const sent = harness.stub.createBodies[0];
    expect(sent?.recurrence ?? null).toBeNull();
    // The occurrence's own times, in the series' zone.
    expect(sent).toMatchObject({
      start: '2026-12-01T09:00:00.000Z',
      end: '2026-12-01T10:00:00.000Z',
      timeZone: 'Romance Standard Time',
    });
  });

  it('on Outlook mobile (an online-meeting provider: body get/set only, no notification bar) adds the meeting as HTML', async () => {
    const outlook = fakeOutlook({ surface: 'mobileOnlineMeeting' });
    const item = outlook.office.context.mailbox.item as unknown as Record<string, unknown>;
    expect(item.notificationMessages).toBeUndefined();
    expect((item.body as Record<string, unknown>).getTypeAsync).toBeUndefined();
    const userText = outlook.state.body;
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    const completions: unknown[] = [];

    await runAddMeetingCommand({ completed: (options) => completions.push(options) }, () => addMeeting(ctx));

    expect(completions).toEqual([undefined]);
    const [meeting] = scheduled(harness);
    expect(findJoinBlock(outlook.state.body, 'html')?.meetingId).toBe(meeting?.id);
    expect(removeJoinBlock(outlook.state.body, 'html')).toBe(userText);
    expect(outlook.state.location).toBe(meeting?.joinUrl);
    expect(outlook.state.customProperties[PROPS.meetingId]).toBe(meeting?.id);
    expect(outlook.state.calls).not.toContain('body.getTypeAsync');
  });

  it('asks for French instructions when the add-in speaks French', async () => {
    const outlook = fakeOutlook({ displayLanguage: 'fr-FR' });
    const ctx = await contextFor(harness, outlook, { signedInAs: USER, lang: 'fr' });
    await addMeeting(ctx);
    expect(outlook.state.body).toContain('Rejoindre la réunion Roomlink');
    expect(outlook.state.body).toContain('lang="fr"');
  });
});

/** The same appointment seen from another runtime (task pane, ribbon, event handler): its own item object. */
function otherRuntime(ctx: AddinContext, outlook: FakeOutlook): AddinContext {
  const { context } = outlook.office;
  const item = context.mailbox.item as object;
  const office = {
    context: {
      displayLanguage: context.displayLanguage,
      mailbox: { item: Object.create(item), userProfile: context.mailbox.userProfile },
    },
  } as unknown as OfficeLike;
  return { ...ctx, office };
}

const scheduled = (h: Harness) => [...h.stub.meetings.values()].filter((m) => !m.deleted);

describe('concurrent adds on one appointment', () => {
  it('in one runtime (event handler + ribbon, double click): one request, one meeting, one block', async () => {
    const outlook = fakeOutlook({ location: 'Room 4.12' });
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });

    const [a, b] = await Promise.all([addMeeting(ctx), addMeeting(ctx)]);

    expect(a.status).toBe('added');
    expect(b).toEqual(a);
    expect(harness.stub.createBodies).toHaveLength(1);
    const blocks = listJoinBlocks(outlook.state.body, 'html');
    expect(blocks.map((x) => x.meetingId)).toEqual([a.status === 'added' && a.meeting.id]);
    expect(outlook.state.location).toBe(`Room 4.12; ${a.status === 'added' && a.meeting.joinUrl}`);
  });

  it('in two runtimes at once: one meeting on the server and one block in the body', async () => {
    const outlook = fakeOutlook();
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });

    await Promise.all([addMeeting(ctx), addMeeting(otherRuntime(ctx, outlook))]);

    const live = scheduled(harness);
    expect(live).toHaveLength(1);
    const blocks = listJoinBlocks(outlook.state.body, 'html');
    expect(blocks.map((x) => x.meetingId)).toEqual([live[0]?.id]);
    expect(outlook.state.customProperties[PROPS.meetingId]).toBe(live[0]?.id);
    expect(outlook.state.location).toBe(live[0]?.joinUrl);
  });

  it('another runtime finishing first with the saved key: same meeting, its block replaced, not duplicated', async () => {
    const outlook = fakeOutlook();
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    const other = otherRuntime(ctx, outlook);
    const create = ctx.api.createMeeting.bind(ctx.api);
    let raced = false;
    ctx.api.createMeeting = async (input, lang) => {
      if (!raced) {
        raced = true;
        expect(outlook.state.customProperties[PROPS.idempotencyKey]).toBe(input.idempotencyKey);
        expect((await addMeeting(other)).status).toBe('added'); // lands while our request is out
      }
      return create(input, lang);
    };

    const result = await addMeeting(ctx);

    expect(result.status).toBe('added');
    expect(harness.stub.meetings.size).toBe(1);
    expect(listJoinBlocks(outlook.state.body, 'html')).toHaveLength(1);
  });

  it('another runtime putting a different meeting on the item meanwhile: ours is deleted, nothing written', async () => {
    const outlook = fakeOutlook();
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    const other = otherRuntime(ctx, outlook);
    const create = ctx.api.createMeeting.bind(ctx.api);
    let raced = false;
    ctx.api.createMeeting = async (input, lang) => {
      const meeting = await create(input, lang);
      if (!raced) {
        raced = true;
        outlook.state.customProperties = {}; // e.g. classic Outlook had not saved our key yet
        expect((await addMeeting(other)).status).toBe('added');
      }
      return meeting;
    };

    const result = await addMeeting(ctx);

    expect(result.status).toBe('already');
    const live = scheduled(harness);
    expect(live).toHaveLength(1);
    expect(listJoinBlocks(outlook.state.body, 'html').map((x) => x.meetingId)).toEqual([live[0]?.id]);
    expect(outlook.state.customProperties[PROPS.meetingId]).toBe(live[0]?.id);
  });
});

describe('adding again after the join block was deleted', () => {
  it('writes the stored meeting’s block and location back instead of answering "already"', async () => {
    const outlook = fakeOutlook({ location: 'Room 4.12' });
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    const added = await addMeeting(ctx);
    if (added.status !== 'added') throw new Error(added.status);
    const withBlock = outlook.state.body;
    outlook.state.body = removeJoinBlock(withBlock, 'html');
    outlook.state.location = 'Room 4.12';
    expect((await checkBeforeSend({ office: outlook.office }, 'en')).allowEvent).toBe(false);
    expect((await readMeetingState(ctx)).blockMissing).toBe(true);

    const again = await addMeeting(ctx);

    expect(again.status).toBe('restored');
    expect(again.status === 'restored' && again.meeting.id).toBe(added.meeting.id);
    expect(outlook.state.body).toBe(withBlock);
    expect(outlook.state.location).toBe(`Room 4.12; ${added.meeting.joinUrl}`);
    expect(harness.stub.createBodies).toHaveLength(1);
    expect(harness.stub.requests).toContain(`GET /api/v1/meetings/${added.meeting.id}`);
    expect(outlook.state.notifications.get('roomlink')?.message).toBe(
      'The Roomlink joining details were added back to this appointment.',
    );
    expect(await checkBeforeSend({ office: outlook.office }, 'en')).toEqual({ allowEvent: true });
    expect((await readMeetingState(ctx)).blockMissing).toBe(false);
  });

  it('makes a new meeting when the stored one was cancelled meanwhile, rather than restore a closed room', async () => {
    const outlook = fakeOutlook({ location: 'Room 4.12' });
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    const first = await addMeeting(ctx);
    if (first.status !== 'added') throw new Error(first.status);
    outlook.state.body = removeJoinBlock(outlook.state.body, 'html');
    const stored = harness.stub.meetings.get(first.meeting.id);
    if (!stored) throw new Error('no stored meeting');
    stored.status = 'cancelled';

    const again = await addMeeting(ctx);

    if (again.status !== 'added') throw new Error(again.status);
    expect(again.meeting.id).not.toBe(first.meeting.id);
    expect(listJoinBlocks(outlook.state.body, 'html').map((x) => x.meetingId)).toEqual([again.meeting.id]);
    expect(outlook.state.location).toBe(`Room 4.12; ${again.meeting.joinUrl}`);
  });

  it('makes a new meeting over what is left of a cancelled one’s block (its link deleted, markers kept)', async () => {
    const outlook = fakeOutlook({ location: 'Room 4.12' });
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    const first = await addMeeting(ctx, { guestPin: true });
    if (first.status !== 'added') throw new Error(first.status);
    // The user deleted the link and PIN lines; the block's markers stayed in the body.
    outlook.state.body = outlook.state.body.replace(/<p><a href="[^"]*">[^<]*<\/a><\/p><p>[^<]*<\/p>/, '');
    expect(outlook.state.body).not.toContain(first.meeting.joinUrl);
    const stored = harness.stub.meetings.get(first.meeting.id);
    if (!stored) throw new Error('no stored meeting');
    stored.status = 'cancelled';

    const again = await addMeeting(ctx);

    if (again.status !== 'added') throw new Error(again.status);
    expect(listJoinBlocks(outlook.state.body, 'html').map((x) => x.meetingId)).toEqual([again.meeting.id]);
    expect(outlook.state.location).toBe(`Room 4.12; ${again.meeting.joinUrl}`);
    expect(await checkBeforeSend({ office: outlook.office }, 'en')).toEqual({ allowEvent: true });
  });

  it('makes a new meeting when the stored one no longer exists on the server', async () => {
    const outlook = fakeOutlook({ location: 'Room 4.12' });
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    const first = await addMeeting(ctx);
    if (first.status !== 'added') throw new Error(first.status);
    outlook.state.body = removeJoinBlock(outlook.state.body, 'html');
    harness.stub.meetings.delete(first.meeting.id);

    const again = await addMeeting(ctx);

    if (again.status !== 'added') throw new Error(again.status);
    expect(again.meeting.id).not.toBe(first.meeting.id);
    expect(outlook.state.location).toBe(`Room 4.12; ${again.meeting.joinUrl}`);
    expect(listJoinBlocks(outlook.state.body, 'html').map((x) => x.meetingId)).toEqual([again.meeting.id]);
  });
});

describe('a location with no room left for the join URL', () => {
  it('adds the meeting without touching the location (Outlook allows 255 characters)', async () => {
    const long = `Building 7, Conference Room "Lovelace" – ${'x'.repeat(200)}`;
    const outlook = fakeOutlook({ location: long });
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });

    const result = await addMeeting(ctx);

    if (result.status !== 'added')
      throw new Error(result.status === 'failed' ? result.message : result.status);
    expect(outlook.state.location).toBe(long);
    expect(findJoinBlock(outlook.state.body, 'html')?.meetingId).toBe(result.meeting.id);
    expect(outlook.state.customProperties[PROPS.location]).toBe('');
    expect(scheduled(harness)).toHaveLength(1);
  });
});

describe('the fake Outlook answers as Office.js does', () => {
  it('a body read or written in another format than the item’s fails the call, it does not hang', async () => {
    const outlook = fakeOutlook({ bodyType: 'text' });
    const body = (outlook.office as unknown as FakeBodyHost).context.mailbox.item.body;
    const answer = <T>(start: (cb: (result: { status: string; error?: { name?: string } }) => void) => T) =>
      new Promise<{ status: string; error?: { name?: string } }>((resolve) => start(resolve));
    const written = await answer((cb) => body.setAsync('<p>x</p>', { coercionType: 'html' }, cb));
    expect(written).toMatchObject({ status: 'failed', error: { name: 'InvalidFormatError' } });
    const read = await answer((cb) => body.getAsync('html', cb));
    expect(read).toMatchObject({ status: 'failed', error: { name: 'InvalidFormatError' } });
    expect(outlook.state.body).not.toBe('<p>x</p>');
  });
});

interface FakeBodyHost {
  context: {
    mailbox: {
      item: {
        body: {
          setAsync(value: string, options: { coercionType: string }, cb: (result: never) => void): void;
          getAsync(type: string, cb: (result: never) => void): void;
        };
      };
    };
  };
}
