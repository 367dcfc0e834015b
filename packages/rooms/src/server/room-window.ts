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
  room: Pick<RoomInfo, 'status' | 'startsAt' | 'endsAt'>,
  now: Date,
  policy: RoomWindowPolicy,
): RoomTiming {
  const opensAt = new Date(room.startsAt.getTime() - policy.openBeforeMinutes * MINUTE_MS);
  const closesAt = new Date(room.endsAt.getTime() + policy.closeAfterMinutes * MINUTE_MS);
  const state: RoomState =
    room.status === 'cancelled'
      ? 'cancelled'
      : now < opensAt
        ? 'not_yet_open'
        : now >= closesAt
          ? 'closed'
          : 'open';
  return { state, opensAt, closesAt };
}
