/**
 * Occurrences of a series moved in Outlook (exceptions), under calendar sync: recorded even when they
 * were moved beyond the calendar window sync reads, once the window reaches them; and a series whose
 * last occurrence moved later keeps its metadata until 3 months (or the tenant's days) after that
 * occurrence, not after the pattern's last one. The Graph emulator plays the organizer's Outlook;
 * sync's clock is moved ahead, and each test runs the reconciliations itself.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMonthsClamped } from '../src/domain/meetings/window.js';
import type { CalendarItem } from '../src/domain/sync/calendar-item.js';
import { createRetention } from '../src/retention/index.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { sessionHeader } from './support/harness.js';
import { eventually, linkedDailySeries, type SyncEnv, type SyncUser, startSyncEnv } from './sync-harness.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };
const utc = (d: Date) => ({ dateTime: d.toISOString().slice(0, 19), timeZone: 'UTC' });
const day = (at: number) => new Date(at).toISOString().slice(0, 10);

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`moved occurrences under calendar sync (${label})`, () => {
    let env: SyncEnv;
    let user: SyncUser;
    /** How far ahead of the real time sync's clock runs; during a round it stands still at `pinned`. */
    let ahead = 0;
    let pinned: number | undefined;
    const syncNow = () => new Date(pinned ?? Date.now() + ahead);

    beforeAll(async () => {
      // A 10-day window (instead of 180) so that an occurrence can be moved beyond it; no scheduled
      // maintenance while the clock is moved.
      env = await startSyncEnv(dialect, {
        now: syncNow,
        tuning: { windowFutureDays: 10, maintenanceEveryMs: 3_600_000 },
      });
      user = await env.startedUser();
    });
    afterAll(async () => env?.close());

    /** Sync's scheduled reconciliation of `u` at `offset` from now. */
    async function reconcileAt(u: SyncUser, offset: number): Promise<void> {
      ahead = offset;
      pinned = Date.now() + offset;
      try {
        await env.reconcile(u);
      } finally {
        pinned = undefined;
      }
    }

    const purgeAfter = async (meetingId: string) =>
      (
        await env.t.runtime.store.db
          .selectFrom('meetings')
          .select('purge_after')
          .where('id', '=', meetingId)
          .executeTakeFirstOrThrow()
      ).purge_after;
    const exists = async (meetingId: string) =>
      (await env.t.runtime.store.db
        .selectFrom('meetings')
        .select('id')
        .where('id', '=', meetingId)
        .executeTakeFirst()) !== undefined;

    it('records an occurrence moved beyond the window once the window reaches it, then writes nothing more', async () => {
      const { first, meeting, masterId } = await linkedDailySeries(env, user, 'Daily', {
        type: 'numbered',
        numberOfOccurrences: 30,
      });
      await env.settled();
      // Day 20's occurrence, 20 days away (beyond the 10-day window), moved 5 hours later.
      const day20 = new Date(first.getTime() + 20 * DAY);
      const movedTo = new Date(day20.getTime() + 5 * HOUR);
      env.emulator.updateOccurrence(user.oid, masterId, day20, {
        start: utc(movedTo),
        end: utc(new Date(movedTo.getTime() + HOUR / 2)),
      });
      // Its notification is applied: the series master's new version, with no instance to read yet.
      await env.settled();
      expect(await env.sync.service.overrides(meeting.id)).toEqual([]);

      // Two weeks later both times are inside the window; the master is unchanged since.
      await reconcileAt(user, 14 * DAY);
      const overrides = await env.sync.service.overrides(meeting.id);
      expect(overrides.map((o) => [o.originalStart.getTime(), o.start.getTime(), o.cancelled])).toEqual([
        [day20.getTime(), movedTo.getTime(), false],
      ]);
      const slug = meeting.room.slug;
      expect(await env.sync.isRoomOpenAt(slug, new Date(movedTo.getTime() + 5 * MINUTE))).toBe(true);
      expect(await env.sync.isRoomOpenAt(slug, new Date(day20.getTime() + 5 * MINUTE))).toBe(false);
      expect(env.occurrencesChanged.filter((id) => id === meeting.id)).toHaveLength(1);

      // The next rounds find the same: no write (the rows' random keys stay), nothing told.
      const rows = await env.sync.syncStore.occurrences.list(meeting.id);
      await reconcileAt(user, 14 * DAY + HOUR);
      await reconcileAt(user, 15 * DAY + 2 * HOUR);
      expect(await env.sync.syncStore.occurrences.list(meeting.id)).toEqual(rows);
      expect(env.occurrencesChanged.filter((id) => id === meeting.id)).toHaveLength(1);
      ahead = 0;
    });

    it('keeps a series whose last occurrence moved later until 3 months after that occurrence', async () => {
      const u = await env.startedUser();
      const { first, meeting, masterId } = await linkedDailySeries(env, u, 'Retro', {
        type: 'numbered',
        numberOfOccurrences: 3,
      });
      await env.settled();
      const patternDay = await purgeAfter(meeting.id);
      // The last (third) occurrence moved 5 days later, inside the window.
      const third = new Date(first.getTime() + 2 * DAY);
      const movedTo = new Date(third.getTime() + 5 * DAY);
      const movedEnd = movedTo.getTime() + HOUR / 2;
      env.emulator.updateOccurrence(u.oid, masterId, third, {
        start: utc(movedTo),
        end: utc(new Date(movedEnd)),
      });
      await env.settled();
      const expected = day(addMonthsClamped(new Date(movedEnd), 3).getTime());
      expect(patternDay < expected).toBe(true);
      // Polled: the apply runs in a job, and an idle reading of the queue's counts is no barrier.
      await eventually(async () => (await purgeAfter(meeting.id)) === expected, 5000, 'the purge day');

      // A later change of the series (its subject) recomputes the meeting from the pattern: the moved
      // occurrence still counts.
      env.emulator.updateEvent(u.oid, masterId, { subject: 'Retro (renamed)' });
      await env.settled();
      await eventually(
        async () => (await env.meeting(u, meeting.id)).subject === 'Retro (renamed)',
        5000,
        'the new subject',
      );
      await env.settled();
      expect(await purgeAfter(meeting.id)).toBe(expected);

      // Retention keeps the meeting the day before, and deletes it on its day.
      const retention = createRetention(env.t.runtime, { logger: silent });
      await retention.job.run(new Date(Date.parse(`${expected}T12:00:00Z`) - DAY));
      expect(await exists(meeting.id)).toBe(true);
      await retention.job.run(new Date(`${expected}T12:00:00Z`));
      expect(await exists(meeting.id)).toBe(false);
    });

    it('keeps covering the moved last occurrence through the organizer’s own changes in the API', async () => {
      const u = await env.startedUser();
      const { first, meeting, masterId } = await linkedDailySeries(env, u, 'Planning', {
        type: 'numbered',
        numberOfOccurrences: 2,
      });
      await env.settled();
      const second = new Date(first.getTime() + DAY);
      const movedTo = new Date(second.getTime() + 5 * DAY);
      const movedEnd = movedTo.getTime() + HOUR / 2;
      env.emulator.updateOccurrence(u.oid, masterId, second, {
        start: utc(movedTo),
        end: utc(new Date(movedEnd)),
      });
      await env.settled();
      const expected = day(addMonthsClamped(new Date(movedEnd), 3).getTime());
      await eventually(async () => (await purgeAfter(meeting.id)) === expected, 5000, 'the purge day');

      const patch = async (payload: object) => {
        const res = await env.t.app.inject({
          method: 'PATCH',
          url: `/api/v1/meetings/${meeting.id}`,
          headers: sessionHeader(u.tenantId, u.userId),
          payload,
        });
        expect(res.statusCode, res.body).toBe(200);
      };
      // The task pane turns the lobby on: no time changed, the purge day stays.
      await patch({ options: { lobby: true } });
      expect(await purgeAfter(meeting.id)).toBe(expected);
      // The series an hour later: counted from the pattern again, and from the recorded moved
      // occurrence, whose room still opens (5 days after the pattern's last one).
      await patch({
        start: new Date(first.getTime() + HOUR).toISOString(),
        end: new Date(first.getTime() + 1.5 * HOUR).toISOString(),
      });
      expect(await purgeAfter(meeting.id)).toBe(expected);
    });

    it("a tenant's shorter retention counts from the moved last occurrence", async () => {
      const u = await env.startedUser();
      const { first, meeting, masterId } = await linkedDailySeries(env, u, 'Review', {
        type: 'numbered',
        numberOfOccurrences: 2,
      });
      await env.settled();
      const second = new Date(first.getTime() + DAY);
      const movedTo = new Date(second.getTime() + 6 * DAY);
      const movedEnd = movedTo.getTime() + HOUR / 2;
      env.emulator.updateOccurrence(u.oid, masterId, second, {
        start: utc(movedTo),
        end: utc(new Date(movedEnd)),
      });
      await env.settled();
      await eventually(
        async () => (await env.sync.service.overrides(meeting.id)).length === 1,
        5000,
        'the moved occurrence',
      );
      const tenant = await env.t.runtime.store.tenants.ensure(u.tenantId, new Date());
      await env.t.runtime.store.tenants.updateSettings(
        u.tenantId,
        { ...tenant.settings, retentionDays: 30 },
        new Date(),
      );
      const retention = createRetention(env.t.runtime, { logger: silent });
      const report = await retention.job.run(new Date());
      expect(report.purgeDaysShortened).toBeGreaterThanOrEqual(1);
      // 30 days after the moved occurrence, not after the pattern's last one (6 days earlier).
      expect(await purgeAfter(meeting.id)).toBe(day(movedEnd + 30 * DAY));
    });

    it('keeps what it recorded of an occurrence held before the window, which Graph no longer lists', async () => {
      const u = await env.addUser();
      const owner = { tenantId: u.tenantId, userId: u.userId };
      const { first, meeting, masterId } = await (async () => {
        // Linked by applying the master directly: sync's worker does not run for this user.
        const start = new Date(Math.ceil(Date.now() / HOUR) * HOUR + DAY);
        const recurrence = {
          pattern: { type: 'daily', interval: 1 },
          range: {
            type: 'numbered',
            startDate: day(start.getTime()),
            numberOfOccurrences: 3,
            recurrenceTimeZone: 'UTC',
          },
        };
        const m = await env.createMeeting(u, { start, end: new Date(start.getTime() + HOUR), recurrence });
        return { first: start, meeting: m, masterId: 'event-series' };
      })();
      const master = (changeKey: string): CalendarItem => ({
        id: masterId,
        type: 'seriesMaster',
        subject: meeting.subject,
        start: meeting.start,
        end: meeting.end,
        isCancelled: false,
        lastModified: new Date(Date.now() + Number(changeKey.slice(3)) * 1000).toISOString(),
        changeKey,
        seriesMasterId: null,
        originalStart: null,
        recurrence: meeting.recurrence,
        seriesTimeZone: 'UTC',
        cancelledOccurrenceDates: [],
        customMeetingId: meeting.id,
        body: null,
      });
      // The last occurrence, moved 10 days later.
      const third = new Date(first.getTime() + 2 * DAY);
      const movedTo = new Date(third.getTime() + 10 * DAY);
      const moved: CalendarItem = {
        ...master('ck-1'),
        id: 'event-occurrence',
        type: 'exception',
        start: movedTo,
        end: new Date(movedTo.getTime() + HOUR),
        seriesMasterId: masterId,
        originalStart: third,
        recurrence: null,
      };
      const since = (at: number) => new Date(at - DAY);
      expect(await env.sync.service.applyItem(owner, master('ck-1'), [moved], since(Date.now()))).toBe(
        'occurrences',
      );
      const expected = day(addMonthsClamped(new Date(movedTo.getTime() + HOUR), 3).getTime());
      expect(await purgeAfter(meeting.id)).toBe(expected);

      // Weeks later the series changed again; the window read starts after the moved occurrence.
      const later = movedTo.getTime() + 20 * DAY;
      await env.sync.service.applyItem(owner, master('ck-2'), [], since(later));
      expect((await env.sync.service.overrides(meeting.id)).map((o) => o.start.getTime())).toEqual([
        movedTo.getTime(),
      ]);
      expect(await purgeAfter(meeting.id)).toBe(expected);

      // Inside the window and not listed, it is no longer moved: its record goes (the purge day, set
      // for an occurrence that may have happened, does not move earlier).
      await env.sync.service.applyItem(owner, master('ck-3'), [], since(Date.now()));
      expect(await env.sync.service.overrides(meeting.id)).toEqual([]);
    });
  });
}
