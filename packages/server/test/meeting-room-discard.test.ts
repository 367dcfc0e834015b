/**
 * A create that does not keep the room it asked its provider for releases it: an external engine must
 * not be left holding rooms nobody can reach. The built-in provider allocates nothing, so a recording
 * `deleteRoom` stands in for an engine's.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RoomDetails } from '../src/domain/meetings/meeting.js';
import type { RoomRequest } from '../src/domain/meetings/provider.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { startTestApp, type TestApp } from './support/harness.js';
import { offlineIdentity, signInRoutes } from './support/identity.js';
import { daysFromNow } from './support/meeting-times.js';
import { insertSession } from './support/sessions.js';

const SOON = daysFromNow(7);

const meeting = { subject: 'Discard', start: SOON.start, end: SOON.end };

type Discarded = { slug: string; meetingId: string };
const slugOf = (body: { joinUrl: string }) => new URL(body.joinUrl).pathname.replace('/m/', '');

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`rooms a create does not keep, on ${label}`, () => {
    let t: TestApp;
    let discarded: Discarded[];
    let carol: Record<string, string>;
    beforeAll(async () => {
      t = await startTestApp(dialect, {
        features: async (runtime) => {
          const identity = offlineIdentity(runtime);
          return { authenticate: identity.authenticate, plugins: [signInRoutes(runtime, identity)] };
        },
      });
      carol = { authorization: `Bearer ${await insertSession(t.runtime.store, 'tenant-d', 'carol')}` };
    });
    afterAll(async () => t?.close());
    afterEach(() => vi.restoreAllMocks());

    /** Gives the built-in provider a `deleteRoom` that records what it was asked to release. */
    const recordDiscards = () => {
      discarded = [];
      Object.assign(t.runtime.builtin, {
        deleteRoom: async (room: RoomDetails, meetingId: string) => {
          discarded.push({ slug: room.slug, meetingId });
        },
      });
    };
    const create = (headers: Record<string, string>, payload: object) =>
      t.app.inject({ method: 'POST', url: '/api/v1/meetings', headers, payload });
    const realCreateRoom = () => {
      const builtin = t.runtime.builtin;
      return builtin.createRoom.bind(builtin);
    };

    it('a room whose codes collided is released, and the meeting gets fresh codes', async () => {
      recordDiscards();
      const first = await create(carol, meeting);
      expect(first.statusCode).toBe(201);
      const taken = { slug: slugOf(first.json()), conferenceId: first.json().conferenceId as string };
      const createRoom = realCreateRoom();
      vi.spyOn(t.runtime.builtin, 'createRoom').mockImplementationOnce(async (request: RoomRequest) => ({
        ...(await createRoom(request)),
        slug: taken.slug,
        conferenceId: taken.conferenceId,
      }));
      const second = await create(carol, meeting);
      expect(second.statusCode).toBe(201);
      expect(slugOf(second.json())).not.toBe(taken.slug);
      expect(discarded).toHaveLength(1);
      expect(discarded[0]?.slug).toBe(taken.slug);
      // The abandoned attempt's id, not the meeting that was stored.
      expect(discarded[0]?.meetingId).not.toBe(second.json().id);
      expect(discarded[0]?.meetingId).not.toBe(first.json().id);
    });

    it('the loser of two creates with one idempotency key releases its room', async () => {
      recordDiscards();
      const createRoom = realCreateRoom();
      let waiting = 0;
      let releaseBoth!: () => void;
      const bothIn = new Promise<void>((resolve) => {
        releaseBoth = resolve;
      });
      vi.spyOn(t.runtime.builtin, 'createRoom').mockImplementation(async (request: RoomRequest) => {
        // Both requests have missed the idempotency lookup before either inserts.
        if (++waiting === 2) releaseBoth();
        await bothIn;
        return createRoom(request);
      });
      const payload = { ...meeting, idempotencyKey: 'one-outlook-item' };
      const [a, b] = await Promise.all([create(carol, payload), create(carol, payload)]);
      expect([a.statusCode, b.statusCode].sort()).toEqual([200, 201]);
      expect(a.json().id).toBe(b.json().id);
      expect(discarded).toHaveLength(1);
      expect(discarded[0]?.slug).not.toBe(slugOf(a.json()));
    });

    it('a create refused because its session ended releases its room', async () => {
      recordDiscards();
      const token = await insertSession(t.runtime.store, 'tenant-d', 'u-ended');
      const createRoom = realCreateRoom();
      let allocated: RoomDetails | undefined;
      let reached!: () => void;
      const whenReached = new Promise<void>((resolve) => {
        reached = resolve;
      });
      let release!: () => void;
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      vi.spyOn(t.runtime.builtin, 'createRoom').mockImplementationOnce(async (request: RoomRequest) => {
        allocated = await createRoom(request);
        reached();
        await released;
        return allocated;
      });
      const headers = { authorization: `Bearer ${token}` };
      const pending = create(headers, meeting);
      await whenReached;
      const signOut = await t.app.inject({ method: 'POST', url: '/api/v1/session/sign-out', headers });
      expect(signOut.statusCode).toBe(204);
      release();
      expect((await pending).statusCode).toBe(401);
      expect(discarded.map((d) => d.slug)).toEqual([allocated?.slug]);
    });
  });
}
