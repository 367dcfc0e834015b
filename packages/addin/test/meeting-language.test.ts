/**
 * Changing Roomlink's language in the task pane rewrites the join block already in the appointment
 * (core/meeting-language.ts): exactly that block, in the new language, the user's text and the location
 * untouched; a failure leaves the item as it was and says so in the new language.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findJoinBlock } from '../../server/src/instructions/marker.js';
import { addMeeting } from '../web/core/add-meeting.js';
import { ITEM_KEY_HEADER, type Meeting, RoomlinkApi } from '../web/core/api.js';
import { PROPS } from '../web/core/item.js';
import { rewriteJoinBlockLanguage } from '../web/core/meeting-language.js';
import { type FakeOutlook, fakeOutlook, snapshot } from './support/fake-outlook.js';
import { contextFor, type Harness, startStub } from './support/harness.js';

const USER = 'adele@contoso.test';
let harness: Harness;

beforeEach(async () => {
  harness = await startStub();
});
afterEach(async () => {
  await harness.close();
});

/** An appointment with the user's text around an English join block, and the meeting it holds. */
async function englishMeeting(
  outlook: FakeOutlook,
  after: (body: string) => string,
): Promise<{ meeting: Meeting }> {
  const en = await contextFor(harness, outlook, { signedInAs: USER, lang: 'en' });
  const added = await addMeeting(en);
  if (added.status !== 'added') throw new Error(added.status);
  outlook.state.body = after(outlook.state.body);
  return { meeting: added.meeting };
}

describe('changing the language rewrites the appointment’s join block', () => {
  it('swaps exactly the block for the French one; the user’s text, location and properties stay', async () => {
    const outlook = fakeOutlook({
      location: 'Room 4.12',
      body: '<html><body><p>Agenda: numbers.</p></body></html>',
    });
    const { meeting } = await englishMeeting(outlook, (body) =>
      body.replace('</body>', '<p>Typed after the block.</p></body>'),
    );
    const at = findJoinBlock(outlook.state.body, 'html');
    if (!at) throw new Error('no block');
    const englishBlock = outlook.state.body.slice(at.start, at.end);
    const before = snapshot(outlook.state);
    expect(before.body).toContain('Join the Roomlink meeting');
    const requestsBefore = harness.stub.requests.length;

    const fr = await contextFor(harness, outlook, { signedInAs: USER, lang: 'fr' });
    const result = await rewriteJoinBlockLanguage(fr);

    expect(result).toEqual({
      status: 'rewritten',
      message: 'Les informations pour rejoindre la réunion sont maintenant en français dans ce rendez-vous.',
    });
    // One read of the meeting; nothing created, changed or deleted on the server.
    expect(harness.stub.requests.slice(requestsBefore)).toEqual([`GET /api/v1/meetings/${meeting.id}`]);
    const french = (await fr.api.getMeeting(meeting.id, 'fr')).instructions.html;
    expect(outlook.state.body).toBe(before.body.replace(englishBlock, french));
    expect(outlook.state.body).toContain('<p>Agenda: numbers.</p>');
    expect(outlook.state.body).toContain('<p>Typed after the block.</p>');
    expect(outlook.state.body).toContain('Rejoindre la réunion Roomlink');
    expect(outlook.state.body).not.toContain('Join the Roomlink meeting');
    expect(findJoinBlock(outlook.state.body, 'html')?.meetingId).toBe(meeting.id);
    expect(outlook.state.location).toBe(before.location);
    expect(outlook.state.location).toBe(`Room 4.12; ${meeting.joinUrl}`);
    expect(outlook.state.customProperties).toEqual(before.customProperties);
  });

  it('asks the server for the block in the new language, with the item’s key', async () => {
    const outlook = fakeOutlook();
    const { meeting } = await englishMeeting(outlook, (body) => body);
    const fr = await contextFor(harness, outlook, { signedInAs: USER, lang: 'fr' });
    const seen: { url: string; headers: Record<string, string> }[] = [];
    const api = new RoomlinkApi({
      baseUrl: harness.baseUrl,
      fetch: (url, init) => {
        seen.push({ url, headers: init?.headers ?? {} });
        return fetch(url, init);
      },
      getToken: async () => (await fr.sessions.get())?.token ?? null,
    });
    await rewriteJoinBlockLanguage({ ...fr, api });
    expect(seen.map((s) => s.url)).toEqual([`${harness.baseUrl}api/v1/meetings/${meeting.id}?lang=fr`]);
    expect(seen[0]?.headers[ITEM_KEY_HEADER]).toBe(outlook.state.customProperties[PROPS.idempotencyKey]);
    expect(outlook.state.body).toContain('Rejoindre la réunion Roomlink');
  });

  it('rewrites a plain-text body’s block too, and back to English', async () => {
    const outlook = fakeOutlook({ bodyType: 'text', body: 'Agenda: numbers.' });
    await englishMeeting(outlook, (body) => `${body}\n\nP.S. bring the slides.`);
    const english = outlook.state.body;

    const fr = await contextFor(harness, outlook, { signedInAs: USER, lang: 'fr' });
    expect((await rewriteJoinBlockLanguage(fr)).status).toBe('rewritten');
    expect(outlook.state.body.startsWith('Agenda: numbers.\n\n')).toBe(true);
    expect(outlook.state.body.endsWith('\n\nP.S. bring the slides.')).toBe(true);
    expect(outlook.state.body).toContain('Rejoindre la réunion Roomlink: ');

    const en = await contextFor(harness, outlook, { signedInAs: USER, lang: 'en' });
    expect(await rewriteJoinBlockLanguage(en)).toEqual({
      status: 'rewritten',
      message: 'The joining details in this appointment are now in English.',
    });
    expect(outlook.state.body).toBe(english);
  });

  it('404: leaves the appointment unchanged and says so in the new language', async () => {
    const outlook = fakeOutlook({ location: 'Room 4.12' });
    const { meeting } = await englishMeeting(outlook, (body) => body);
    const before = snapshot(outlook.state);
    const setsBefore = outlook.state.calls.filter((c) => c.endsWith('.setAsync')).length;
    harness.stub.meetings.delete(meeting.id);

    const fr = await contextFor(harness, outlook, { signedInAs: USER, lang: 'fr' });
    const result = await rewriteJoinBlockLanguage(fr);

    expect(result.status === 'failed' && result.message).toBe(
      'Les informations pour rejoindre la réunion n’ont pas pu être réécrites en français dans ce rendez-vous (Roomlink ne trouve pas cette réunion pour votre compte). Le rendez-vous n’a pas été modifié.',
    );
    expect(snapshot(outlook.state)).toEqual(before);
    expect(outlook.state.calls.filter((c) => c.endsWith('.setAsync')).length).toBe(setsBefore);
  });

  it('offline: leaves the appointment unchanged and says Roomlink can’t be reached', async () => {
    const outlook = fakeOutlook();
    await englishMeeting(outlook, (body) => body);
    const before = snapshot(outlook.state);
    const setsBefore = outlook.state.calls.filter((c) => c.endsWith('.setAsync')).length;

    // An address where nothing listens.
    const fr = await contextFor(harness, outlook, {
      signedInAs: USER,
      lang: 'fr',
      baseUrl: 'http://127.0.0.1:9/',
    });
    const result = await rewriteJoinBlockLanguage(fr);

    expect(result.status === 'failed' && result.message).toBe(
      'Les informations pour rejoindre la réunion n’ont pas pu être réécrites en français dans ce rendez-vous (Roomlink est injoignable). Le rendez-vous n’a pas été modifié.',
    );
    expect(snapshot(outlook.state)).toEqual(before);
    expect(outlook.state.calls.filter((c) => c.endsWith('.setAsync')).length).toBe(setsBefore);
  });

  it('touches nothing (and asks nothing) when the appointment has no meeting of its own', async () => {
    // Someone else's block, forwarded into this appointment: not the add-in's to rewrite.
    const other = fakeOutlook();
    await englishMeeting(other, (body) => body);
    const outlook = fakeOutlook({ body: other.state.body });
    const before = snapshot(outlook.state);
    const requestsBefore = harness.stub.requests.length;

    const fr = await contextFor(harness, outlook, { signedInAs: USER, lang: 'fr' });
    expect(await rewriteJoinBlockLanguage(fr)).toEqual({ status: 'none' });
    expect(snapshot(outlook.state)).toEqual(before);
    expect(harness.stub.requests.length).toBe(requestsBefore);
  });
});
