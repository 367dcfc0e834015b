/**
 * After a sign-out and a new sign-in, the server knows the user by a new record: the add-in sends the
 * item's idempotency key (Roomlink-Item-Key) with every request about the item's meeting, so the server
 * can hand the meeting back; and Remove does not claim the room is gone when the server answered 404.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { findJoinBlock } from '../../server/src/instructions/marker.js';
import { addMeeting } from '../web/core/add-meeting.js';
import { PROPS } from '../web/core/item.js';
import { applyMeetingOptions } from '../web/core/meeting-options.js';
import { removeMeeting } from '../web/core/remove-meeting.js';
import { fakeOutlook } from './support/fake-outlook.js';
import { contextFor, type Harness, startStub } from './support/harness.js';

const USER = 'adele@contoso.test';
let harness: Harness;
/** Method, path and Roomlink-Item-Key of every request the add-in made. */
let sent: { method: string; path: string; itemKey: string | undefined }[];

beforeEach(async () => {
  harness = await startStub();
  sent = [];
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, 'fetch').mockImplementation((input, init) => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    sent.push({
      method: init?.method ?? 'GET',
      path: new URL(String(input)).pathname,
      itemKey: Object.entries(headers).find(([name]) => name.toLowerCase() === 'roomlink-item-key')?.[1],
    });
    return realFetch(input, init);
  });
});
afterEach(async () => {
  vi.restoreAllMocks();
  await harness.close();
});

async function itemWithMeeting(lang: 'en' | 'fr' = 'en') {
  const outlook = fakeOutlook();
  const ctx = await contextFor(harness, outlook, { signedInAs: USER, lang });
  const added = await addMeeting(ctx);
  if (added.status !== 'added') throw new Error(added.status);
  const key = outlook.state.customProperties[PROPS.idempotencyKey];
  expect(key).toMatch(/^rl-[0-9a-f]{32}$/);
  return { outlook, ctx, id: added.meeting.id, key: key as string };
}

describe('the item key goes with every request about the item’s meeting', () => {
  it('on PATCH (meeting options) and DELETE (Remove)', async () => {
    const { ctx, id, key } = await itemWithMeeting();
    await applyMeetingOptions(ctx, id, { lobby: true });
    expect((await removeMeeting(ctx)).status).toBe('removed');
    const about = sent.filter((r) => r.path === `/api/v1/meetings/${id}`);
    expect(about.map((r) => [r.method, r.itemKey])).toEqual([
      ['PATCH', key],
      ['DELETE', key],
    ]);
  });

  it('on GET when Add writes a stored meeting back', async () => {
    const { outlook, ctx, id, key } = await itemWithMeeting();
    outlook.state.body = '<html><body><p>Block deleted.</p></body></html>';
    expect((await addMeeting(ctx)).status).toBe('restored');
    expect(sent.filter((r) => r.method === 'GET' && r.path === `/api/v1/meetings/${id}`)).toEqual([
      { method: 'GET', path: `/api/v1/meetings/${id}`, itemKey: key },
    ]);
  });
});

describe('Remove when the server cannot find the meeting for this user', () => {
  for (const [lang, text] of [
    [
      'en',
      'Joining details removed, but Roomlink couldn’t find this meeting for your account: its room may stay open until the meeting ends.',
    ],
    [
      'fr',
      'Informations retirées, mais Roomlink n’a pas trouvé cette réunion pour votre compte : sa salle peut rester ouverte jusqu’à la fin de la réunion.',
    ],
  ] as const) {
    it(`cleans the item but says the room may stay open (${lang})`, async () => {
      const { outlook, ctx, id, key } = await itemWithMeeting(lang);
      // Still held by the server, but for another user record (e.g. one the key cannot take it from).
      const meeting = harness.stub.meetings.get(id);
      if (!meeting) throw new Error('no meeting');
      meeting.ownerId = 'someone-else';

      const result = await removeMeeting(ctx);

      expect(sent.find((r) => r.method === 'DELETE')).toMatchObject({ itemKey: key });
      expect(result).toMatchObject({ status: 'failed', message: text });
      expect(outlook.state.notifications.get('roomlink')?.message).toBe(text);
      expect(harness.stub.meetings.get(id)?.deleted).toBe(false);
      // The item-cleaning behaviour is kept: no block, no properties.
      expect(findJoinBlock(outlook.state.body, 'html')).toBeNull();
      expect(outlook.state.customProperties).toEqual({});
    });
  }
});
