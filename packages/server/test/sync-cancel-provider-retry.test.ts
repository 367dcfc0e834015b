/**
 * The organizer cancels in Outlook: the event leaves their calendar and sync cancels the meeting,
 * committing it before the provider is asked to end the room. When that ask fails, the link to the
 * event stays, and sync's next round (the event still gone) must ask again: the meeting already reads
 * cancelled, but its room may still be open (an external engine that was unreachable for a moment).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { eventually, type SyncEnv, type SyncUser, startSyncEnv } from './sync-harness.js';

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`calendar sync retries a failed room cancellation (${label})`, () => {
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

    it('asks the provider again on the next round when ending the room failed after the commit', async () => {
      const meeting = await env.createMeeting(user, { subject: 'Supplier call' });
      const eventId = env.createEvent(user, meeting);
      await eventually(() => env.sync.service.isLinked(user.userId, eventId), 10_000, 'link');

      const outcomes: string[] = [];
      const real = env.t.runtime.builtin.cancelRoom.bind(env.t.runtime.builtin);
      const cancelRoom = vi
        .spyOn(env.t.runtime.builtin, 'cancelRoom')
        .mockImplementationOnce(async () => {
          outcomes.push('failed');
          throw new Error('the provider is unreachable');
        })
        .mockImplementation(async (...args) => {
          await real(...args);
          outcomes.push('ended');
        });
      try {
        env.emulator.cancelEvent(user.oid, eventId);
        await eventually(() => outcomes.includes('failed'), 10_000, 'the first, failing, cancellation');
        expect((await env.meeting(user, meeting.id)).status).toBe('cancelled');

        // The event is still in the calendar, cancelled: the next round sees it again.
        await env.reconcile(user);
        await eventually(() => outcomes.includes('ended'), 10_000, 'the room to be ended');
        expect(cancelRoom.mock.calls.every(([room]) => room.slug === meeting.room.slug)).toBe(true);
        const audit = await env.t.runtime.store.audit.list(user.tenantId, { limit: 100 });
        const cancelled = audit.filter((e) => e.action === 'meeting.cancelled' && e.targetId === meeting.id);
        expect(cancelled).toHaveLength(1);
      } finally {
        cancelRoom.mockRestore();
      }
    });
  });
}
