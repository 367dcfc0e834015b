/**
 * Calendar sync as `npm start` runs it (demo mode: serve() with the product features, the identity
 * and Graph emulators, SQLite): signing in subscribes the mailbox, changes saved in the Outlook
 * sandbox (which writes the Graph emulator's calendar) reach the meeting, and signing out deletes
 * the subscription and everything sync kept about the user.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEETING_ID_PROPERTY } from '../src/graph/events.js';
import { scriptedSignIn } from '../src/identity/scripted-sign-in.js';
import { type DemoServer, startDemoServer } from './browser/demo-sandbox.js';
import { daysFromNow } from './support/meeting-times.js';
import { eventually } from './sync-harness.js';

const UPN = 'megan@contoso.example';
const REVIEW = daysFromNow(60);
const MOVED = daysFromNow(61, '14:00', '15:30');

describe('calendar sync in the product (demo mode, real HTTP)', () => {
  let server: DemoServer;
  beforeAll(async () => {
    server = await startDemoServer();
  });
  afterAll(async () => server?.close());

  const subscriptions = async (userId: string): Promise<{ id: string; notificationUrl: string }[]> => {
    const response = await server.graph(userId, 'subscriptions');
    expect(response.status).toBe(200);
    return ((await response.json()) as { value: { id: string; notificationUrl: string }[] }).value;
  };

  const sandboxEvent = (method: 'POST' | 'PUT', path: string, item: Record<string, unknown>) =>
    fetch(new URL(`sandbox/api/events${path}?user=${encodeURIComponent(UPN)}`, server.baseUrl), {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: null, location: '', attendees: [], recurrence: null, ...item }),
    });

  it('follows sign-in, a renamed and moved appointment, and sign-out', async () => {
    const first = await scriptedSignIn(server.baseUrl, UPN);
    const userId = first.user.id;
    const [subscription] = await eventually(
      async () => {
        const list = await subscriptions(userId);
        return list.length > 0 ? list : undefined;
      },
      5_000,
      'a subscription after sign-in',
    );
    expect(subscription?.notificationUrl).toBe(new URL('api/graph/notifications', server.baseUrl).toString());

    const created = await server.api('api/v1/meetings', first.token, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        subject: 'Quarterly review',
        start: REVIEW.start,
        end: REVIEW.end,
        timeZone: 'UTC',
        idempotencyKey: 'sandbox-item-1',
      }),
    });
    expect(created.status).toBe(201);
    const meeting = (await created.json()) as { id: string; joinUrl: string };

    // The appointment as the add-in leaves it: the meeting id in its custom properties.
    const saved = await sandboxEvent('POST', '', {
      subject: 'Quarterly review',
      start: REVIEW.start,
      end: REVIEW.end,
      body: '<p>Agenda</p>',
      customProperties: { [MEETING_ID_PROPERTY]: meeting.id },
    });
    expect(saved.status).toBe(201);
    const { id: eventId } = (await saved.json()) as { id: string };

    const read = async () => {
      const response = await server.api(`api/v1/meetings/${meeting.id}`, first.token);
      return (await response.json()) as { subject: string; start: string; end: string; status: string };
    };
    const moved = await sandboxEvent('PUT', `/${encodeURIComponent(eventId)}`, {
      subject: 'Quarterly review (moved)',
      start: MOVED.start,
      end: MOVED.end,
      body: '<p>Agenda</p>',
      customProperties: { [MEETING_ID_PROPERTY]: meeting.id },
    });
    expect(moved.status).toBe(200);
    const after = await eventually(
      async () => {
        const m = await read();
        return m.subject === 'Quarterly review (moved)' && m.start === new Date(MOVED.start).toISOString()
          ? m
          : undefined;
      },
      2_000,
      'the new title and time on the meeting',
    );
    expect(after.end).toBe(new Date(MOVED.end).toISOString());
    // Graph calls, notifications and the queue are counted on the product's /metrics. The job is
    // counted once its completion is committed, which can come just after the meeting shows the
    // change: wait for that count, then check the others.
    const metrics = await eventually(
      async () => {
        const text = await (await fetch(new URL('metrics', server.baseUrl))).text();
        return text.includes('roomlink_jobs_processed_total{kind="graph_change",outcome="completed"}')
          ? text
          : undefined;
      },
      2_000,
      'the completed job on /metrics',
    );
    expect(metrics).toMatch(/roomlink_graph_requests_total\{operation="event\.get",outcome="ok"\} [1-9]/);
    expect(metrics).toMatch(/roomlink_graph_notifications_total\{kind="change",outcome="queued"\} [1-9]/);
    expect(metrics).toMatch(/roomlink_sync_changes_total\{action="updated"\} [1-9]/);
    expect(metrics).toContain('roomlink_jobs_processed_total{kind="graph_change",outcome="completed"}');

    const signOut = await server.api('api/v1/session/sign-out', first.token, { method: 'POST' });
    expect(signOut.status).toBe(204);
    const syncRows = await server.runtime.store.db
      .selectFrom('sync_users' as never)
      .select('user_id' as never)
      .where('user_id' as never, '=', userId as never)
      .execute();
    expect(syncRows).toEqual([]);

    // Signed in again: the old subscription is gone from Graph, a new one replaced it.
    const second = await scriptedSignIn(server.baseUrl, UPN);
    const now = await eventually(
      async () => {
        const list = await subscriptions(second.user.id);
        return list.length > 0 ? list : undefined;
      },
      5_000,
      'a subscription after signing in again',
    );
    expect(now.map((s) => s.id)).not.toContain(subscription?.id);
    expect(now).toHaveLength(1);
  });
});
