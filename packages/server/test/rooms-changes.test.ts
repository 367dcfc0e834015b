/**
 * The built-in rooms inside the real server: changing a meeting applies to those already in its live
 * room, not only to the next to join.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { TestDatabase } from './support/databases.js';
import { participant } from './support/room-client.js';
import { type ServerProcess, startSignedInServer } from './support/server-process.js';

describe('a meeting changed while its room is live', () => {
  let server: ServerProcess | undefined;
  let database: TestDatabase | undefined;
  afterEach(async () => {
    server?.kill('SIGKILL');
    await database?.drop();
  });

  it('sends guests who no longer qualify to join again, and ends the room when moved away', async () => {
    let token: string;
    ({ server, token, database } = await startSignedInServer('tenant-rooms', 'host-user'));
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const created = await fetch(`${server.url}/api/v1/meetings`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        subject: 'Room changes',
        start: new Date(Date.now() - 5 * 60_000).toISOString(),
        end: new Date(Date.now() + 55 * 60_000).toISOString(),
        options: { guestPin: false, lobby: false },
      }),
    });
    expect(created.status).toBe(201);
    const meeting = (await created.json()) as { id: string; joinUrl: string; hostPin: string };
    const slug = meeting.joinUrl.split('/m/')[1] as string;
    const signal = `${server.url.replace('http', 'ws')}/api/v1/rooms/${slug}/signal`;
    const patch = (body: unknown) =>
      fetch(`${server?.url}/api/v1/meetings/${meeting.id}`, {
        method: 'PATCH',
        headers,
        body: JSON.stringify(body),
      });

    const host = await participant(signal);
    host.send({ type: 'join', name: 'Host', pin: meeting.hostPin });
    await host.next('joined');
    const guest = await participant(signal);
    guest.send({ type: 'join', name: 'Guest' });
    await guest.next('joined');

    // A guest PIN now: the guest came without one and must join again with it; the host stays.
    expect((await patch({ options: { guestPin: true } })).status).toBe(200);
    expect(await guest.next('closed')).toEqual({ type: 'closed', reason: 'changed' });
    expect(await guest.closed).toBe(4002);
    await host.next('peer-left');
    expect(host.received.filter((m) => m.type === 'closed')).toEqual([]);

    // Moved to next week: the room ends now, not an hour after the old end, and says when it opens
    // (an hour before the new start).
    const later = Date.now() + 7 * 24 * 3600_000;
    const moved = await patch({
      start: new Date(later).toISOString(),
      end: new Date(later + 3600_000).toISOString(),
    });
    expect(moved.status).toBe(200);
    const closed = await host.next('closed');
    expect(closed).toMatchObject({ type: 'closed', reason: 'moved' });
    expect(Math.abs(Date.parse(String(closed.opensAt)) - (later - 3600_000))).toBeLessThan(60_000);
    expect(await host.closed).toBe(4002);
  });
});
