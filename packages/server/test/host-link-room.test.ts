/**
 * A host link over real HTTP and the room's real signalling socket, on every dialect: the organizer
 * gets in as host while wrong PINs from their address have locked the PIN out, once per link, and
 * not after the link expired. The room service's clock is injected.
 */
import { createRooms } from '@roomlink/rooms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOST_LINK_TTL_MS } from '../src/domain/meetings/host-link.js';
import { meetingRoomDirectory } from '../src/rooms/directory.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { sessionHeader, startTestApp, type TestApp } from './support/harness.js';
import { participant } from './support/room-client.js';

const MINUTE = 60_000;
const organizer = sessionHeader('tenant-hosts', 'organizer');

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`a host link into a live room (${label})`, () => {
    let t: TestApp;
    let clock = Date.now();

    beforeAll(async () => {
      t = await startTestApp(dialect, {
        listen: true,
        features: async (runtime) => {
          const rooms = createRooms({
            directory: meetingRoomDirectory(runtime.meetings, runtime.store.tenants),
            pinAttempts: 3,
            now: () => new Date(clock),
          });
          return { plugins: [(app) => rooms.register(app)] };
        },
      });
    });
    afterAll(async () => t?.close());

    const post = async (path: string, body?: unknown) => {
      const res = await fetch(`${t.url}${path}`, {
        method: 'POST',
        headers: { ...organizer, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.status, body: (await res.json()) as Record<string, string> };
    };
    const issue = async (meetingId: string) => {
      const link = await post(`/api/v1/meetings/${meetingId}/host-link`);
      expect(link.status).toBe(201);
      return {
        ticket: link.body.url?.split('#host=')[1] as string,
        expiresAt: Date.parse(link.body.expiresAt ?? ''),
      };
    };
    const hostLink = async (meetingId: string) => (await issue(meetingId)).ticket;

    it('lets the organizer in as host past a PIN lockout, once per link, and not once it expired', async () => {
      const created = await post('/api/v1/meetings', {
        subject: 'Locked out',
        start: new Date(clock - 5 * MINUTE).toISOString(),
        end: new Date(clock + 55 * MINUTE).toISOString(),
        idempotencyKey: 'host-link-room-1',
      });
      expect(created.status).toBe(201);
      const { id, joinUrl, hostPin } = created.body as { id: string; joinUrl: string; hostPin: string };
      const signal = `${t.url.replace('http', 'ws')}/api/v1/rooms/${joinUrl.split('/m/')[1]}/signal`;

      // Someone at the organizer's address (an office's shared one) guesses PINs until it is locked out.
      const guesser = await participant(signal);
      for (const pin of ['000001', '000002', '000003']) {
        const answered = guesser.received.length;
        guesser.send({ type: 'join', name: 'Guess', pin });
        await expect.poll(() => guesser.received.length).toBeGreaterThan(answered);
      }
      expect(guesser.received.at(-1)).toMatchObject({ type: 'refused', reason: 'locked' });
      const withPin = await participant(signal);
      withPin.send({ type: 'join', name: 'Organizer', pin: hostPin });
      expect(await withPin.next('refused')).toMatchObject({ reason: 'locked' });

      const ticket = await hostLink(id);
      const host = await participant(signal);
      host.send({ type: 'join', name: 'Organizer', ticket });
      expect(await host.next('joined')).toMatchObject({ role: 'host' });

      // The same link a second time (copied from the address bar, history): spent.
      const again = await participant(signal);
      again.send({ type: 'join', name: 'Organizer', ticket });
      expect(await again.next('error')).toMatchObject({ code: 'host_link_invalid' });

      // Another meeting's link does not open this room.
      const other = await post('/api/v1/meetings', {
        subject: 'Another',
        start: new Date(clock - 5 * MINUTE).toISOString(),
        end: new Date(clock + 55 * MINUTE).toISOString(),
        idempotencyKey: 'host-link-room-2',
      });
      const foreign = await participant(signal);
      foreign.send({ type: 'join', name: 'Organizer', ticket: await hostLink(other.body.id as string) });
      expect(await foreign.next('error')).toMatchObject({ code: 'host_link_invalid' });

      // A link not used within its 15 minutes.
      // The server stamps the expiry with its own clock (real time, which has moved on since `clock`
      // was read): the room's clock goes to a second past that, whatever the time taken so far.
      const late = await issue(id);
      expect(late.expiresAt - Date.now()).toBeLessThanOrEqual(HOST_LINK_TTL_MS);
      clock = late.expiresAt + 1000;
      const tooLate = await participant(signal);
      tooLate.send({ type: 'join', name: 'Organizer', ticket: late.ticket });
      expect(await tooLate.next('error')).toMatchObject({ code: 'host_link_invalid' });
    });
  });
}
