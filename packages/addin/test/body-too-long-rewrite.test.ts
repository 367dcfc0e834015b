/**
 * The other two flows that rewrite the joining details, on an appointment whose description leaves no
 * room for a longer block: changing the language (French reads longer) and changing the options (a
 * guest PIN appears). body.setAsync refuses more than 1,000,000 characters (DataExceedsMaximumSize).
 * The user is told that the description is too long, and what to do, in the chosen language; the item
 * is left as it was. The language rewrite changes nothing on the server (it only reads the meeting);
 * the options are put back as they were, so that the invitation and the meeting still agree.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { addMeeting } from '../web/core/add-meeting.js';
import { type Meeting, RoomlinkApi } from '../web/core/api.js';
import { rewriteJoinBlockLanguage } from '../web/core/meeting-language.js';
import { appliedOptionsMessage, applyMeetingOptions } from '../web/core/meeting-options.js';
import { type FakeOutlook, fakeOutlook, MAX_BODY, snapshot } from './support/fake-outlook.js';
import { contextFor, type Harness, startStub } from './support/harness.js';

const USER = 'adele@contoso.test';
const LANGUAGE_TOO_LONG_FR =
  'La description est trop longue pour que les informations pour rejoindre la réunion y tiennent en français. Raccourcissez-la, puis réécrivez-les en français. Le rendez-vous n’a pas été modifié.';
const LANGUAGE_TOO_LONG_EN =
  'The description is too long for the joining details in English to fit in this appointment. Shorten it, then rewrite them in English. The appointment was left unchanged.';
const OPTIONS_TOO_LONG_EN =
  'The description is too long for the joining details with this option. Shorten it, then change the option again. Nothing was changed: the meeting keeps its previous options.';
const OPTIONS_TOO_LONG_FR =
  'La description est trop longue pour les informations pour rejoindre avec cette option. Raccourcissez-la, puis modifiez de nouveau l’option. Rien n’a été modifié : la réunion garde ses options précédentes.';
const OPTIONS_TOO_LONG_SAVED_EN =
  'Meeting options saved, but the description is too long for the joining details with them: this appointment still has the previous ones. Shorten it, then change the option again.';

let harness: Harness;

beforeEach(async () => {
  harness = await startStub();
});
afterEach(async () => {
  await harness.close();
});

/** An appointment with Room 4.12 and an English Roomlink meeting, added the usual way. */
async function withMeeting(): Promise<{ outlook: FakeOutlook; meeting: Meeting }> {
  const outlook = fakeOutlook({ location: 'Room 4.12' });
  const ctx = await contextFor(harness, outlook, { signedInAs: USER, lang: 'en' });
  const added = await addMeeting(ctx);
  if (added.status !== 'added') throw new Error(added.status);
  return { outlook, meeting: added.meeting };
}

/** The user types a long text before the joining details, until the body is `spare` under the limit. */
function fillDescription(outlook: FakeOutlook, spare: number): void {
  const room = MAX_BODY - outlook.state.body.length - '<div></div>'.length - spare;
  outlook.state.body = outlook.state.body.replace('<body>', `<body><div>${'x'.repeat(room)}</div>`);
  expect(outlook.state.body.length).toBe(MAX_BODY - spare);
}

/** How much longer the meeting's block is in `to` than in `from` (the room the body lacks). */
async function growth(meeting: Meeting, from: 'en' | 'fr', to: 'en' | 'fr'): Promise<number> {
  const ctx = await contextFor(harness, fakeOutlook(), { signedInAs: USER });
  const [a, b] = await Promise.all([
    ctx.api.getMeeting(meeting.id, from),
    ctx.api.getMeeting(meeting.id, to),
  ]);
  const grows = b.instructions.html.length - a.instructions.html.length;
  expect(grows).toBeGreaterThan(0);
  return grows;
}

const shorten = (outlook: FakeOutlook) => {
  outlook.state.body = outlook.state.body.replace(/<div>x+<\/div>/, '<div>Agenda: numbers.</div>');
};

describe('changing the language when the block in it does not fit', () => {
  it('says the description is too long, in French; the item and the meeting stay as they were', async () => {
    const { outlook, meeting } = await withMeeting();
    fillDescription(outlook, (await growth(meeting, 'en', 'fr')) - 1);
    const before = snapshot(outlook.state);
    const requestsBefore = harness.stub.requests.length;
    const serverBefore = structuredClone(harness.stub.meetings.get(meeting.id));

    const fr = await contextFor(harness, outlook, { signedInAs: USER, lang: 'fr' });
    const result = await rewriteJoinBlockLanguage(fr);

    expect(result.status === 'failed' && result.message).toBe(LANGUAGE_TOO_LONG_FR);
    expect(outlook.state.calls.at(-1)).toBe('body.setAsync');
    expect(snapshot(outlook.state)).toEqual(before);
    expect(outlook.state.body).toContain('Join the Roomlink meeting');
    // The meeting was only read: nothing about it changed on the server.
    expect(harness.stub.requests.slice(requestsBefore)).toEqual([`GET /api/v1/meetings/${meeting.id}`]);
    expect(harness.stub.meetings.get(meeting.id)).toEqual(serverBefore);

    // Once the description is shorter, the retry rewrites the block.
    shorten(outlook);
    expect((await rewriteJoinBlockLanguage(fr)).status).toBe('rewritten');
    expect(outlook.state.body).toContain('Rejoindre la réunion Roomlink');
    expect(outlook.state.location).toBe(before.location);
  });

  it('says it in English when the English block has grown (a guest PIN set in another window)', async () => {
    const { outlook, meeting } = await withMeeting();
    const stored = harness.stub.meetings.get(meeting.id);
    if (!stored) throw new Error('no meeting');
    stored.options = { ...stored.options, guestPin: true };
    const en = await contextFor(harness, outlook, { signedInAs: USER, lang: 'en' });
    const withPin = (await en.api.getMeeting(meeting.id, 'en')).instructions.html.length;
    fillDescription(outlook, withPin - meeting.instructions.html.length - 1);
    const before = snapshot(outlook.state);

    const result = await rewriteJoinBlockLanguage(en);

    expect(result.status === 'failed' && result.message).toBe(LANGUAGE_TOO_LONG_EN);
    expect(snapshot(outlook.state)).toEqual(before);
  });
});

describe('changing the options when the block with them does not fit', () => {
  /** An English meeting without a guest PIN, in a description with no room for the PIN's line. */
  async function nearLimit(): Promise<{ outlook: FakeOutlook; meeting: Meeting }> {
    const made = await withMeeting();
    const en = await contextFor(harness, made.outlook, { signedInAs: USER });
    const withPin = await en.api.updateMeeting(made.meeting.id, { options: { guestPin: true } }, 'en');
    await en.api.updateMeeting(made.meeting.id, { options: { guestPin: false } }, 'en');
    fillDescription(
      made.outlook,
      withPin.instructions.html.length - made.meeting.instructions.html.length - 1,
    );
    return made;
  }

  it('puts the options back on the server, leaves the item as it was, and says why and what to do', async () => {
    const { outlook, meeting } = await nearLimit();
    const before = snapshot(outlook.state);
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    const requestsBefore = harness.stub.requests.length;

    const applied = await applyMeetingOptions(
      ctx,
      meeting.id,
      { guestPin: true, lobby: false },
      {
        guestPin: false,
        lobby: false,
      },
    );

    expect(applied.reverted).toBe(true);
    expect(applied.blockUpdated).toBe(false);
    expect(applied.options.guestPin).toBe(false);
    expect(harness.stub.meetings.get(meeting.id)?.options.guestPin).toBe(false);
    expect(harness.stub.requests.slice(requestsBefore)).toEqual([
      `PATCH /api/v1/meetings/${meeting.id}`,
      `PATCH /api/v1/meetings/${meeting.id}`,
    ]);
    expect(snapshot(outlook.state)).toEqual(before);
    expect(outlook.state.body).not.toContain('Guest PIN');
    expect(appliedOptionsMessage('en', applied)).toEqual({ text: OPTIONS_TOO_LONG_EN, error: true });
    expect(appliedOptionsMessage('fr', applied)).toEqual({ text: OPTIONS_TOO_LONG_FR, error: true });

    // Shortened, the same change goes through.
    shorten(outlook);
    const again = await applyMeetingOptions(ctx, meeting.id, { guestPin: true }, { guestPin: false });
    expect(appliedOptionsMessage('en', again)).toEqual({ text: 'Meeting options saved.', error: false });
    expect(outlook.state.body).toContain('Guest PIN: 4242');
  });

  it('when the options cannot be put back (Roomlink unreachable), says truthfully that they are saved', async () => {
    const { outlook, meeting } = await nearLimit();
    const before = snapshot(outlook.state);
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    let patches = 0;
    const api = new RoomlinkApi({
      baseUrl: harness.baseUrl,
      fetch: (url, init) => {
        // The connection drops after the first PATCH: the revert never reaches Roomlink.
        if (init?.method === 'PATCH' && ++patches > 1) return Promise.reject(new TypeError('fetch failed'));
        return fetch(url, init);
      },
      getToken: async () => (await ctx.sessions.get())?.token ?? null,
    });

    const applied = await applyMeetingOptions(
      { ...ctx, api },
      meeting.id,
      { guestPin: true },
      { guestPin: false },
    );

    expect(applied.reverted).toBeUndefined();
    expect(applied.options.guestPin).toBe(true);
    expect(harness.stub.meetings.get(meeting.id)?.options.guestPin).toBe(true);
    expect(snapshot(outlook.state)).toEqual(before);
    expect(appliedOptionsMessage('en', applied)).toEqual({ text: OPTIONS_TOO_LONG_SAVED_EN, error: true });
    expect(appliedOptionsMessage('fr', applied).text).toBe(
      'Options enregistrées, mais la description est trop longue pour les informations pour rejoindre avec ces options : ce rendez-vous garde les précédentes. Raccourcissez-la, puis modifiez de nouveau l’option.',
    );
  });

  it('another refusal from Outlook still reads as Outlook’s, the options saved', async () => {
    const { outlook, meeting } = await withMeeting();
    const ctx = await contextFor(harness, outlook, { signedInAs: USER });
    outlook.state.failing.add('body.setAsync');

    const applied = await applyMeetingOptions(ctx, meeting.id, { guestPin: true }, { guestPin: false });

    expect(applied.reverted).toBeUndefined();
    expect(harness.stub.meetings.get(meeting.id)?.options.guestPin).toBe(true);
    expect(appliedOptionsMessage('en', applied)).toEqual({
      text: 'Meeting options saved, but Outlook didn’t let Roomlink update the joining details in this appointment (body.setAsync failed). Change the option again to retry.',
      error: true,
    });
  });
});
