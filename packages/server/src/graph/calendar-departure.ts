/**
 * When to ask whether an event left the organizer's calendar although Graph still returns it.
 * Cancelling a meeting, or deleting it in Outlook, moves it to Deleted Items, and an immutable id
 * keeps finding a moved item: GET /me/events/{id} may answer 200 for a meeting that is gone from the
 * calendar. The calendar view (the default calendar only) that a delta round follows raises the
 * question:
 * - an incremental round reports the event (a series: its master or an occurrence it still has)
 *   `@removed`; a move out of the window is reported so too;
 * - a full round lists every event of its window, so a linked event inside it that the round did not
 *   list, and that has not changed since the round began, may be gone.
 * These rules only raise the question: a round's window, entries and clock can be out of date, and a
 * cancelled room cannot come back, so SyncWorker cancels only once the calendar view around the
 * event's start, read when it decides, does not list the event, and the event has not changed since.
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

/**
 * A single event an incremental round reported removed, or a full round did not list although its
 * times are inside the window and it has not changed since the round began. (An incremental removal
 * may be a move out of the window too: the view around the event's start tells them apart.)
 */
export function singleLeftCalendar(item: CalendarItem, round: RoundEvidence, listed: boolean): boolean {
  if (item.isCancelled) return false;
  if (!round.full) return round.removed.has(item.id);
  return !listed && unchangedSince(item, round.startedAt) && overlaps(item, round.window);
}

/**
 * A series whose master, or occurrences it still has, an incremental round reported removed, or
 * that a full round did not list although it has occurrences inside the window and has not changed
 * since the round began.
 */
export function seriesLeftCalendar(
  master: CalendarItem,
  instances: readonly CalendarItem[],
  round: RoundEvidence,
  listed: boolean,
): boolean {
  if (master.isCancelled) return false;
  if (!round.full) return round.removed.has(master.id) || instances.some((i) => round.removed.has(i.id));
  const inWindow = instances.some((i) => overlaps(i, round.window));
  return !listed && inWindow && unchangedSince(master, round.startedAt);
}
