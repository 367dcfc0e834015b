/**
 * The built-in room service asks the core which room a join link names; this answers from the
 * meetings store (decrypting times and PINs in memory only).
 */
import type { RoomDirectory, RoomInfo } from '@roomlink/rooms';
import type { Meeting } from '../domain/meetings/meeting.js';
import type { MeetingService } from '../domain/meetings/service.js';
import { lastEnd } from '../domain/meetings/window.js';
import type { TenantRepository } from '../domain/tenants/tenant.js';

/** Calendar sync's view of a series: moved and cancelled occurrences (see domain/sync). */
export interface OccurrenceWindows {
  openSchedule(
    meeting: Meeting,
  ): Promise<{ isOpenAt: (at: Date) => boolean; edges: readonly number[] } | undefined>;
}

export function meetingRoomDirectory(
  meetings: MeetingService,
  tenants: TenantRepository,
  occurrences?: OccurrenceWindows,
): RoomDirectory {
  return {
    async findBySlug(slug: string): Promise<RoomInfo | null> {
      const meeting = await meetings.findBySlug(slug);
      if (!meeting) return null;
      const tenant = await tenants.find(meeting.tenantId);
      const schedule = meeting.recurrence ? await occurrences?.openSchedule(meeting) : undefined;
      return {
        meetingId: meeting.id,
        tenantId: meeting.tenantId,
        status: meeting.status,
        startsAt: meeting.start,
        // A series stays joinable until its last occurrence ends (an open-ended one: its horizon).
        endsAt: lastEnd(meeting.end, meeting.recurrence, meeting.seriesSeenOn),
        hostPin: meeting.room.hostPin,
        guestPin: meeting.room.guestPin,
        lobby: meeting.options.lobby,
        language: meeting.options.language ?? tenant?.settings.defaultLanguage ?? 'en',
        ...(schedule ? { isOpenAt: schedule.isOpenAt, openEdges: schedule.edges } : {}),
      };
    },
  };
}
