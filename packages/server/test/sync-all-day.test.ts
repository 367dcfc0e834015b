/**
 * All-day meetings under calendar sync. The add-in stores an all-day appointment's real local
 * midnights (Office.js gives instants); Graph returns the event's start and end as floating midnights
 * labelled UTC whatever zone sync asks for. Sync must place those days in the organizer's zone, so
 * that a Sydney or New York organizer's room keeps its window after a sync, a retitle, or a change to
 * one day of an all-day series. The Graph emulator returns all-day events as Graph does.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instantOf, requireZone } from '../../emulators/src/graph/time.js';
import type { Meeting } from '../src/domain/meetings/meeting.js';
import type { GraphClient } from '../src/graph/graph-client.js';
import { type EventTimesOutcome, JOB } from '../src/graph/sync-worker.js';
import type { JobQueue } from '../src/jobs/queue.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { syncWorkerOn } from './support/sync-worker.js';
import { ADDIN_ID, eventually, type SyncEnv, type SyncUser, startSyncEnv } from './sync-harness.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SYDNEY = 'AUS Eastern Standard Time';
const NEW_YORK = 'Eastern Standard Time';

/** yyyy-mm-dd, `n` days after today (UTC). */
const dayAhead = (n: number) => new Date(Date.now() + n * DAY).toISOString().slice(0, 10);
const nextDay = (date: string) => new Date(Date.parse(`${date}T00:00:00Z`) + DAY).toISOString().slice(0, 10);
/** The instant at which `date` begins in `zone` (the emulator's Temporal arithmetic: the oracle). */
const midnightIn = (zone: string, date: string) =>
  new Date(instantOf(Date.parse(`${date}T00:00:00Z`), requireZone(zone)));
const floating = (date: string, zone: string) => ({ dateTime: `${date}T00:00:00`, timeZone: zone });

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);

  describe.skipIf(skip)(`all-day meetings under calendar sync (${label})`, () => {
    let env: SyncEnv;
    let user: SyncUser;

    beforeAll(async () => {
      env = await startSyncEnv(dialect, { tuning: { maintenanceEveryMs: 3_600_000 } });
      user = await env.startedUser();
    });
    afterAll(async () => env?.close());

    /** An all-day meeting the add-in made in `zone` on `date` (its local midnights), and its event. */
    async function allDayMeeting(
      subject: string,
      zone: string,
      date: string,
      extra: Record<string, unknown> = {},
    ) {
      const meeting = await env.createMeeting(user, {
        subject,
        start: midnightIn(zone, date),
        end: midnightIn(zone, nextDay(date)),
        timeZone: zone,
        ...extra,
      });
      const eventId = env.createEvent(user, meeting, {
        isAllDay: true,
        start: floating(date, zone),
        end: floating(nextDay(date), zone),
        ...extra,
      });
      return { meeting, eventId };
    }

    const open = (meeting: Meeting, at: Date) => env.sync.isRoomOpenAt(meeting.room.slug, at);

    for (const [organizer, zone] of [
      ['Sydney', SYDNEY],
      ['New York', NEW_YORK],
    ] as const) {
      it(`a ${organizer} organizer's all-day meeting keeps its local-midnight window after a sync and a retitle`, async () => {
        const date = dayAhead(3);
        const { meeting, eventId } = await allDayMeeting('Offsite', zone, date);
        await eventually(() => env.sync.service.isLinked(user.userId, eventId), 10_000, 'the event linked');
        await env.settled();
        await env.reconcile(user);

        const synced = await env.meeting(user, meeting.id);
        expect(synced.start).toEqual(midnightIn(zone, date));
        expect(synced.end).toEqual(midnightIn(zone, nextDay(date)));
        expect(synced.version).toBe(meeting.version);
        // Open from the organizer's morning to their evening; closed at their next morning.
        expect(await open(synced, new Date(midnightIn(zone, date).getTime() + 6 * HOUR))).toBe(true);
        expect(await open(synced, new Date(midnightIn(zone, date).getTime() + 22 * HOUR))).toBe(true);
        expect(await open(synced, new Date(midnightIn(zone, nextDay(date)).getTime() + 6 * HOUR))).toBe(
          false,
        );

        env.emulator.updateEvent(user.oid, eventId, { subject: 'Offsite (agenda)' });
        const retitled = await eventually(
          async () => {
            const m = await env.meeting(user, meeting.id);
            return m.subject === 'Offsite (agenda)' && m;
          },
          10_000,
          'the retitle to be followed',
        );
        expect(retitled.start).toEqual(midnightIn(zone, date));
        expect(retitled.end).toEqual(midnightIn(zone, nextDay(date)));

        // A deleted notification for the event, still in the calendar: the calendar view over its
        // days finds it, and its room is kept.
        await env.asJob(user, (state) => env.sync.worker.syncEvent(state, eventId, true));
        expect((await env.meeting(user, meeting.id)).status).not.toBe('cancelled');
      });
    }

    it("an all-day series keeps its days: a retitled day is no move, a deleted day is cancelled at the organizer's midnights", async () => {
      const first = dayAhead(3);
      const second = nextDay(first);
      const third = nextDay(second);
      const recurrence = {
        pattern: { type: 'daily', interval: 1 },
        range: { type: 'numbered', startDate: first, numberOfOccurrences: 3, recurrenceTimeZone: SYDNEY },
      };
      const { meeting, eventId: masterId } = await allDayMeeting('Leave', SYDNEY, first, { recurrence });
      await eventually(() => env.sync.service.isLinked(user.userId, masterId), 10_000, 'the series linked');
      await env.settled();
      await env.reconcile(user);
      const synced = await env.meeting(user, meeting.id);
      expect(synced.start).toEqual(midnightIn(SYDNEY, first));
      expect(synced.end).toEqual(midnightIn(SYDNEY, second));
      expect(await env.sync.service.overrides(meeting.id)).toEqual([]);

      env.emulator.updateOccurrence(user.oid, masterId, midnightIn(SYDNEY, second), {
        subject: 'Leave (notes)',
      });
      env.emulator.deleteOccurrence(user.oid, masterId, midnightIn(SYDNEY, third));
      await env.settled();
      await env.reconcile(user);
      const overrides = await eventually(
        async () => {
          const o = await env.sync.service.overrides(meeting.id);
          return o.length > 0 && o;
        },
        10_000,
        'the deleted day to be recorded',
      );
      expect(overrides).toEqual([
        {
          originalStart: midnightIn(SYDNEY, third),
          originalEnd: midnightIn(SYDNEY, nextDay(third)),
          start: midnightIn(SYDNEY, third),
          end: midnightIn(SYDNEY, nextDay(third)),
          cancelled: true,
        },
      ]);
      const after = await env.meeting(user, meeting.id);
      expect(after.start).toEqual(midnightIn(SYDNEY, first));
      expect(after.end).toEqual(midnightIn(SYDNEY, second));
      expect(await open(after, new Date(midnightIn(SYDNEY, second).getTime() + 6 * HOUR))).toBe(true);
      expect(await open(after, new Date(midnightIn(SYDNEY, third).getTime() + 6 * HOUR))).toBe(false);
    });

    it("places an all-day event that names no known zone in its meeting's zone, and counts and logs events skipped for their times", async () => {
      const date = dayAhead(4);
      // Their notifications are lost: only the worker under test reads these events.
      env.emulator.dropNextNotifications(2);
      const unnamed = await allDayMeeting('Retreat', SYDNEY, date);
      const unreadable = await allDayMeeting('Workshop', SYDNEY, date);
      await env.emulator.flushNotifications();

      // Graph as it may answer: a zone no one can resolve, and times no one can read.
      const real = env.sync.graph;
      const tamper = <T extends { body: unknown }>(response: T): T => {
        const body = response.body as Record<string, unknown>;
        if (body?.id === unnamed.eventId) body.originalStartTimeZone = 'tzone://Microsoft/Custom';
        if (body?.id === unreadable.eventId) body.start = { dateTime: 'not a time', timeZone: 'UTC' };
        return response;
      };
      const graph = {
        request: async (...args: Parameters<GraphClient['request']>) => tamper(await real.request(...args)),
        batch: async (...args: Parameters<GraphClient['batch']>) => real.batch(...args),
        pages: (...args: Parameters<GraphClient['pages']>) => real.pages(...args),
      } as unknown as GraphClient;
      const logs: [unknown, string][] = [];
      const outcomes: EventTimesOutcome[] = [];
      const queue: JobQueue = {
        backend: 'sql',
        enqueue: async () => undefined,
        start: async () => undefined,
        stop: async () => undefined,
        counts: async () => [],
      };
      const handlers = syncWorkerOn(env, {
        graph,
        queue,
        settings: { addinId: ADDIN_ID },
        log: { warn: (obj, msg) => logs.push([obj, msg]), info: () => undefined },
        onEventTimes: (outcome) => outcomes.push(outcome),
      }).handlers();

      for (const eventId of [unnamed.eventId, unreadable.eventId]) {
        await handlers[JOB.change]?.(
          { userId: user.userId, eventId, retryOf: 'reconcile' },
          { id: 'c', attempt: 1 },
        );
      }
      expect(await env.sync.service.isLinked(user.userId, unnamed.eventId)).toBe(true);
      const placed = await env.meeting(user, unnamed.meeting.id);
      expect(placed.start).toEqual(midnightIn(SYDNEY, date));
      expect(placed.end).toEqual(midnightIn(SYDNEY, nextDay(date)));
      // The unreadable one is left as it was.
      expect(await env.sync.service.isLinked(user.userId, unreadable.eventId)).toBe(false);
      expect(outcomes).toEqual(['all_day_zone_fallback', 'unreadable']);
      // Logged by type only: no ids, titles or addresses.
      expect(logs).toEqual([
        [{ eventType: 'singleInstance' }, expect.stringContaining('no time zone this server knows')],
        [
          { operation: 'event.get', eventType: 'singleInstance', isAllDay: true },
          expect.stringContaining('cannot be read'),
        ],
      ]);
    });
  });
}
