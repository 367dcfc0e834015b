/**
 * Calendar sync end to end: the Graph emulator plays the organizer's Outlook and calls the real
 * webhooks; the worker fetches, applies and reconciles through real HTTP and a real database.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JOB } from '../src/graph/sync-worker.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { eventually, linkedDailySeries, type SyncEnv, type SyncUser, startSyncEnv } from './sync-harness.js';

const HOUR = 3_600_000;
const utc = (d: Date) => ({ dateTime: d.toISOString().slice(0, 19), timeZone: 'UTC' });

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`calendar sync end to end (${label})`, () => {
    let env: SyncEnv;
    let user: SyncUser;
    let subscriptionId: string;

    beforeAll(async () => {
      env = await startSyncEnv(dialect, { tuning: { maintenanceEveryMs: 60_000 } });
      user = await env.addUser();
      await env.sync.startSyncForUser(user.userId, user.tenantId);
      subscriptionId = await eventually(
        () =>
          env.emulator.subscriptions().find((s) => s.notificationUrl.endsWith('/api/graph/notifications'))
            ?.id,
        5000,
        'a subscription',
      );
      await eventually(
        async () => (await env.sync.syncStore.users.find(user.userId))?.subscriptionId === subscriptionId,
        5000,
        'the subscription to be stored',
      );
    });
    afterAll(async () => env?.close());

    it('subscribes to me/events with a random clientState, lifecycle URL and an Outlook-sized lifetime', async () => {
      const sub = env.emulator.subscriptions().find((s) => s.id === subscriptionId);
      expect(sub?.resource).toBe('me/events');
      expect(sub?.changeType).toBe('created,updated,deleted');
      expect(sub?.lifecycleNotificationUrl).toBe(`${env.t.url}/api/graph/lifecycle`);
      expect(sub?.clientState).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const minutes = (new Date(sub?.expirationDateTime ?? 0).getTime() - Date.now()) / 60_000;
      expect(minutes).toBeGreaterThan(9_900);
      expect(minutes).toBeLessThanOrEqual(10_070);
      const stored = await env.sync.syncStore.users.find(user.userId);
      expect(stored?.clientStateHash).not.toContain(sub?.clientState);
      // Sign-in and the start-up maintenance both asked for a subscription: only one exists.
      expect(env.emulator.subscriptions().filter((s) => s.creatorId === sub?.creatorId)).toHaveLength(1);
    });

    it('follows a new title and time within 2 s, then cancels the room when the organizer cancels', async () => {
      const meeting = await env.createMeeting(user, { subject: 'Budget review' });
      const eventId = env.createEvent(user, meeting);
      const newStart = new Date(meeting.start.getTime() + 2 * HOUR);
      const changedAt = Date.now();
      env.emulator.updateEvent(user.oid, eventId, {
        subject: 'Budget review (moved)',
        start: utc(newStart),
        end: utc(new Date(newStart.getTime() + HOUR)),
      });
      const updated = await eventually(
        async () => {
          const m = await env.meeting(user, meeting.id);
          return m.subject === 'Budget review (moved)' && m.start.getTime() === newStart.getTime() && m;
        },
        10_000,
        'the meeting to follow the calendar',
      );
      expect(Date.now() - changedAt).toBeLessThan(2000);
      expect(updated.end.getTime()).toBe(newStart.getTime() + HOUR);

      env.emulator.cancelEvent(user.oid, eventId);
      await eventually(
        async () => (await env.meeting(user, meeting.id)).status === 'cancelled',
        10_000,
        'cancel',
      );
      expect(await env.sync.isRoomOpenAt(meeting.room.slug, newStart)).toBe(false);
    });

    /** A daily series of five half-hour occurrences from tomorrow, linked by sync. */
    const linkedFiveDays = (subject: string) =>
      linkedDailySeries(env, user, subject, { type: 'numbered', numberOfOccurrences: 5 });

    it('moves only the window of the occurrence that moved', async () => {
      const { first, meeting, masterId } = await linkedFiveDays('Stand-up');
      const third = new Date(first.getTime() + 2 * 24 * HOUR);
      const movedTo = new Date(third.getTime() + 5 * HOUR);
      env.emulator.updateOccurrence(user.oid, masterId, third, {
        start: utc(movedTo),
        end: utc(new Date(movedTo.getTime() + HOUR / 2)),
      });
      const slug = meeting.room.slug;
      const oldSlot = new Date(third.getTime() + 5 * 60_000);
      await eventually(
        async () => (await env.sync.isRoomOpenAt(slug, oldSlot)) === false,
        10_000,
        'old window closed',
      );
      // Saved, and said: the live room, if any, is checked again at once (not at its closing time).
      await eventually(() => env.occurrencesChanged.includes(meeting.id), 10_000, 'the change to be told');
      expect(await env.sync.isRoomOpenAt(slug, movedTo)).toBe(true);
      expect(await env.sync.isRoomOpenAt(slug, new Date(movedTo.getTime() + 20 * 60_000))).toBe(true);
      const fourth = new Date(first.getTime() + 3 * 24 * HOUR + 5 * 60_000);
      expect(await env.sync.isRoomOpenAt(slug, fourth)).toBe(true);
      const after = await env.meeting(user, meeting.id);
      expect(after.start.getTime()).toBe(first.getTime());
      expect(after.status).toBe('scheduled');
    });

    it('keys occurrence rows at random, and writes again rows keyed by a hash of their start', async () => {
      const { first, meeting, masterId } = await linkedFiveDays('Planning poker');
      const second = new Date(first.getTime() + 24 * HOUR);
      const movedTo = new Date(second.getTime() + 3 * HOUR);
      env.emulator.updateOccurrence(user.oid, masterId, second, {
        start: utc(movedTo),
        end: utc(new Date(movedTo.getTime() + HOUR / 2)),
      });
      const stored = () => env.sync.syncStore.occurrences.list(meeting.id);
      const [row] = await eventually(
        async () => {
          const rows = await stored();
          return rows.length === 1 && rows;
        },
        10_000,
        'the moved occurrence to be saved',
      );
      // The start an earlier version hashed into the key: not recoverable from the key any more.
      const hashed = (start: Date) =>
        createHash('sha256').update(`${meeting.id}\u001f${start.toISOString()}`).digest('hex');
      expect(row?.occurrenceKey).not.toBe(hashed(second));
      expect(row?.occurrenceKey).toMatch(/^[0-9a-f]{32}$/);

      // A row as an earlier version wrote it (same override, key derived from its start).
      const legacyKey = hashed(second);
      const windowCt = await env.t.runtime.cipher.encrypt(
        {
          tenantId: user.tenantId,
          table: 'sync_occurrences',
          column: 'window',
          rowId: `${meeting.id}/${legacyKey}`,
        },
        JSON.stringify(
          (await env.sync.service.overrides(meeting.id)).map((o) => ({
            originalStart: o.originalStart.toISOString(),
            originalEnd: o.originalEnd.toISOString(),
            start: o.start.toISOString(),
            end: o.end.toISOString(),
            cancelled: o.cancelled,
          }))[0],
        ),
      );
      await env.sync.syncStore.occurrences.replace(
        meeting.id,
        [{ meetingId: meeting.id, tenantId: user.tenantId, occurrenceKey: legacyKey, windowCt }],
        new Date(),
      );
      // The next change to the series (a new title) writes the same override again, at random.
      env.emulator.updateEvent(user.oid, masterId, { subject: 'Planning poker, v2' });
      const rewritten = await eventually(
        async () => {
          const rows = await stored();
          return rows.length === 1 && rows[0]?.occurrenceKey !== legacyKey && rows;
        },
        10_000,
        'the legacy row to be written again',
      );
      expect(rewritten[0]?.occurrenceKey).toMatch(/^[0-9a-f]{32}$/);
      expect((await env.sync.service.overrides(meeting.id)).map((o) => o.start.toISOString())).toEqual([
        movedTo.toISOString(),
      ]);
    });

    it('closes the room at an occurrence the organizer deleted, and only there', async () => {
      const { first, meeting, masterId } = await linkedFiveDays('Daily check-in');
      const slug = meeting.room.slug;
      const day = (n: number) => new Date(first.getTime() + n * 24 * HOUR);
      const during = (d: Date) => new Date(d.getTime() + 5 * 60_000);
      // The second occurrence moves (an exception); the third is deleted (a hole in /instances).
      const movedTo = new Date(day(1).getTime() + 5 * HOUR);
      env.emulator.updateOccurrence(user.oid, masterId, day(1), {
        start: utc(movedTo),
        end: utc(new Date(movedTo.getTime() + HOUR / 2)),
      });
      await eventually(
        async () => (await env.sync.isRoomOpenAt(slug, during(day(1)))) === false,
        10_000,
        'the moved occurrence to leave its slot',
      );
      const changedAt = Date.now();
      env.emulator.deleteOccurrence(user.oid, masterId, day(2));
      await eventually(
        async () => (await env.sync.isRoomOpenAt(slug, during(day(2)))) === false,
        10_000,
        'the deleted occurrence to close',
      );
      expect(Date.now() - changedAt).toBeLessThan(2000);
      expect(await env.sync.isRoomOpenAt(slug, during(day(0)))).toBe(true);
      expect(await env.sync.isRoomOpenAt(slug, during(day(3)))).toBe(true);
      expect(await env.sync.isRoomOpenAt(slug, during(day(4)))).toBe(true);
      expect(await env.sync.isRoomOpenAt(slug, during(movedTo))).toBe(true);
      expect(await env.sync.isRoomOpenAt(slug, during(day(1)))).toBe(false);
      const overrides = await env.sync.service.overrides(meeting.id);
      expect(
        overrides
          .map((o) => [o.originalStart.toISOString(), o.cancelled])
          .sort(([a], [b]) => String(a).localeCompare(String(b))),
      ).toEqual([
        [day(1).toISOString(), false],
        [day(2).toISOString(), true],
      ]);
      const after = await env.meeting(user, meeting.id);
      expect(after.status).toBe('scheduled');
      expect(after.start.getTime()).toBe(first.getTime());
    });

    it('lets duplicate and replayed notifications change nothing', async () => {
      const meeting = await env.createMeeting(user, { subject: 'Retro' });
      const eventId = env.createEvent(user, meeting);
      env.emulator.updateEvent(user.oid, eventId, { subject: 'Retro v2' });
      const v2 = await eventually(async () => {
        const m = await env.meeting(user, meeting.id);
        return m.subject === 'Retro v2' && m;
      });
      await env.emulator.flushNotifications();
      const sub = env.emulator.subscriptions().find((s) => s.id === subscriptionId);
      const notification = {
        subscriptionId,
        clientState: sub?.clientState,
        changeType: 'updated',
        resource: `Users/${user.oid}/Events/${eventId}`,
        resourceData: { id: eventId },
      };
      // Old notifications arrive again, twice, and out of order with a 'created'.
      for (const changeType of ['updated', 'created', 'updated']) {
        const response = await fetch(`${env.t.url}/api/graph/notifications`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            value: [
              { ...notification, changeType },
              { ...notification, changeType },
            ],
          }),
        });
        expect(response.status).toBe(202);
      }
      await eventually(async () => {
        const counts = await env.sync.queue.counts();
        return counts.every((c) => c.state !== 'ready' && c.state !== 'running') || undefined;
      });
      const after = await env.meeting(user, meeting.id);
      expect(after.subject).toBe('Retro v2');
      expect(after.version).toBe(v2.version);
    });

    it('sends no request before Retry-After elapses under a 429 storm', async () => {
      const meeting = await env.createMeeting(user, { subject: 'Throttled' });
      const eventId = env.createEvent(user, meeting);
      await eventually(() => env.sync.service.isLinked(user.userId, eventId), 10_000, 'link');
      env.emulator.clearRequests();
      env.emulator.faults.inject({ kind: 'throttle', retryAfterSeconds: 1, count: 3 });
      env.emulator.updateEvent(user.oid, eventId, { subject: 'Throttled, then applied' });
      await eventually(
        async () => (await env.meeting(user, meeting.id)).subject === 'Throttled, then applied',
        8000,
        'the change after throttling',
      );
      const log = env.emulator.requests();
      const throttled = log.filter((r) => r.status === 429);
      expect(throttled.length).toBe(3);
      for (const t of throttled) {
        const early = log.filter(
          (r) => r.time.getTime() > t.time.getTime() && r.time.getTime() < t.time.getTime() + 1000,
        );
        expect(early).toEqual([]);
      }
    });

    it('catches a dropped notification through a missed lifecycle event (delta)', async () => {
      const meeting = await env.createMeeting(user, { subject: 'Offsite' });
      const eventId = env.createEvent(user, meeting);
      await eventually(() => env.sync.service.isLinked(user.userId, eventId), 10_000, 'link');
      // Nothing of the mailbox left to run: a change job still queued would read the change below.
      await env.settled();
      env.emulator.dropNextNotifications(1);
      env.emulator.updateEvent(user.oid, eventId, { subject: 'Offsite (lost notification)' });
      await env.emulator.flushNotifications();
      expect((await env.meeting(user, meeting.id)).subject).toBe('Offsite');
      await env.emulator.sendLifecycle(subscriptionId, 'missed');
      await eventually(
        async () => (await env.meeting(user, meeting.id)).subject === 'Offsite (lost notification)',
        10_000,
        'delta to catch the change',
      );
      expect(env.emulator.requests().some((r) => r.path.toLowerCase().includes('/calendarview/delta'))).toBe(
        true,
      );
    });

    it('catches a change made while Graph paused delivery for reauthorization, once reauthorized', async () => {
      const meeting = await env.createMeeting(user, { subject: 'Board' });
      const eventId = env.createEvent(user, meeting);
      await eventually(() => env.sync.service.isLinked(user.userId, eventId), 10_000, 'link');
      // Nothing of the mailbox left to run: a change job still queued would read the change below.
      await env.settled();
      // Graph documents that notifications of the pause are lost: the emulator drops this one.
      env.emulator.dropNextNotifications(1);
      env.emulator.updateEvent(user.oid, eventId, { subject: 'Board (changed during the pause)' });
      await env.emulator.flushNotifications();
      expect((await env.meeting(user, meeting.id)).subject).toBe('Board');
      await env.emulator.sendLifecycle(subscriptionId, 'reauthorizationRequired');
      await eventually(
        async () => (await env.meeting(user, meeting.id)).subject === 'Board (changed during the pause)',
        10_000,
        'a reconciliation after the reauthorization',
      );
      expect(env.emulator.requests().some((r) => r.path.endsWith('/reauthorize'))).toBe(true);
    });

    /** A linked meeting whose deletion notification Graph lost. */
    async function droppedDeletion(remove: (eventId: string) => void) {
      const meeting = await env.createMeeting(user, { subject: 'Quarterly' });
      const eventId = env.createEvent(user, meeting);
      await eventually(() => env.sync.service.isLinked(user.userId, eventId), 10_000, 'link');
      // Nothing of the mailbox left to run: a change job still queued would read the change below.
      await env.settled();
      env.emulator.dropNextNotifications(1);
      remove(eventId);
      await env.emulator.flushNotifications();
      expect((await env.meeting(user, meeting.id)).status).toBe('scheduled');
      return meeting;
    }

    it('catches a dropped deletion of a purged event on the scheduled reconciliation', async () => {
      const meeting = await droppedDeletion((id) => env.emulator.permanentlyDeleteEvent(user.oid, id));
      await env.reconcile(user);
      expect((await env.meeting(user, meeting.id)).status).toBe('cancelled');
    });

    it('catches a dropped deletion of an event in Deleted Items on the next full reconciliation', async () => {
      // Graph still returns it by id; a full round does not list it although it is inside the window.
      const meeting = await droppedDeletion((id) => env.emulator.deleteEvent(user.oid, id));
      await env.reconcile(user, true);
      expect((await env.meeting(user, meeting.id)).status).toBe('cancelled');
    });

    /** The test token source's revoked users: Microsoft refuses their refresh tokens. */
    const revokedTokens = () =>
      (env.sync.graph as unknown as { options: { tokens: { revoked: Set<string> } } }).options.tokens.revoked;

    /** Microsoft stops accepting the user's sign-in; the next sync job marks them needs_sign_in. */
    async function signInRequired(who: { userId: string }): Promise<void> {
      revokedTokens().add(who.userId);
      await env.sync.queue.enqueue([
        { kind: 'graph_reconcile', payload: { userId: who.userId }, dedupeKey: who.userId },
      ]);
      await eventually(
        async () => (await env.sync.syncStore.users.find(who.userId))?.status === 'needs_sign_in',
      );
    }

    /** A new user whose sync has started, and the first subscription stored for them. */
    async function syncedUser(): Promise<{ who: SyncUser; first: string }> {
      const who = await env.addUser();
      await env.sync.startSyncForUser(who.userId, who.tenantId);
      const first = await eventually(
        async () => (await env.sync.syncStore.users.find(who.userId))?.subscriptionId ?? undefined,
        10_000,
        'a first subscription',
      );
      return { who, first };
    }

    /** The subscription stored for `who` once it is not `previous` and Graph has it. */
    function replacedSubscription(who: SyncUser, previous: string, what: string): Promise<string> {
      return eventually<string>(
        async () => {
          const stored = (await env.sync.syncStore.users.find(who.userId))?.subscriptionId;
          return (
            (stored &&
              stored !== previous &&
              env.emulator.subscriptions().some((s) => s.id === stored) &&
              stored) ||
            undefined
          );
        },
        10_000,
        what,
      );
    }

    it('recreates a removed subscription and stops cleanly when sign-in is required', async () => {
      await env.emulator.sendLifecycle(subscriptionId, 'subscriptionRemoved');
      subscriptionId = await replacedSubscription(user, subscriptionId, 'a new subscription');

      const { who: other } = await syncedUser();
      await signInRequired(other);
      const counts = await env.sync.queue.counts();
      expect(counts.filter((c) => c.state === 'dead')).toEqual([]);

      await env.sync.stopSyncForUser(other.userId);
      expect(await env.sync.syncStore.users.find(other.userId)).toBeUndefined();
    });

    it('recreates a removed subscription at once even while a renewal of it waits', async () => {
      const { who: waiting, first } = await syncedUser();
      // An ordinary subscribe job of this mailbox is due later (as a scheduled renewal would be).
      await env.sync.queue.enqueue([
        {
          kind: JOB.subscribe,
          payload: { userId: waiting.userId },
          dedupeKey: waiting.userId,
          delayMs: 600_000,
        },
      ]);
      await env.emulator.sendLifecycle(first, 'subscriptionRemoved');
      await replacedSubscription(waiting, first, 'a new subscription, without waiting for the renewal');
      await env.sync.stopSyncForUser(waiting.userId);
    });

    it('subscribes again at once when a user signs in again after Graph removed their subscription', async () => {
      const { who: returning, first } = await syncedUser();
      await signInRequired(returning);
      // Meanwhile Graph drops the subscription; its lifecycle notification finds no active user.
      await env.emulator.sendLifecycle(first, 'subscriptionRemoved');
      expect(env.emulator.subscriptions().some((s) => s.id === first)).toBe(false);

      // The user signs in again: sync starts anew, and must not wait days for a renewal to notice.
      revokedTokens().delete(returning.userId);
      await env.sync.startSyncForUser(returning.userId, returning.tenantId);
      await replacedSubscription(returning, first, 'a subscription Graph has');
      await env.sync.stopSyncForUser(returning.userId);
    });
  });
}
