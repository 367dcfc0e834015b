/**
 * A meeting the add-in made for one occurrence of a series (the series itself has none): Outlook
 * writes its block and properties into that occurrence, which becomes an exception. Calendar sync
 * follows that meeting as it follows a single event: linked, moved, retitled and cancelled with its
 * occurrence through the notifications Graph sends under the master's id (each followed by an
 * incremental delta round, which names the occurrence that changed).
 * A series' own meeting is never driven by one of its exceptions. The Graph emulator plays Outlook.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CalendarItem } from '../src/domain/sync/calendar-item.js';
import { customPropertiesId } from '../src/graph/events.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import {
  ADDIN_ID,
  immutableId,
  linkedDailySeries,
  type SyncEnv,
  type SyncUser,
  startSyncEnv,
} from './sync-harness.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const utc = (d: Date) => ({ dateTime: d.toISOString().slice(0, 19), timeZone: 'UTC' });

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`a meeting made for one occurrence, under calendar sync (${label})`, () => {
    let env: SyncEnv;

    beforeAll(async () => {
      env = await startSyncEnv(dialect);
    });
    afterAll(async () => env?.close());

    /** A daily Outlook series of five half-hour occurrences from the next whole hour tomorrow, with no meeting. */
    function plainSeries(u: SyncUser, subject: string): { first: Date; masterId: string } {
      const first = new Date(Math.ceil(Date.now() / HOUR) * HOUR + DAY);
      const event = env.emulator.createEvent(u.oid, {
        subject,
        start: utc(first),
        end: utc(new Date(first.getTime() + HOUR / 2)),
        body: { contentType: 'html', content: '<p>Weekly numbers</p>' },
        recurrence: {
          pattern: { type: 'daily', interval: 1 },
          range: {
            type: 'numbered',
            numberOfOccurrences: 5,
            startDate: first.toISOString().slice(0, 10),
            recurrenceTimeZone: 'UTC',
          },
        },
      });
      return { first, masterId: immutableId(event.id) };
    }

    /** What the add-in writes into the one occurrence it adds a meeting to. */
    const addinWrites = (meetingId: string, joinUrl: string) => ({
      body: { contentType: 'html' as const, content: `<p>Weekly numbers</p><p>${joinUrl}</p>` },
      singleValueExtendedProperties: [
        { id: customPropertiesId(ADDIN_ID), value: JSON.stringify({ roomlinkMeetingId: meetingId }) },
      ],
    });

    it('links it on the notification, then moves, retitles and cancels it with its occurrence', async () => {
      const u = await env.startedUser();
      const { first, masterId } = plainSeries(u, 'Numbers');
      await env.settled();
      const third = new Date(first.getTime() + 2 * DAY);
      const meeting = await env.createMeeting(u, {
        subject: 'Numbers',
        start: third,
        end: new Date(third.getTime() + HOUR / 2),
      });
      const exception = env.emulator.updateOccurrence(
        u.oid,
        masterId,
        third,
        addinWrites(meeting.id, meeting.room.joinUrl),
      );
      const exceptionId = immutableId(exception.id);
      await env.settled();

      // The master's notification brings a delta round, which lists the exception under its own id:
      // it is read, and its meeting linked to it, with no hourly reconciliation.
      expect(await env.sync.service.isLinked(u.userId, exceptionId)).toBe(true);
      expect((await env.sync.syncStore.links.findByMeeting(meeting.id))?.kind).toBe('occurrence');
      // The series carries no meeting: nothing links it.
      expect(await env.sync.service.isLinked(u.userId, masterId)).toBe(false);

      // Moved two hours later and retitled in Outlook: the notification (under the master's id) is
      // enough.
      const movedTo = new Date(third.getTime() + 2 * HOUR);
      env.emulator.updateOccurrence(u.oid, masterId, third, {
        subject: 'Numbers, Q4 close',
        start: utc(movedTo),
        end: utc(new Date(movedTo.getTime() + HOUR)),
      });
      await env.settled();
      const moved = await env.meeting(u, meeting.id);
      expect(moved.subject).toBe('Numbers, Q4 close');
      expect(moved.start.getTime()).toBe(movedTo.getTime());
      expect(moved.end.getTime()).toBe(movedTo.getTime() + HOUR);
      expect(moved.recurrence).toBeNull();
      expect(moved.status).toBe('scheduled');

      // The occurrence deleted from the series: its room is cancelled, its link gone.
      env.emulator.deleteOccurrence(u.oid, masterId, third);
      await env.settled();
      expect((await env.meeting(u, meeting.id)).status).toBe('cancelled');
      expect(await env.sync.service.isLinked(u.userId, exceptionId)).toBe(false);
    });

    it('cancels it when a round reports its occurrence removed', async () => {
      const u = await env.startedUser();
      const { first, masterId } = plainSeries(u, 'Review');
      const second = new Date(first.getTime() + DAY);
      const meeting = await env.createMeeting(u, {
        subject: 'Review',
        start: second,
        end: new Date(second.getTime() + HOUR / 2),
      });
      env.emulator.updateOccurrence(u.oid, masterId, second, addinWrites(meeting.id, meeting.room.joinUrl));
      await env.settled();
      await env.reconcile(u);
      expect((await env.sync.syncStore.links.findByMeeting(meeting.id))?.kind).toBe('occurrence');

      // Its notification lost: only the next incremental round tells.
      env.emulator.dropNextNotifications(1);
      env.emulator.deleteOccurrence(u.oid, masterId, second);
      await env.settled();
      expect((await env.meeting(u, meeting.id)).status).toBe('scheduled');
      await env.reconcile(u);
      expect((await env.meeting(u, meeting.id)).status).toBe('cancelled');
    });

    it("never moves a series' own meeting to one of its exceptions", async () => {
      const u = await env.startedUser();
      const { first, meeting, masterId } = await linkedDailySeries(env, u, 'Standup', {
        type: 'numbered',
        numberOfOccurrences: 5,
      });
      await env.settled();
      // An exception whose body Outlook copied from the master names the series' meeting; it is
      // applied before its master was ever linked (a first round may list it first).
      await env.sync.syncStore.links.remove(meeting.id);
      const second = new Date(first.getTime() + DAY);
      const movedTo = new Date(second.getTime() + 3 * HOUR);
      const exception: CalendarItem = {
        id: `${masterId}-exception`,
        type: 'exception',
        subject: 'Standup',
        start: movedTo,
        end: new Date(movedTo.getTime() + HOUR / 2),
        isCancelled: false,
        lastModified: new Date().toISOString(),
        changeKey: 'ck-exception',
        seriesMasterId: masterId,
        originalStart: second,
        recurrence: null,
        seriesTimeZone: null,
        cancelledOccurrenceDates: [],
        customMeetingId: meeting.id,
        body: { kind: 'html', content: `<p>${meeting.room.joinUrl}</p>` },
      };
      const result = await env.sync.service.applyItem({ userId: u.userId, tenantId: u.tenantId }, exception);
      expect(result).toBe('ignored');
      const after = await env.meeting(u, meeting.id);
      expect(after.start.getTime()).toBe(first.getTime());
      expect(after.recurrence).not.toBeNull();
      expect(await env.sync.syncStore.links.findByMeeting(meeting.id)).toBeUndefined();
    });
  });
}
