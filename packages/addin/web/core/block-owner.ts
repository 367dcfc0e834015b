/**
 * Whose meeting a join block names, when the item's custom properties name none. Outlook may drop
 * them (classic Outlook before a save, recurring exceptions), and then the block is all that is left of
 * this item's meeting; but a block pasted from another invitation names that one's meeting. The
 * server's times tell them apart: a meeting is this appointment's only when they are the appointment's.
 * Add and Remove each decide what the doubtful answers mean for them.
 */
import { ApiError, type Meeting } from './api.js';
import { type AddinContext, authorized } from './context.js';
import { readDetails } from './item.js';
import type { AppointmentComposeLike } from './office.js';

/**
 * `this-item`: live, at this appointment's times. `series`: the item is one occurrence opened on its
 * own and the block names a series' meeting, as every occurrence of a Roomlink series shows (Outlook
 * does not carry the series' properties over to an occurrence); the meeting is its series', not this
 * occurrence's alone. `other`: at other times (whatever its status). `cancelled`: at this
 * appointment's times, but cancelled. `not-found`: 404 for this user (gone, or someone else's, or
 * the item's key was lost).
 */
export type BlockOwner = 'this-item' | 'series' | 'other' | 'cancelled' | 'not-found';

/** `itemKey`: the item's idempotency key, when the properties kept it (see ITEM_KEY_HEADER). */
export async function blockOwner(
  ctx: AddinContext,
  item: AppointmentComposeLike,
  meetingId: string,
  itemKey: string | null,
): Promise<BlockOwner> {
  let meeting: Meeting;
  try {
    meeting = await authorized(ctx, () => ctx.api.getMeeting(meetingId, ctx.lang, itemKey));
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return 'not-found';
    throw error;
  }
  // Its times are the series' first occurrence's, never this one's: times cannot tell here.
  if (typeof item.seriesId === 'string' && item.seriesId !== '' && meeting.recurrence) return 'series';
  const details = await readDetails(ctx.office, item);
  const sameTimes =
    Date.parse(String(meeting.start)) === details.start.getTime() &&
    Date.parse(String(meeting.end)) === details.end.getTime();
  if (!sameTimes) return 'other';
  return meeting.status === 'cancelled' ? 'cancelled' : 'this-item';
}
