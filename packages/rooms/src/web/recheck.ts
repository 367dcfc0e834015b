/** When the "not open yet" page asks the server again. */

/** setTimeout cannot wait longer (~24.8 days). */
const MAX_TIMER_MS = 2_147_483_647;
/**
 * The wait when the opening time is already past: the server and this clock disagree, or the
 * meeting changed. Asking every second would only load the server.
 */
export const PAST_RECHECK_MS = 30_000;

/**
 * The wait when the server gives no opening time (a series whose coming occurrences are cancelled):
 * the organizer may still move one, but nothing is due soon.
 */
export const UNKNOWN_RECHECK_MS = 5 * 60_000;

/** Milliseconds until the page checks again: just after the room opens. */
export function recheckDelay(opensAt: Date | null, now: number): number {
  if (opensAt === null) return UNKNOWN_RECHECK_MS;
  const until = opensAt.getTime() - now;
  if (!(until > 0)) return PAST_RECHECK_MS;
  return Math.min(until + 1000, MAX_TIMER_MS);
}
