/**
 * Meetings the organizer cancels or deletes in Outlook move to Deleted Items, where Graph still
 * returns them by their immutable id. Sync must still cancel their rooms, from the deletion
 * notification or from a delta round, and must not cancel the room of an event that only moved out
 * of the round's window. The Graph emulator keeps deleted items the same way.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SyncUserRecord } from '../src/domain/sync/ports.js';
import type { GraphRequest } from '../src/graph/graph-client.js';
import { GraphError } from '../src/graph/graph-client.js';
import { JOB } from '../src/graph/sync-worker.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { eventually, linkedDailySeries, type SyncEnv, type SyncUser, startSyncEnv } from './sync-harness.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const wholeMinute = (ms: number) => new Date(Math.ceil(ms / 60_000) * 60_000);
const utc = (d: Date) => ({ dateTime: d.toISOString().slice(0, 19), timeZone: 'UTC' });

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`calendar sync and Deleted Items (${label})`, () => {
    let env: SyncEnv;
    let user: SyncUser;
    // Roomlink's clock, ahead of Exchange's by this much when a test says so.
    let skewMs = 0;

    beforeAll(async () => {
      env = await startSyncEnv(dialect, { now: () => new Date(Date.now() + skewMs) });
      user = await env.addUser();
      await env.sync.startSyncForUser(user.userId, user.tenantId);
      await eventually(
        async () => Boolean((await env.sync.syncStore.users.find(user.userId))?.deltaLinkCt),
        5000,
        'a first delta round',
      );
    });
    afterAll(async () => env?.close());

    const state = async (): Promise<SyncUserRecord> => {
      const found = await env.sync.syncStore.users.find(user.userId);
      if (!found) throw new Error('no sync state');
      return found;
    };
    const status = async (id: string) => (await env.meeting(user, id)).status;

    /** A meeting and its event, linked, and known to the delta link (an incremental round listed it). */
    async function knownMeeting(subject: string) {
      const meeting = await env.createMeeting(user, { subject });
      const eventId = env.createEvent(user, meeting);
      await eventually(() => env.sync.service.isLinked(user.userId, eventId), 10_000, 'link');
      await roundWithNothingPending();
      return { meeting, eventId };
    }

    /**
     * An incremental round, with no job of the mailbox waiting before or after it: a change job still
     * queued (or put back because the round held the mailbox, 200 ms later) would read the event after
     * the test's unnotified change and act on it, so the change would not be left to the next round.
     */
    async function roundWithNothingPending(): Promise<void> {
      await env.settled();
      await env.reconcile(user);
      await env.settled();
    }

    /**
     * Changes the calendar while its notification is lost, so only a delta round can tell. Returns
     * once the clock has passed the change: sync takes nothing changed at its round's start as proof.
     */
    async function unnotified(change: () => void): Promise<void> {
      env.emulator.dropNextNotifications(1);
      change();
      const changedAt = Date.now();
      await env.emulator.flushNotifications();
      await eventually(() => Date.now() > changedAt, 1000, 'the clock to pass the change');
    }

    it('cancels a series from its deletion notification although Graph still returns its master', async () => {
      const { meeting, masterId } = await linkedDailySeries(env, user, 'Daily stand-up', { type: 'noEnd' });
      env.emulator.cancelEvent(user.oid, masterId);
      expect(env.emulator.getEvent(user.oid, masterId)).toBeDefined();
      await eventually(
        async () => (await status(meeting.id)) === 'cancelled',
        10_000,
        'the series cancelled',
      );
    });

    it('cancels an event an incremental round reports removed while it is still in the window', async () => {
      const { meeting, eventId } = await knownMeeting('Deleted while unheard');
      await unnotified(() => env.emulator.deleteEvent(user.oid, eventId));
      expect(await status(meeting.id)).toBe('scheduled');
      await env.reconcile(user);
      expect(await status(meeting.id)).toBe('cancelled');
    });

    it('cancels a series whose occurrences an incremental round reports removed', async () => {
      const { meeting, masterId } = await linkedDailySeries(env, user, 'Weekly sync', {
        type: 'numbered',
        numberOfOccurrences: 5,
      });
      await roundWithNothingPending();
      await unnotified(() => env.emulator.deleteEvent(user.oid, masterId));
      expect(await status(meeting.id)).toBe('scheduled');
      await env.reconcile(user);
      expect(await status(meeting.id)).toBe('cancelled');
    });

    it.each([410, 400] as const)(
      'starts a full round when Graph answers %i for a delta link it forgot',
      async (status) => {
        const before = await state();
        await eventually(
          () => Date.now() > Date.parse(before.deltaStartedAt ?? ''),
          1000,
          'the clock to move',
        );
        env.emulator.faults.inject({ kind: 'syncStateNotFound', status });
        await env.reconcile(user);
        const after = await state();
        expect(Date.parse(after.deltaStartedAt ?? '')).toBeGreaterThan(
          Date.parse(before.deltaStartedAt ?? ''),
        );
      },
    );

    it('keeps the room of an event moved into the window while a full round runs, its clock ahead', async () => {
      skewMs = 10 * 60_000;
      try {
        const far = wholeMinute(Date.now() + 200 * DAY);
        const meeting = await env.createMeeting(user, { subject: 'Moved in mid-round', start: far });
        const eventId = env.createEvent(user, meeting);
        await eventually(() => env.sync.service.isLinked(user.userId, eventId), 10_000, 'link');
        await env.emulator.flushNotifications();
        // After the round's listing, before it reads the linked events it did not list, the organizer
        // moves the meeting into the window (notification lost): the round did not list it.
        const soon = wholeMinute(Date.now() + 3 * DAY);
        const linkedEvents = env.sync.service.linkedEvents.bind(env.sync.service);
        vi.spyOn(env.sync.service, 'linkedEvents').mockImplementationOnce(async (userId) => {
          await unnotified(() =>
            env.emulator.updateEvent(user.oid, eventId, {
              start: utc(soon),
              end: utc(new Date(soon.getTime() + HOUR)),
            }),
          );
          return linkedEvents(userId);
        });
        await env.reconcile(user, true);
        const after = await env.meeting(user, meeting.id);
        expect(after.status).toBe('scheduled');
        expect(after.start.getTime()).toBe(soon.getTime());
      } finally {
        skewMs = 0;
        vi.restoreAllMocks();
      }
    });

    it('keeps the room of an event a round reports removed and then present (delta lists it twice)', async () => {
      const { meeting, eventId } = await knownMeeting('Listed twice');
      const later = wholeMinute(Date.now() + 2 * DAY);
      await unnotified(() =>
        env.emulator.updateEvent(user.oid, eventId, {
          start: utc(later),
          end: utc(new Date(later.getTime() + HOUR)),
        }),
      );
      // Graph documents that an entity changed several times can appear several times in a round.
      const pages = env.sync.graph.pages.bind(env.sync.graph);
      vi.spyOn(env.sync.graph, 'pages').mockImplementation(async function* (userId, first) {
        for await (const page of pages<Record<string, unknown>>(userId, first)) {
          if (first.operation === 'calendar.delta' && page.value.some((e) => e.id === eventId)) {
            yield { value: [{ id: eventId, '@removed': { reason: 'deleted' } }] };
          }
          yield page;
        }
      } as typeof env.sync.graph.pages);
      try {
        await env.reconcile(user);
      } finally {
        vi.restoreAllMocks();
      }
      const after = await env.meeting(user, meeting.id);
      expect(after.status).toBe('scheduled');
      expect(after.start.getTime()).toBe(later.getTime());
    });

    /** Runs `answer` instead of Graph for the calendar view reads of the call made meanwhile. */
    function onViewRead(answer: (req: GraphRequest, graph: () => Promise<unknown>) => Promise<unknown>) {
      const request = env.sync.graph.request.bind(env.sync.graph);
      return vi
        .spyOn(env.sync.graph, 'request')
        .mockImplementation((async (userId: string, req: GraphRequest) =>
          req.operation === 'calendar.view'
            ? answer(req, () => request(userId, req))
            : request(userId, req)) as typeof env.sync.graph.request);
    }

    it('keeps the room of an event that moved between its read and the calendar view read', async () => {
      const { meeting, eventId } = await knownMeeting('Moved meanwhile');
      const later = wholeMinute(meeting.start.getTime() + 3 * DAY + 3 * HOUR);
      onViewRead(async (_req, graph) => {
        // The view is asked about the old time; the event is at the new one by then.
        env.emulator.updateEvent(user.oid, eventId, {
          start: utc(later),
          end: utc(new Date(later.getTime() + HOUR)),
        });
        return graph();
      });
      try {
        await env.asJob(user, (state) => env.sync.worker.syncEvent(state, eventId, true));
      } finally {
        vi.restoreAllMocks();
      }
      expect(await status(meeting.id)).toBe('scheduled');
    });

    it('gives no verdict when the calendar view does not fit one page', async () => {
      const { meeting, eventId } = await knownMeeting('Busy hour');
      await unnotified(() => env.emulator.deleteEvent(user.oid, eventId));
      onViewRead(async () => ({
        status: 200,
        headers: new Headers(),
        body: { value: [{ id: 'someone-else' }], '@odata.nextLink': `${env.t.url}/next` },
      }));
      try {
        await env.asJob(user, (state) => env.sync.worker.syncEvent(state, eventId, true));
      } finally {
        vi.restoreAllMocks();
      }
      expect(await status(meeting.id)).toBe('scheduled');
    });

    it('retries alone an event whose calendar view read fails, and finishes the round for the rest', async () => {
      const gone = await knownMeeting('View unavailable');
      const moved = await knownMeeting('Moved in the same round');
      const later = wholeMinute(Date.now() + 2 * DAY);
      await unnotified(() => env.emulator.deleteEvent(user.oid, gone.eventId));
      await unnotified(() =>
        env.emulator.updateEvent(user.oid, moved.eventId, {
          start: utc(later),
          end: utc(new Date(later.getTime() + HOUR)),
        }),
      );
      const before = await state();
      onViewRead(async () => {
        throw new GraphError(503, 'serviceNotAvailable');
      });
      const enqueued = vi.spyOn(env.sync.queue, 'enqueue');
      try {
        await env.reconcile(user);
        const retried = enqueued.mock.calls
          .flatMap(([jobs]) => jobs)
          .filter((j) => j.kind === JOB.change && j.payload.retryOf === 'reconcile');
        expect(retried.map((j) => j.payload)).toEqual([
          { userId: user.userId, eventId: gone.eventId, retryOf: 'reconcile', changeType: 'deleted' },
        ]);
      } finally {
        vi.restoreAllMocks();
      }
      expect(await status(gone.meeting.id)).toBe('scheduled');
      expect((await env.meeting(user, moved.meeting.id)).start.getTime()).toBe(later.getTime());
      expect((await state()).lastReconciledAt).not.toBe(before.lastReconciledAt);
      // The retry, with the view answering again, cancels it.
      await env.asJob(user, (state) => env.sync.worker.syncEvent(state, gone.eventId, true));
      expect(await status(gone.meeting.id)).toBe('cancelled');
    });

    it('keeps, and moves, the room of an event that only left the window', async () => {
      const { meeting, eventId } = await knownMeeting('Moved far ahead');
      const later = new Date(Date.now() + 400 * DAY);
      await unnotified(() =>
        env.emulator.updateEvent(user.oid, eventId, {
          start: utc(later),
          end: utc(new Date(later.getTime() + 3_600_000)),
        }),
      );
      await env.reconcile(user);
      const moved = await env.meeting(user, meeting.id);
      expect(moved.status).toBe('scheduled');
      expect(moved.start.getTime()).toBe(Math.floor(later.getTime() / 1000) * 1000);
    });
  });
}
