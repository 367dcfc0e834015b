/**
 * Invitations never move or cancel the mailbox owner's meetings. An attendee who pastes the owner's
 * join block (or copies the add-in's custom property) into an event of their own and invites the owner
 * puts that event in the owner's calendar (Exchange adds invitations by itself), with isOrganizer
 * false. Sync ignores it whatever meeting it names, even one not linked yet, and records nothing;
 * the owner's own appointment still links and is followed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customPropertiesId } from '../../emulators/src/graph/index.js';
import type { Meeting } from '../src/domain/meetings/meeting.js';
import { toCalendarItem } from '../src/graph/events.js';
import { wrapHtmlBlock } from '../src/instructions/marker.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import {
  ADDIN_ID,
  eventually,
  immutableId,
  type SyncEnv,
  type SyncUser,
  startSyncEnv,
} from './sync-harness.js';

const HOUR = 3_600_000;
const utc = (d: Date) => ({ dateTime: d.toISOString().slice(0, 19), timeZone: 'UTC' });
const MALLORY = { emailAddress: { name: 'Mallory', address: 'mallory@fabrikam.test' } };

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`calendar sync ignores invitations (${label})`, () => {
    let env: SyncEnv;
    let user: SyncUser;

    beforeAll(async () => {
      env = await startSyncEnv(dialect, { tuning: { maintenanceEveryMs: 60_000 } });
      user = await env.startedUser();
    });
    afterAll(async () => env?.close());

    /** The attendee's event as it lands in the owner's calendar: the owner's join block, their property. */
    const invitation = (meeting: Meeting, start: Date, withProperty: boolean): string => {
      const block = wrapHtmlBlock(meeting.id, `<p><a href="${meeting.room.joinUrl}">Join the room</a></p>`);
      const event = env.emulator.receiveInvitation(user.oid, MALLORY, {
        subject: 'Quick sync',
        start: utc(start),
        end: utc(new Date(start.getTime() + HOUR)),
        body: { contentType: 'html', content: `<p>Join here</p>${block}` },
        ...(withProperty
          ? {
              singleValueExtendedProperties: [
                {
                  id: customPropertiesId(ADDIN_ID),
                  value: JSON.stringify({ roomlinkMeetingId: meeting.id }),
                },
              ],
            }
          : {}),
      });
      return immutableId(event.id);
    };
    const unchanged = async (meeting: Meeting) => {
      const now = await env.meeting(user, meeting.id);
      expect({ subject: now.subject, start: now.start, end: now.end, status: now.status }).toEqual({
        subject: meeting.subject,
        start: meeting.start,
        end: meeting.end,
        status: meeting.status,
      });
      expect(await env.sync.syncStore.links.findByMeeting(meeting.id)).toBeUndefined();
    };

    it('an invitation naming an unlinked meeting, moved then cancelled, changes nothing and links nothing', async () => {
      const meeting = await env.createMeeting(user, { subject: 'Board review' });
      const byBlock = invitation(meeting, new Date(meeting.start.getTime() + 5 * HOUR), false);
      const byProperty = invitation(meeting, new Date(meeting.start.getTime() + 7 * HOUR), true);
      await env.settled();
      await env.reconcile(user, true);
      await unchanged(meeting);
      expect(await env.sync.service.isLinked(user.userId, byBlock)).toBe(false);
      expect(await env.sync.service.isLinked(user.userId, byProperty)).toBe(false);

      // The attendee moves both, through notifications and an incremental round.
      for (const [i, id] of [byBlock, byProperty].entries()) {
        const start = new Date(meeting.start.getTime() + (24 + i) * HOUR);
        env.emulator.updateEvent(user.oid, id, {
          subject: 'Moved by the attendee',
          start: utc(start),
          end: utc(new Date(start.getTime() + 2 * HOUR)),
        });
      }
      await env.settled();
      await env.reconcile(user);
      await unchanged(meeting);

      // Then cancels one and deletes the other.
      env.emulator.cancelInvitation(user.oid, byBlock);
      env.emulator.deleteEvent(user.oid, byProperty);
      await env.settled();
      await env.reconcile(user);
      await env.reconcile(user, true);
      await unchanged(meeting);
    });

    it("the owner's own appointment still links and is followed, whatever invitations name the meeting", async () => {
      const meeting = await env.createMeeting(user, { subject: 'Roadmap' });
      const bait = invitation(meeting, new Date(meeting.start.getTime() + 3 * HOUR), true);
      await env.settled();
      const own = env.createEvent(user, meeting);
      await eventually(() => env.sync.service.isLinked(user.userId, own), 10_000, 'the appointment linked');

      const newStart = new Date(meeting.start.getTime() + 2 * HOUR);
      env.emulator.updateEvent(user.oid, own, {
        subject: 'Roadmap (moved)',
        start: utc(newStart),
        end: utc(new Date(newStart.getTime() + HOUR)),
      });
      await eventually(
        async () => (await env.meeting(user, meeting.id)).subject === 'Roadmap (moved)',
        10_000,
        'the meeting to follow the appointment',
      );
      env.emulator.cancelInvitation(user.oid, bait);
      await env.settled();
      await env.reconcile(user, true);
      const now = await env.meeting(user, meeting.id);
      expect(now.status).toBe(meeting.status);
      expect(now.start).toEqual(newStart);
      expect(await env.sync.service.isLinked(user.userId, bait)).toBe(false);
      expect(await env.sync.service.isLinked(user.userId, own)).toBe(true);
    });

    it('lets go of a link an invitation holds from before invitations were told apart', async () => {
      const meeting = await env.createMeeting(user, { subject: 'Legacy link' });
      const id = invitation(meeting, new Date(meeting.start.getTime() + 3 * HOUR), true);
      await env.settled();
      const raw = env.emulator.getEvent(user.oid, id);
      const owner = { userId: user.userId, tenantId: user.tenantId };
      // As sync applied it before it read isOrganizer.
      const before = toCalendarItem({ ...raw, id, isOrganizer: true }, ADDIN_ID);
      const now = toCalendarItem({ ...raw, id }, ADDIN_ID);
      expect(before && now).toBeTruthy();
      expect(now?.isOrganizer).toBe(false);
      // Graph returns isOrganizer whenever it is selected: an event that does not say is not the owner's.
      expect(toCalendarItem({ ...raw, id, isOrganizer: undefined }, ADDIN_ID)?.isOrganizer).toBe(false);
      expect(
        toCalendarItem(
          env.emulator.createEvent(user.oid, { subject: 'Own', start: raw?.start, end: raw?.end }),
          ADDIN_ID,
        )?.isOrganizer,
      ).toBe(true);
      await env.asJob(user, async () => {
        if (before) await env.sync.service.applyItem(owner, before);
      });
      expect(await env.sync.service.isLinked(user.userId, id)).toBe(true);
      await env.asJob(user, async () => {
        if (now) expect(await env.sync.service.applyItem(owner, now)).toBe('ignored');
      });
      expect(await env.sync.service.isLinked(user.userId, id)).toBe(false);
      // Its cancel and delete no longer reach the meeting.
      env.emulator.cancelInvitation(user.oid, id);
      env.emulator.deleteEvent(user.oid, id);
      await env.settled();
      await env.reconcile(user, true);
      expect((await env.meeting(user, meeting.id)).status).toBe(meeting.status);
    });
  });
}
