/**
 * The port the core implements: which room a join link names. The room service never sees the
 * database; it asks this on every join so that cancellations and PIN changes apply at once.
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
}

export interface RoomDirectory {
  findBySlug(slug: string): Promise<RoomInfo | null>;
}
