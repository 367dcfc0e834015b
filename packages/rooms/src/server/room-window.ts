/** When a room lets people in: from a while before the start until a grace period after the end. */
import type { RoomInfo } from './directory.js';

export interface RoomWindowPolicy {
  readonly openBeforeMinutes: number;
  readonly closeAfterMinutes: number;
}

export type RoomState = 'open' | 'not_yet_open' | 'closed' | 'cancelled';

export interface RoomTiming {
  readonly state: RoomState;
  /**
   * When the room next opens. Null when it is not open and nothing opens within SEARCH_HORIZON_MS
   * (every coming occurrence of a series cancelled, as far as the search looks).
   */
  readonly opensAt: Date | null;
  /** When an open room closes; for other states, the end of the series' window. */
  readonly closesAt: Date;
}

const MINUTE_MS = 60_000;
/**
 * How far ahead an occurrence-aware predicate is searched for its next change. Past this, an open
 * room's close timer fires, asks the directory again and re-arms; a closed one reports no time.
 */
export const SEARCH_HORIZON_MS = 7 * 24 * 60 * MINUTE_MS;
/**
 * Step of that search. Occurrence times and margins are whole minutes, so an open or closed stretch
 * is at least this long; the edge is then found to the millisecond by bisection.
 */
const SEARCH_STEP_MS = MINUTE_MS;

export function roomTiming(
  room: Pick<RoomInfo, 'status' | 'startsAt' | 'endsAt' | 'isOpenAt'>,
  now: Date,
  policy: RoomWindowPolicy,
): RoomTiming {
  const opensAt = new Date(room.startsAt.getTime() - policy.openBeforeMinutes * MINUTE_MS);
  const closesAt = new Date(room.endsAt.getTime() + policy.closeAfterMinutes * MINUTE_MS);
  if (room.status === 'cancelled') return { state: 'cancelled', opensAt, closesAt };
  const isOpenAt = room.isOpenAt;
  if (!isOpenAt) {
    const state: RoomState = now >= closesAt ? 'closed' : now < opensAt ? 'not_yet_open' : 'open';
    return { state, opensAt, closesAt };
  }
  if (isOpenAt(now)) {
    // The series end comes from the recurrence rule: an occurrence moved past it (the last one, say)
    // keeps the room open until that occurrence's own window ends.
    const from = Math.max(now.getTime(), closesAt.getTime());
    const edge = isOpenAt(new Date(from)) ? nextChange(isOpenAt, from, false) : from;
    return { state: 'open', opensAt, closesAt: new Date(Math.max(closesAt.getTime(), edge)) };
  }
  // At a moved or cancelled occurrence's original time, or between a series' end and an occurrence
  // moved past it: the room opens when the predicate next says so, not at the series' first opening.
  const next = nextChange(isOpenAt, now.getTime(), true);
  if (next < now.getTime() + SEARCH_HORIZON_MS)
    return { state: 'not_yet_open', opensAt: new Date(next), closesAt };
  return { state: now >= closesAt ? 'closed' : 'not_yet_open', opensAt: null, closesAt };
}

/**
 * The first instant after `from` at which `isOpenAt` becomes `wanted`, or `from` + SEARCH_HORIZON_MS
 * if it does not within that. Assumes `isOpenAt(from)` is not `wanted`.
 */
function nextChange(isOpenAt: (at: Date) => boolean, from: number, wanted: boolean): number {
  const end = from + SEARCH_HORIZON_MS;
  let before = from;
  for (let t = from + SEARCH_STEP_MS; t <= end; t += SEARCH_STEP_MS) {
    if (isOpenAt(new Date(t)) !== wanted) {
      before = t;
      continue;
    }
    // The change is in (before, t]: bisect to the millisecond.
    let after = t;
    while (after - before > 1) {
      const mid = Math.floor((before + after) / 2);
      if (isOpenAt(new Date(mid)) === wanted) after = mid;
      else before = mid;
    }
    return after;
  }
  return end;
}
