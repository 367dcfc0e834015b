/**
 * A series with no end keeps its room and metadata while calendar sync keeps seeing it: the Graph
 * emulator plays the organizer's Outlook, sync's clock runs years ahead, and its daily fresh delta
 * round (a reconciliation) re-reports the unchanged series.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Meeting } from '../src/domain/meetings/meeting.js';
import { addMonthsClamped } from '../src/domain/meetings/window.js';
import { meetingRoomDirectory } from '../src/rooms/directory.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import {
  eventually,
  linkedDailySeries,
  type SyncEnv,
  type SyncUser,
  sample,
  startSyncEnv,
} from './sync-harness.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`open-ended series under calendar sync (${label})`, () => {
    let env: SyncEnv;
    let user: SyncUser;
    /** How far ahead of the real time sync's clock runs; during a round it stands still at `pinned`. */
    let ahead = 0;
    let pinned: number | undefined;
    const syncNow = () => new Date(pinned ?? Date.now() + ahead);

    beforeAll(async () => {
      // No scheduled maintenance while the clock is moved: the test runs each round itself.
      env = await startSyncEnv(dialect, { now: syncNow, tuning: { maintenanceEveryMs: 3_600_000 } });
      user = await env.addUser();
      await env.sync.startSyncForUser(user.userId, user.tenantId);
      await eventually(
        async () => (await env.sync.syncStore.users.find(user.userId))?.subscriptionId,
        5000,
        'a subscription',
      );
    });
    afterAll(async () => env?.close());

    async function linkedSeries(subject: string, range: Record<string, unknown>) {
      const linked = await linkedDailySeries(env, user, subject, range);
      await env.emulator.flushNotifications();
      return linked;
    }

    async function row(id: string) {
      return env.t.runtime.store.db
        .selectFrom('meetings')
        .select(['purge_after', 'series_seen_on', 'version', 'status'])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
    }

    /** Sync's scheduled reconciliation at `ahead` from now: a fresh delta round (a day has passed). */
    async function reconcileAt(offset: number): Promise<number> {
      ahead = offset;
      // One instant for the whole round, so that the test knows which day sync saw (even at midnight).
      const at = Date.now() + offset;
      pinned = at;
      try {
        await env.reconcile(user);
      } finally {
        pinned = undefined;
      }
      return at;
    }

    const get = (m: Meeting) => env.meeting(user, m.id);
    const trailOf = async (m: Meeting) =>
      (await env.t.runtime.store.audit.list(user.tenantId, { limit: 1000 }))
        .filter((e) => e.targetId === m.id)
        .map((e) => e.action);
    const day = (at: number) => new Date(at).toISOString().slice(0, 10);

    it('moves the room window and purge day of a series it still sees; not a cancelled one, nor one with an end', async () => {
      const open = await linkedSeries('Stand-up', { type: 'noEnd' });
      const cancelled = await linkedSeries('Old stand-up', { type: 'noEnd' });
      const dated = await linkedSeries('Project sync', {
        type: 'endDate',
        endDate: day(Date.now() + 4 * 365 * DAY),
      });
      await env.t.runtime.meetings.cancel(
        { tenantId: user.tenantId, userId: user.userId, isTenantAdmin: false },
        cancelled.meeting.id,
      );
      const before = {
        open: {
          meeting: await get(open.meeting),
          row: await row(open.meeting.id),
          trail: await trailOf(open.meeting),
        },
        cancelled: await row(cancelled.meeting.id),
        dated: { meeting: await get(dated.meeting), row: await row(dated.meeting.id) },
      };
      // Without sync the horizon is 2 years after the first occurrence.
      const firstEnd = open.first.getTime() + HOUR / 2;
      const closeAfter = env.t.runtime.config.rooms.closeAfterMinutes * 60_000;
      const twoYearsAfter = (t: number) => {
        const d = new Date(t);
        d.setUTCFullYear(d.getUTCFullYear() + 2);
        return d.getTime();
      };
      expect(before.open.meeting.validUntil.getTime()).toBe(twoYearsAfter(firstEnd) + closeAfter);

      // Two years and two months on, the organizer's calendar still has the series, unchanged.
      const later = 2 * 365 * DAY + 60 * DAY;
      const unchanged = async () =>
        sample(await env.registry.metrics(), 'roomlink_sync_changes_total', { action: 'unchanged' });
      // Jobs from linking the series (notifications, the first reconciliation) must be done first,
      // or their applies would count too.
      await eventually(
        async () => (await env.sync.queue.counts()).every((c) => c.state === 'dead' || c.count === 0),
        10_000,
        'the sync queue to be idle',
      );
      const unchangedBefore = await unchanged();
      const seenAt = await reconcileAt(later);
      // The three series came back unchanged (the same changeKey).
      expect((await unchanged()) - unchangedBefore).toBe(3);
      const seenOn = day(seenAt);
      const after = await row(open.meeting.id);
      expect(after.series_seen_on).toBe(seenOn);
      const horizon = twoYearsAfter(Date.parse(`${seenOn}T00:00:00Z`) + DAY);
      // Clamped to the month's end, as retention counts months (2031-01-31 → 2031-04-30).
      expect(after.purge_after).toBe(day(addMonthsClamped(new Date(horizon), 3).getTime()));
      expect(after.purge_after > before.open.row.purge_after).toBe(true);
      // Not a change of the meeting: same version, no audit entry.
      expect(Number(after.version)).toBe(Number(before.open.row.version));
      expect(await trailOf(open.meeting)).toEqual(before.open.trail);

      // The room admits people at an occurrence past the first horizon.
      const meeting = await get(open.meeting);
      expect(meeting.validUntil.getTime()).toBe(horizon + closeAfter);
      const occurrence = new Date(open.first.getTime() + (2 * 365 + 40) * DAY + 5 * 60_000);
      expect(occurrence.getTime()).toBeGreaterThan(before.open.meeting.validUntil.getTime());
      expect(await env.sync.isRoomOpenAt(open.meeting.room.slug, occurrence)).toBe(true);
      const directory = meetingRoomDirectory(env.t.runtime.meetings, env.t.runtime.store.tenants);
      expect((await directory.findBySlug(open.meeting.room.slug))?.endsAt.getTime()).toBe(horizon);

      // Cancelled in Roomlink: left as it was, still cancelled.
      expect(await row(cancelled.meeting.id)).toEqual(before.cancelled);
      expect(before.cancelled.status).toBe('cancelled');
      // A series with an end date keeps the horizon its pattern gives.
      expect(await row(dated.meeting.id)).toEqual(before.dated.row);
      expect((await get(dated.meeting)).validUntil).toEqual(before.dated.meeting.validUntil);

      // Daily rounds write again only once the recorded day is a week old.
      await reconcileAt(later + 3 * DAY);
      expect((await row(open.meeting.id)).series_seen_on).toBe(seenOn);
      const weekOn = await reconcileAt(later + 8 * DAY);
      expect((await row(open.meeting.id)).series_seen_on).toBe(day(weekOn));
    });
  });
}
