/**
 * The built-in room service asks the core which room a join link names; this answers from the
 * meetings store (decrypting times and PINs in memory only).
 */
import type { RoomDirectory, RoomInfo } from '@roomlink/rooms';
import type { Meeting } from '../domain/meetings/meeting.js';
import type { MeetingService } from '../domain/meetings/service.js';
import { lastEnd } from '../domain/meetings/window.js';
import type { RoomOpenSchedule } from '../domain/sync/occurrences.js';
import { contractEnded, type TenantRepository } from '../domain/tenants/tenant.js';

/**
 * Calendar sync's view of a series: when its room is open, occurrence by occurrence, moved and
 * cancelled ones as the calendar says (CalendarSyncService.openSchedule, domain/sync/occurrences.ts).
 */
export interface OccurrenceWindows {
  openSchedule(meeting: Meeting): Promise<RoomOpenSchedule | undefined>;
}

/**
 * `now`: the clock that says whether the contract of the meeting's tenant has ended (default: the
 * real one).
 *
 * From the day the contract of a meeting's organisation ends (offboarded: contractEnded, the day its
 * add-in sign-ins are refused), its rooms answer as cancelled: the join page says the meeting was
 * cancelled and cannot be joined, no new session starts, and the room service's periodic check of
 * live rooms (every minute) ends those still under way, as it does for any meeting cancelled by
 * another process (on an external engine: the calls this process sent people to, see endEngineCall). The meeting itself is left as it is (its tenant's admins may still export or
 * delete it until retention deletes the tenant); readmitted, the tenant's rooms open again.
 */
export function meetingRoomDirectory(
  meetings: MeetingService,
  tenants: TenantRepository,
  occurrences?: OccurrenceWindows,
  options: { readonly now?: () => Date } = {},
): RoomDirectory {
  const now = options.now ?? (() => new Date());
  return {
    async findBySlug(slug: string): Promise<RoomInfo | null> {
      const meeting = await meetings.findBySlug(slug);
      if (!meeting) return null;
      const tenant = await tenants.find(meeting.tenantId);
      const ended = contractEnded(tenant?.contractEnd, now());
      const schedule = meeting.recurrence && !ended ? await occurrences?.openSchedule(meeting) : undefined;
      return {
        meetingId: meeting.id,
        tenantId: meeting.tenantId,
        status: ended ? 'cancelled' : meeting.status,
        startsAt: meeting.start,
        // A series' window ends with its last occurrence (an open-ended one: its horizon); within it,
        // the schedule opens the room around each occurrence only. Without calendar sync's view (a
        // room service composed without it, in tests), the whole window is open.
        endsAt: lastEnd(meeting, meeting.seriesSeenOn),
        hostPin: meeting.room.hostPin,
        guestPin: meeting.room.guestPin,
        lobby: meeting.options.lobby,
        language: meeting.options.language ?? tenant?.settings.defaultLanguage ?? 'en',
        checkHostTicket: (ticket: string) => meetings.hostLinks.read(meeting, ticket),
        ...(schedule ? roomPredicate(schedule) : {}),
        ...handOffOf(meetings, meeting),
      };
    },
    runningEngineCalls: () => meetings.runningEngineCalls(),
  };
}

/** An external engine's hand-off, and the end of its call, when the meeting's provider is one. */
function handOffOf(meetings: MeetingService, meeting: Meeting): Pick<RoomInfo, 'handOff' | 'endEngineCall'> {
  const handOff = meetings.handOffFor(meeting);
  const endEngineCall = meetings.endCallFor(meeting);
  return { ...(handOff ? { handOff } : {}), ...(endEngineCall ? { endEngineCall } : {}) };
}

/** A series' window as RoomInfo carries it (rooms' room-window.ts reads it). */
function roomPredicate(
  schedule: RoomOpenSchedule,
): Pick<RoomInfo, 'isOpenAt' | 'nextOpenChange' | 'openEdges'> {
  return {
    isOpenAt: (at: Date) => schedule.isOpenAt(at),
    ...(schedule.nextChange ? { nextOpenChange: schedule.nextChange } : {}),
    ...(schedule.edges ? { openEdges: schedule.edges } : {}),
  };
}
