/**
 * A meeting taken back after a new sign-in (the add-in presents its appointment's item key) is
 * followed by calendar sync again at once: the take-back queues a fresh round of the new user's
 * calendar, which links the appointment to the meeting without waiting for the appointment to change.
 * In demo mode, through the product's HTTP API, the Outlook sandbox and the Graph emulator.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ITEM_KEY_HEADER } from '../src/domain/meetings/reclaim.js';
import { MEETING_ID_PROPERTY } from '../src/graph/events.js';
import { scriptedSignIn } from '../src/identity/scripted-sign-in.js';
import { type DemoServer, startDemoServer } from './browser/demo-sandbox.js';
import { daysFromNow } from './support/meeting-times.js';
import { eventually } from './sync-harness.js';

const UPN = 'alex@contoso.example';
const KEY = 'rl-0123456789abcdef0123456789abcdef';
const WHEN = daysFromNow(3);

describe('a meeting taken back after a new sign-in (demo mode, real HTTP)', () => {
  let server: DemoServer;
  beforeAll(async () => {
    server = await startDemoServer();
  });
  afterAll(async () => server?.close());

  const sandboxEvent = (method: 'POST' | 'PUT', path: string, item: Record<string, unknown>) =>
    fetch(new URL(`sandbox/api/events${path}?user=${encodeURIComponent(UPN)}`, server.baseUrl), {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        id: null,
        location: '',
        attendees: [],
        recurrence: null,
        body: '<p></p>',
        ...item,
      }),
    });
  const linkedTo = async (meetingId: string) => {
    const { rows } = await sql<{
      user_id: string;
    }>`select user_id from sync_events where meeting_id = ${meetingId}`.execute(server.runtime.store.db);
    return rows[0]?.user_id;
  };
  const reconciled = async (userId: string) => {
    const { rows } = await sql<{
      at: string | null;
    }>`select last_reconciled_at as at from sync_users where user_id = ${userId}`.execute(
      server.runtime.store.db,
    );
    return rows[0]?.at ? true : undefined;
  };

  it('links the appointment to the meeting again, and follows its next change', async () => {
    const first = await scriptedSignIn(server.baseUrl, UPN);
    const created = await server.api('api/v1/meetings', first.token, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ subject: 'Roadmap', ...WHEN, timeZone: 'UTC', idempotencyKey: KEY }),
    });
    expect(created.status).toBe(201);
    const meeting = (await created.json()) as { id: string };
    const saved = await sandboxEvent('POST', '', {
      subject: 'Roadmap',
      ...WHEN,
      customProperties: { [MEETING_ID_PROPERTY]: meeting.id },
    });
    expect(saved.status).toBe(201);
    const { id: eventId } = (await saved.json()) as { id: string };
    await eventually(
      async () => ((await linkedTo(meeting.id)) === first.user.id ? true : undefined),
      10_000,
      'link',
    );

    expect((await server.api('api/v1/session/sign-out', first.token, { method: 'POST' })).status).toBe(204);
    const second = await scriptedSignIn(server.baseUrl, UPN);
    expect(second.user.id).not.toBe(first.user.id);
    // The new user's first round has run (and, the meeting being the old user's then, linked nothing).
    await eventually(() => reconciled(second.user.id), 10_000, 'the first round after the new sign-in');
    expect(await linkedTo(meeting.id)).toBeUndefined();

    const taken = await server.api(`api/v1/meetings/${meeting.id}`, second.token, {
      headers: { [ITEM_KEY_HEADER]: KEY },
    });
    expect(taken.status).toBe(200);
    await eventually(
      async () => ((await linkedTo(meeting.id)) === second.user.id ? true : undefined),
      10_000,
      'the appointment linked to the meeting again, before it changes',
    );

    const renamed = await sandboxEvent('PUT', `/${encodeURIComponent(eventId)}`, {
      subject: 'Roadmap (renamed)',
      ...WHEN,
      customProperties: { [MEETING_ID_PROPERTY]: meeting.id },
    });
    expect(renamed.status).toBe(200);
    await eventually(
      async () => {
        const response = await server.api(`api/v1/meetings/${meeting.id}`, second.token);
        return ((await response.json()) as { subject: string }).subject === 'Roadmap (renamed)'
          ? true
          : undefined;
      },
      10_000,
      'the new title on the meeting',
    );
  });
});
