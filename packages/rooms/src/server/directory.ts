/**
 * The port the core implements: which room a join link names. The room service never sees the
 * database; it asks this on every join, and about a live room when told its meeting changed
 * (RoomService.recheckRoom), so that cancellations, moves and PIN changes apply at once.
 */
export interface RoomInfo {
  readonly meetingId: string;
  readonly tenantId: string;
  readonly status: 'scheduled' | 'cancelled';
  readonly startsAt: Date;
  readonly endsAt: Date;
  readonly hostPin: string;
  readonly guestPin: string | null;
  readonly lobby: boolean;
  readonly language: 'en' | 'fr';
  /**
   * For a recurring meeting whose occurrences were moved or cancelled in the calendar: whether the
   * room admits people at a given time. When present it decides, instead of startsAt/endsAt.
   */
  readonly isOpenAt?: (at: Date) => boolean;
  /**
   * The instants (ms, sorted) at which `isOpenAt` can change its answer. With them the room's next
   * opening or closing is found among them; without, by a bounded minute-by-minute search.
   */
  readonly openEdges?: readonly number[];
}

export interface RoomDirectory {
  findBySlug(slug: string): Promise<RoomInfo | null>;
}
