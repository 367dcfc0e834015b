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
   * When the room next opens (for a series: the next occurrence that takes place, less
   * openBeforeMinutes). Null when it is not open and nothing opens again (every coming occurrence of
   * a series cancelled): as far as the directory's nextOpenChange or edges say, or without
   * them within SEARCH_HORIZON_MS.
   */
  readonly opensAt: Date | null;
  /**
   * When an open room closes (for a series: the end of the current occurrence's window, when the
   * directory gives nextOpenChange); for other states, the end of the series' window.
   */
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
  room: Pick<RoomInfo, 'status' | 'startsAt' | 'endsAt' | 'isOpenAt' | 'nextOpenChange' | 'openEdges'>,
  now: Date,
  policy: RoomWindowPolicy,
): RoomTiming {
  const opensAt = new Date(room.startsAt.getTime() - policy.openBeforeMinutes * MINUTE_MS);
  const closesAt = new Date(room.endsAt.getTime() + policy.closeAfterMinutes * MINUTE_MS);
  if (room.status === 'cancelled') return { state: 'cancelled', opensAt, closesAt };
  const { isOpenAt, nextOpenChange } = room;
  if (!isOpenAt) {
    const state: RoomState = now >= closesAt ? 'closed' : now < opensAt ? 'not_yet_open' : 'open';
    return { state, opensAt, closesAt };
  }
  if (isOpenAt(now)) {
    if (nextOpenChange) {
      // A series' room closes when its occurrence's window does (or the next one's, when they touch),
      // as a single meeting's would: the close timer ends a live call there, and TURN credentials
      // run out with it. Not found within the search: open at least that long; the timer asks again.
      const edge = nextOpenChange(now.getTime(), false);
      return {
        state: 'open',
        opensAt,
        closesAt: new Date(typeof edge === 'number' ? edge : now.getTime() + SEARCH_HORIZON_MS),
      };
    }
    // The series end comes from the recurrence rule: an occurrence moved past it (the last one, say)
    // keeps the room open until that occurrence's own window ends.
    const from = Math.max(now.getTime(), closesAt.getTime());
    // No change found: open at least as far as the search looked; the close timer asks again there.
    const edge = isOpenAt(new Date(from))
      ? (nextChange(isOpenAt, from, false, room.openEdges) ?? from + SEARCH_HORIZON_MS)
      : from;
    return { state: 'open', opensAt, closesAt: new Date(Math.max(closesAt.getTime(), edge)) };
  }
  if (nextOpenChange) {
    // Between two occurrences (or at a cancelled one): it opens with the next that takes place.
    // After the last one, the series is over, even before its window's end (which is a bound).
    const next = nextOpenChange(now.getTime(), true);
    if (typeof next === 'number') return { state: 'not_yet_open', opensAt: new Date(next), closesAt };
    if (next === null) return { state: 'closed', opensAt: null, closesAt };
    // Not found within its bounded search (many cancelled occurrences): as below, with no opening.
  } else {
    // At a moved or cancelled occurrence's original time, or between a series' end and an occurrence
    // moved past it: the room opens when the predicate next says so, not at the series' first opening.
    const next = nextChange(isOpenAt, now.getTime(), true, room.openEdges);
    if (next !== null) return { state: 'not_yet_open', opensAt: new Date(next), closesAt };
  }
  // A series that starts later than the search looks (its first occurrence weeks away) opens then.
  if (now < opensAt && isOpenAt(opensAt)) return { state: 'not_yet_open', opensAt, closesAt };
  return { state: now >= closesAt ? 'closed' : 'not_yet_open', opensAt: null, closesAt };
}

/**
 * The first instant after `from` at which `isOpenAt` becomes `wanted`; null if it does not. With the
 * directory's edges (the answer is constant between them) every edge is tried; without, a search
 * minute by minute as far as SEARCH_HORIZON_MS. Assumes `isOpenAt(from)` is not `wanted`.
 */
function nextChange(
  isOpenAt: (at: Date) => boolean,
  from: number,
  wanted: boolean,
  edges?: readonly number[],
): number | null {
  if (edges) return edges.find((e) => e > from && isOpenAt(new Date(e)) === wanted) ?? null;
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
  return null;
}
