/**
 * Calendar sync follows any series Graph holds, beyond Outlook's limits (recurrence-rules.ts,
 * graphLimits), and the room window and purge day date it; the meetings API keeps Outlook's limits
 * (outlookLimits, 422). An event whose own data no meeting can hold is refused for that event alone:
 * logged by code, counted, not retried to a dead letter, while the rest of the mailbox applies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PatternedRecurrence } from '../../emulators/src/graph/index.js';
import { addMonthsClamped } from '../src/domain/meetings/window.js';
import type { GraphClient } from '../src/graph/graph-client.js';
import { JOB } from '../src/graph/sync-worker.js';
import type { JobQueue, JobSpec } from '../src/jobs/queue.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { sessionHeader } from './support/harness.js';
import { syncWorkerOn } from './support/sync-worker.js';
import {
  ADDIN_ID,
  eventually,
  linkedDailySeries,
  type SyncEnv,
  type SyncUser,
  sample,
  startSyncEnv,
} from './sync-harness.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const DAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;
/** Graph's dayOfWeek of a UTC instant. */
const weekday = (d: Date) => DAYS[d.getUTCDay()] as (typeof DAYS)[number];
const utc = (d: Date) => ({ dateTime: d.toISOString().slice(0, 19), timeZone: 'UTC' });
const dayOf = (t: number) => new Date(t).toISOString().slice(0, 10);

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);

  describe.skipIf(skip)(`calendar sync follows series beyond Outlook’s limits (${label})`, () => {
    let env: SyncEnv;
    let user: SyncUser;

    beforeAll(async () => {
      env = await startSyncEnv(dialect, { tuning: { maintenanceEveryMs: 3_600_000 } });
      user = await env.addUser();
      await env.sync.startSyncForUser(user.userId, user.tenantId);
      await eventually(
        async () => (await env.sync.syncStore.users.find(user.userId))?.subscriptionId,
        5000,
        'a subscription',
      );
    });
    afterAll(async () => env?.close());

    const api = (method: 'POST' | 'PATCH', url: string, payload: Record<string, unknown>) =>
      env.t.app.inject({ method, url, headers: sessionHeader(user.tenantId, user.userId), payload });

    const purgeAfter = async (meetingId: string) =>
      (
        await env.t.runtime.store.db
          .selectFrom('meetings')
          .select('purge_after')
          .where('id', '=', meetingId)
          .executeTakeFirstOrThrow()
      ).purge_after;

    /**
     * A series the add-in made (daily, 5 times, within Outlook's limits) that another client changes
     * in the organizer's calendar to `recurrence`; resolves once sync has stored it.
     */
    async function changedInCalendar(subject: string, recurrence: (first: Date) => PatternedRecurrence) {
      const linked = await linkedDailySeries(env, user, subject, {
        type: 'numbered',
        numberOfOccurrences: 5,
      });
      const before = await env.meeting(user, linked.meeting.id);
      const wanted = recurrence(linked.first);
      env.emulator.updateEvent(user.oid, linked.masterId, { recurrence: wanted });
      const after = await eventually(
        async () => {
          const m = await env.meeting(user, linked.meeting.id);
          const r = m.recurrence as unknown as PatternedRecurrence;
          // Graph gives back every property, 0 for a count a range type does not use.
          return (
            r.pattern.interval === wanted.pattern.interval &&
            r.range.type === wanted.range.type &&
            (r.range.numberOfOccurrences ?? 0) === (wanted.range.numberOfOccurrences ?? 0) &&
            m
          );
        },
        10_000,
        'the meeting to follow the series Graph holds',
      );
      return { ...linked, before, after };
    }

    /** The room stays open through the last occurrence, and closes soon after: the purge day follows. */
    async function expectFollowed(
      s: Awaited<ReturnType<typeof changedInCalendar>>,
      lastOccurrenceStart: number,
    ): Promise<void> {
      const closeAfter = env.t.runtime.config.rooms.closeAfterMinutes * MINUTE;
      const lastOccurrenceEnd = lastOccurrenceStart + 30 * MINUTE;
      const until = s.after.validUntil.getTime();
      // Never before the last occurrence ends; at most a change of UTC offset's margin (3 h) later.
      expect(until).toBeGreaterThanOrEqual(lastOccurrenceEnd + closeAfter);
      expect(until).toBeLessThanOrEqual(lastOccurrenceEnd + 3 * HOUR + closeAfter);
      expect(until).toBeGreaterThan(s.before.validUntil.getTime());
      // Purge day: 3 months (no tenant retention set) after the series ends, not 3 months after the
      // fifth day of the daily series it was.
      const purge = await purgeAfter(s.meeting.id);
      expect(purge).toBe(dayOf(addMonthsClamped(new Date(until - closeAfter), 3).getTime()));
      expect(purge > dayOf(lastOccurrenceEnd)).toBe(true);
      const slug = s.meeting.room.slug;
      expect(await env.sync.isRoomOpenAt(slug, new Date(lastOccurrenceStart + 5 * MINUTE))).toBe(true);
      expect(await env.sync.isRoomOpenAt(slug, new Date(lastOccurrenceStart + DAY))).toBe(false);
    }

    it('follows a weekly series every 100 weeks: room window and purge day run to its last occurrence', async () => {
      const s = await changedInCalendar('Centennial review', (first) => ({
        pattern: {
          type: 'weekly',
          interval: 100,
          daysOfWeek: [weekday(first)],
          firstDayOfWeek: 'sunday',
        },
        range: {
          type: 'numbered',
          startDate: dayOf(first.getTime()),
          numberOfOccurrences: 3,
          recurrenceTimeZone: 'UTC',
        },
      }));
      // The third occurrence: 200 weeks after the first.
      await expectFollowed(s, s.first.getTime() + 1400 * DAY);
      expect(await env.sync.service.isLinked(user.userId, s.masterId)).toBe(true);
    });

    it('follows a daily series of 1,500 occurrences: room window and purge day run to the 1,500th', async () => {
      const s = await changedInCalendar('Daily check-in', (first) => ({
        pattern: { type: 'daily', interval: 1 },
        range: {
          type: 'numbered',
          startDate: dayOf(first.getTime()),
          numberOfOccurrences: 1500,
          recurrenceTimeZone: 'UTC',
        },
      }));
      await expectFollowed(s, s.first.getTime() + 1499 * DAY);
    });

    it('the meetings API still refuses interval 100 and 1,500 occurrences with 422 invalid_recurrence', async () => {
      const s = await changedInCalendar('Biennial planning', (first) => ({
        pattern: { type: 'weekly', interval: 100, daysOfWeek: [weekday(first)] },
        range: { type: 'noEnd', startDate: dayOf(first.getTime()), recurrenceTimeZone: 'UTC' },
      }));
      const startDate = dayOf(s.first.getTime());
      const weekly100 = {
        pattern: { type: 'weekly', interval: 100, daysOfWeek: [weekday(s.first)] },
        range: { type: 'noEnd', startDate },
      };
      const patched = await api('PATCH', `/api/v1/meetings/${s.meeting.id}`, { recurrence: weekly100 });
      expect(patched.statusCode).toBe(422);
      expect(patched.json()).toMatchObject({
        code: 'invalid_recurrence',
        detail: 'pattern.interval must be a whole number from 1 to 99 for a weekly pattern',
      });
      const created = await api('POST', '/api/v1/meetings', {
        subject: 'Too many',
        start: s.first.toISOString(),
        end: new Date(s.first.getTime() + HOUR).toISOString(),
        recurrence: {
          pattern: { type: 'daily', interval: 1 },
          range: { type: 'numbered', startDate, numberOfOccurrences: 1500 },
        },
      });
      expect(created.statusCode).toBe(422);
      expect(created.json()).toMatchObject({
        code: 'invalid_recurrence',
        detail: 'range.numberOfOccurrences must be a whole number from 1 to 999',
      });
      // The meeting is as sync stored it; a change the organizer makes without a recurrence is taken.
      expect((await env.meeting(user, s.meeting.id)).recurrence).toEqual(s.after.recurrence);
      const renamed = await api('PATCH', `/api/v1/meetings/${s.meeting.id}`, {
        subject: 'Biennial planning!',
      });
      expect(renamed.statusCode).toBe(200);
    });

    it('refuses an event no meeting can be (40 days long) once, counted, with no retry or dead letter', async () => {
      const metrics = async () => {
        const text = await env.registry.metrics();
        return {
          refused: sample(text, 'roomlink_sync_changes_total', { action: 'refused' }),
          retried: sample(text, 'roomlink_jobs_processed_total', { kind: JOB.change, outcome: 'retried' }),
          dead: sample(text, 'roomlink_jobs_processed_total', { kind: JOB.change, outcome: 'dead' }),
        };
      };
      const idle = () =>
        eventually(
          async () => (await env.sync.queue.counts()).every((c) => c.state === 'dead' || c.count === 0),
          10_000,
          'the sync queue to be idle',
        );
      await idle();
      const before = await metrics();
      const meeting = await env.createMeeting(user, { subject: 'Offsite' });
      const eventId = env.createEvent(user, meeting, {
        end: utc(new Date(meeting.start.getTime() + 40 * DAY)),
      });
      await eventually(
        async () => (await metrics()).refused > before.refused,
        5000,
        'the refusal to be counted',
      );
      await idle();
      const after = await metrics();
      expect(after.retried).toBe(before.retried);
      expect(after.dead).toBe(before.dead);
      const kept = await env.meeting(user, meeting.id);
      expect(kept.end).toEqual(meeting.end);
      expect(await env.sync.service.isLinked(user.userId, eventId)).toBe(false);
    });
  });

  describe.skipIf(skip)(`calendar sync given a recurrence that is not Graph’s (${label})`, () => {
    let env: SyncEnv;
    let user: SyncUser;

    beforeAll(async () => {
      // No queue, no subscription: the test runs the worker's jobs itself.
      env = await startSyncEnv(dialect, { start: false });
      user = await env.addUser();
      await env.sync.syncStore.users.activate(user.userId, user.tenantId, new Date());
    });
    afterAll(async () => env?.close());

    /** The real Graph client (to the emulator), except that one event's recurrence comes back broken. */
    function brokenRecurrenceOf(eventId: string): GraphClient {
      const real = env.sync.graph;
      const tamper = <T extends { body: unknown }>(response: T): T => {
        const body = response.body as { id?: unknown; recurrence?: { pattern?: Record<string, unknown> } };
        if (body?.id === eventId && body.recurrence?.pattern) body.recurrence.pattern.interval = 0;
        return response;
      };
      return {
        request: async (...args: Parameters<GraphClient['request']>) => tamper(await real.request(...args)),
        batch: async (...args: Parameters<GraphClient['batch']>) => {
          const results = await real.batch(...args);
          for (const r of results.values()) tamper(r);
          return results;
        },
        pages: (...args: Parameters<GraphClient['pages']>) => real.pages(...args),
      } as unknown as GraphClient;
    }

    it('refuses that event alone: logged by code only, counted, not retried; the rest of the mailbox applies', async () => {
      const hour = Math.ceil(Date.now() / HOUR) * HOUR + DAY;
      const recurrence = {
        pattern: { type: 'daily', interval: 1 },
        range: {
          type: 'numbered',
          startDate: dayOf(hour),
          numberOfOccurrences: 5,
          recurrenceTimeZone: 'UTC',
        },
      };
      const series = await env.createMeeting(user, {
        subject: 'Quarterly review',
        start: new Date(hour),
        end: new Date(hour + HOUR),
        recurrence,
      });
      const seriesEvent = env.createEvent(user, series, { recurrence });
      const single = await env.createMeeting(user, { subject: 'Budget' });
      const singleEvent = env.createEvent(user, single, { subject: 'Budget (renamed in Outlook)' });

      const logs: unknown[] = [];
      const refused: string[] = [];
      const enqueued: JobSpec[] = [];
      const queue: JobQueue = {
        backend: 'sql',
        enqueue: async (jobs) => {
          enqueued.push(...jobs);
        },
        start: async () => undefined,
        stop: async () => undefined,
        counts: async () => [],
      };
      const handlers = syncWorkerOn(env, {
        graph: brokenRecurrenceOf(seriesEvent),
        queue,
        settings: { addinId: ADDIN_ID },
        log: { warn: (obj, msg) => logs.push([obj, msg]), info: (obj, msg) => logs.push([obj, msg]) },
        onRefused: (code) => refused.push(code),
      }).handlers();

      // A fresh reconciliation lists both events: the one with the broken recurrence is refused, the
      // other one's change applies, and the round completes (its delta link is stored).
      await expect(
        handlers[JOB.reconcile]?.({ userId: user.userId }, { id: 'reconcile', attempt: 1 }),
      ).resolves.toBeUndefined();
      expect(refused).toEqual(['invalid_recurrence']);
      expect((await env.meeting(user, single.id)).subject).toBe('Budget (renamed in Outlook)');
      expect(await env.sync.service.isLinked(user.userId, singleEvent)).toBe(true);
      const kept = await env.meeting(user, series.id);
      expect(kept.recurrence).toEqual(series.recurrence);
      expect(kept.version).toBe(series.version);
      expect(await env.sync.service.isLinked(user.userId, seriesEvent)).toBe(false);
      // Not retried alone either: nothing was put back in the queue.
      expect(enqueued).toEqual([]);
      const state = await env.sync.syncStore.users.find(user.userId);
      expect(state?.deltaLinkCt).toBeTruthy();
      expect(state?.lastReconciledAt).toBeTruthy();

      // Its change notification: the job completes (no retry, no dead letter), refused again.
      await expect(
        handlers[JOB.change]?.({ userId: user.userId, eventId: seriesEvent }, { id: 'change', attempt: 1 }),
      ).resolves.toBeUndefined();
      expect(refused).toEqual(['invalid_recurrence', 'invalid_recurrence']);

      // Logged by code and event type only: no ids, titles or addresses of anyone.
      expect(logs).toEqual([
        [{ code: 'invalid_recurrence', eventType: 'seriesMaster' }, expect.stringContaining('not retried')],
        [{ code: 'invalid_recurrence', eventType: 'seriesMaster' }, expect.stringContaining('not retried')],
      ]);
      const logged = JSON.stringify(logs);
      for (const secret of [seriesEvent, series.id, 'Quarterly', user.userId, user.tenantId, user.oid]) {
        expect(logged).not.toContain(secret);
      }
    });
  });
}
