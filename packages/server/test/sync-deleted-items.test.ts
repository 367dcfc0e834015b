/**
 * Meetings the organizer cancels or deletes in Outlook move to Deleted Items, where Graph still
 * returns them by their immutable id. Sync must still cancel their rooms, from the deletion
 * notification or from a delta round, and must not cancel the room of an event that only moved out
 * of the round's window. The Graph emulator keeps deleted items the same way.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncUserRecord } from '../src/domain/sync/ports.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { eventually, linkedDailySeries, type SyncEnv, type SyncUser, startSyncEnv } from './sync-harness.js';

const DAY = 86_400_000;
const utc = (d: Date) => ({ dateTime: d.toISOString().slice(0, 19), timeZone: 'UTC' });

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`calendar sync and Deleted Items (${label})`, () => {
    let env: SyncEnv;
    let user: SyncUser;

    beforeAll(async () => {
      env = await startSyncEnv(dialect);
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
      await eventually(() => env.sync.service.isLinked(user.userId, eventId), 3000, 'link');
      await env.emulator.flushNotifications();
      await env.sync.worker.reconcile(await state());
      return { meeting, eventId };
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
      await eventually(async () => (await status(meeting.id)) === 'cancelled', 3000, 'the series cancelled');
    });

    it('cancels an event an incremental round reports removed while it is still in the window', async () => {
      const { meeting, eventId } = await knownMeeting('Deleted while unheard');
      await unnotified(() => env.emulator.deleteEvent(user.oid, eventId));
      expect(await status(meeting.id)).toBe('scheduled');
      await env.sync.worker.reconcile(await state());
      expect(await status(meeting.id)).toBe('cancelled');
    });

    it('cancels a series whose occurrences an incremental round reports removed', async () => {
      const { meeting, masterId } = await linkedDailySeries(env, user, 'Weekly sync', {
        type: 'numbered',
        numberOfOccurrences: 5,
      });
      await env.emulator.flushNotifications();
      await env.sync.worker.reconcile(await state());
      await unnotified(() => env.emulator.deleteEvent(user.oid, masterId));
      expect(await status(meeting.id)).toBe('scheduled');
      await env.sync.worker.reconcile(await state());
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
        await env.sync.worker.reconcile(before);
        const after = await state();
        expect(Date.parse(after.deltaStartedAt ?? '')).toBeGreaterThan(
          Date.parse(before.deltaStartedAt ?? ''),
        );
      },
    );

    it('keeps, and moves, the room of an event that only left the window', async () => {
      const { meeting, eventId } = await knownMeeting('Moved far ahead');
      const later = new Date(Date.now() + 400 * DAY);
      await unnotified(() =>
        env.emulator.updateEvent(user.oid, eventId, {
          start: utc(later),
          end: utc(new Date(later.getTime() + 3_600_000)),
        }),
      );
      await env.sync.worker.reconcile(await state());
      const moved = await env.meeting(user, meeting.id);
      expect(moved.status).toBe('scheduled');
      expect(moved.start.getTime()).toBe(Math.floor(later.getTime() / 1000) * 1000);
    });
  });
}
