/**
 * The built-in rooms of an offboarded tenant, over real HTTP and the room's real signalling socket, on
 * every dialect: from its contract end day (UTC; the day its add-in sign-ins are refused) its rooms
 * answer as cancelled (the join page's status, new joins refused), and a session under way is ended
 * by the room service's periodic check of live rooms (here every second instead of every minute), as
 * for a meeting cancelled by another process. A contract end still to come changes nothing, the
 * meeting itself is left as it is (its admins may still export or delete it), and a readmitted tenant's
 * rooms open again.
 */
import { createRooms } from '@roomlink/rooms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { utcDay } from '../src/retention/index.js';
import { meetingRoomDirectory } from '../src/rooms/directory.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { sessionHeader, startTestApp, type TestApp } from './support/harness.js';
import { participant } from './support/room-client.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const TENANT = 'tenant-offboarded-rooms';
const organizer = sessionHeader(TENANT, 'organizer');

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`the rooms of a tenant whose contract ended (${label})`, () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp(dialect, {
        listen: true,
        features: async (runtime) => {
          const rooms = createRooms({
            // As the server composes it (features.ts): the store's tenants, cached a few seconds.
            directory: meetingRoomDirectory(runtime.meetings, runtime.store.tenants),
            recheckSeconds: 1,
          });
          return { plugins: [(app) => rooms.register(app)] };
        },
      });
    });
    afterAll(async () => t?.close());

    const setContractEnd = (day: string | null) =>
      t.runtime.store.db.updateTable('tenants').set({ contract_end: day }).where('id', '=', TENANT).execute();
    const roomState = async (slug: string) => {
      const res = await fetch(`${t.url}/api/v1/rooms/${slug}`);
      expect(res.status).toBe(200);
      return ((await res.json()) as { state: string }).state;
    };

    it('ends live sessions and refuses joins from the contract end day; readmitted, the room opens again', async () => {
      const created = await fetch(`${t.url}/api/v1/meetings`, {
        method: 'POST',
        headers: { ...organizer, 'content-type': 'application/json' },
        body: JSON.stringify({
          subject: 'Quarterly review',
          start: new Date(Date.now() - 5 * MINUTE).toISOString(),
          end: new Date(Date.now() + 55 * MINUTE).toISOString(),
          options: { guestPin: false, lobby: false },
        }),
      });
      expect(created.status).toBe(201);
      const { joinUrl, hostPin } = (await created.json()) as { joinUrl: string; hostPin: string };
      const slug = joinUrl.split('/m/')[1] as string;
      const signal = `${t.url.replace('http', 'ws')}/api/v1/rooms/${slug}/signal`;

      // A contract end still to come (tomorrow) changes nothing: the room is open and lets people in.
      await setContractEnd(utcDay(new Date(Date.now() + DAY)));
      const host = await participant(signal);
      host.send({ type: 'join', name: 'Host', pin: hostPin });
      await host.next('joined');
      const guest = await participant(signal);
      guest.send({ type: 'join', name: 'Guest' });
      await guest.next('joined');
      expect(await roomState(slug)).toBe('open');

      // The contract ends today: the session under way ends at the next check (the tenant is read
      // through the store's short cache, 5 s), everyone told the meeting was cancelled.
      await setContractEnd(utcDay(new Date()));
      expect(await host.next('closed')).toEqual({ type: 'closed', reason: 'cancelled' });
      expect(await guest.next('closed')).toEqual({ type: 'closed', reason: 'cancelled' });
      expect(await host.closed).toBe(4002);
      expect(await guest.closed).toBe(4002);

      // The join page reads the room's status and shows the cancelled meeting's message; a join
      // (a host's too) is refused.
      expect(await roomState(slug)).toBe('cancelled');
      const page = await fetch(`${t.url}/m/${slug}`);
      expect(page.status).not.toBe(404);
      const again = await participant(signal);
      again.send({ type: 'join', name: 'Host', pin: hostPin });
      expect(await again.next('refused')).toMatchObject({ reason: 'cancelled' });

      // The meeting itself is untouched: its tenant's admins can still see, export or delete it.
      expect((await t.runtime.meetings.findBySlug(slug))?.status).toBe('scheduled');

      // Readmitted (its contract end cleared before the deletion): the room opens again.
      await setContractEnd(null);
      await expect.poll(() => roomState(slug)).toBe('open');
      const back = await participant(signal);
      back.send({ type: 'join', name: 'Host', pin: hostPin });
      expect(await back.next('joined')).toMatchObject({ role: 'host' });
      back.ws.close();
    });
  });
}
