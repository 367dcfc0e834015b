/**
 * Telling that an event left the organizer's calendar when Graph still returns it. Cancelling a
 * meeting, or deleting it in Outlook, moves it to Deleted Items, and an immutable id keeps finding a
 * moved item: GET /me/events/{id} may answer 200 for a meeting that is gone from the calendar. What
 * does know is the calendar view (the default calendar only) that a delta round follows:
 * - an incremental round reports the event `@removed`, although its times are inside the round's
 *   window (an event moved out of the window is `@removed` too, but then its times say so);
 * - a full round lists every event of its window, so a linked event inside it that the round did not
 *   list is not in the calendar.
 * An item changed since the round began proves nothing (it may have been restored meanwhile).
 * These rules only raise the question: a round's window, entries and clock can be out of date, and a
 * cancelled room cannot come back, so SyncWorker cancels only once the calendar view over the
 * event's own time, read when it decides, does not list the event.
 */
import type { CalendarItem } from '../domain/sync/calendar-item.js';

/** What one delta round saw. */
export interface RoundEvidence {
  /** The round's calendar view: an incremental round keeps the window of the full round it follows. */
  readonly window: { readonly start: Date; readonly end: Date };
  readonly startedAt: Date;
  /** Ids the round reported `@removed`. */
  readonly removed: ReadonlySet<string>;
  /** A full round: every event of the window was listed. */
  readonly full: boolean;
}

function overlaps(item: Pick<CalendarItem, 'start' | 'end'>, window: RoundEvidence['window']): boolean {
  return item.start < window.end && item.end > window.start;
}

function unchangedSince(item: CalendarItem, at: Date): boolean {
  const modified = Date.parse(item.lastModified);
  return Number.isFinite(modified) && modified < at.getTime();
}

/** A single event the round reported removed (or, in a full round, did not list) although it is in the window. */
export function singleLeftCalendar(item: CalendarItem, round: RoundEvidence, listed: boolean): boolean {
  if (item.isCancelled || !unchangedSince(item, round.startedAt) || !overlaps(item, round.window))
    return false;
  return round.full ? !listed : round.removed.has(item.id);
}

/**
 * A series whose occurrences inside the window the round reported removed (or, in a full round, did
 * not list) while the series still has them.
 */
export function seriesLeftCalendar(
  master: CalendarItem,
  instances: readonly CalendarItem[],
  round: RoundEvidence,
  listed: boolean,
): boolean {
  if (master.isCancelled || !unchangedSince(master, round.startedAt)) return false;
  const inWindow = instances.filter((i) => overlaps(i, round.window));
  if (round.full) return !listed && inWindow.length > 0;
  return inWindow.some((i) => round.removed.has(i.id));
}
