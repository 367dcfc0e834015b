/** When a room lets people in: from a while before the start until a grace period after the end. */
import type { RoomInfo } from './directory.js';

export interface RoomWindowPolicy {
  readonly openBeforeMinutes: number;
  readonly closeAfterMinutes: number;
}

export type RoomState = 'open' | 'not_yet_open' | 'closed' | 'cancelled';

export interface RoomTiming {
  readonly state: RoomState;
  readonly opensAt: Date;
  readonly closesAt: Date;
}

const MINUTE_MS = 60_000;

export function roomTiming(
  room: Pick<RoomInfo, 'status' | 'startsAt' | 'endsAt' | 'isOpenAt'>,
  now: Date,
  policy: RoomWindowPolicy,
): RoomTiming {
  const opensAt = new Date(room.startsAt.getTime() - policy.openBeforeMinutes * MINUTE_MS);
  const closesAt = new Date(room.endsAt.getTime() + policy.closeAfterMinutes * MINUTE_MS);
  const state: RoomState =
    room.status === 'cancelled'
      ? 'cancelled'
      : room.isOpenAt?.(now)
        ? 'open'
        : now >= closesAt
          ? 'closed'
          : now < opensAt || room.isOpenAt
            ? // Between occurrences (or at a moved occurrence's old time) the room is not open yet.
              'not_yet_open'
            : 'open';
  return { state, opensAt, closesAt };
}
