/** The task pane's view of this appointment's meeting, and changing its options. */
import { findJoinBlock, replaceJoinBlock } from '../../../server/src/instructions/marker.js';
import type { Meeting, MeetingOptions } from './api.js';
import { type AddinContext, authorized, errorDetail } from './context.js';
import { type Lang, t } from './i18n.js';
import { loadProps, PROPS, readBody, stringProp, updateBody } from './item.js';
import { hasIntactMeetingBlock, meetingFilter } from './join-block.js';
import { currentItem, isDataTooLarge } from './office.js';

export interface ItemMeetingState {
  readonly meetingId: string | null;
  readonly joinUrl: string | null;
  /** The item's idempotency key: sent with requests about its meeting, to take it back after a new sign-in. */
  readonly itemKey: string | null;
  readonly hasBlock: boolean;
  /** The item names a meeting whose block (or its link) is gone from the body: "Add" writes it back. */
  readonly blockMissing: boolean;
}

/** The meeting as the server now has it, and whether the body's block could be swapped for it. */
export type AppliedOptions = Meeting & {
  readonly blockUpdated: boolean;
  /** Outlook refused the body's read or write after the options were saved on the server. */
  readonly bodyError?: unknown;
  /**
   * With a bodyError: the options were put back on the server as they were, and the meeting is as
   * the server now has it (its previous options). Absent: the new options stay saved.
   */
  readonly reverted?: boolean;
};

export async function readMeetingState(ctx: AddinContext): Promise<ItemMeetingState> {
  const item = currentItem(ctx.office);
  // In classic Outlook a meeting added or removed by another runtime may be only in the session data
  // until the item is saved: loadProps makes the properties say what it says (item.ts).
  const props = await loadProps(ctx.office, item);
  const body = await readBody(item);
  const meetingId = stringProp(props, PROPS.meetingId);
  const joinUrl = stringProp(props, PROPS.joinUrl);
  return {
    meetingId,
    joinUrl,
    itemKey: stringProp(props, PROPS.idempotencyKey),
    hasBlock: findJoinBlock(body.content, body.kind) !== null,
    blockMissing: meetingId !== null && !hasIntactMeetingBlock(body, meetingId, joinUrl),
  };
}

/**
 * PATCHes the options, then swaps the join block for the re-rendered one (a guest PIN appears or
 * disappears in it); the user's text around the block is untouched. The block is found by meeting id
 * or by its link's slug: a plain-text block carries no id. `blockUpdated` is false when it was not found.
 * `previous`: the options as the pane showed them before this change, to put back should the new
 * block not fit in the body (revertTooLong).
 */
export async function applyMeetingOptions(
  ctx: AddinContext,
  meetingId: string,
  options: MeetingOptions,
  previous?: MeetingOptions,
): Promise<AppliedOptions> {
  const item = currentItem(ctx.office);
  // The item's key lets the server hand back a meeting left with the user's signed-out record.
  const itemKey = stringProp(await loadProps(ctx.office, item), PROPS.idempotencyKey);
  const meeting = await authorized(ctx, () =>
    ctx.api.updateMeeting(meetingId, { options }, ctx.lang, itemKey),
  );
  const filter = meetingFilter(meetingId, meeting.joinUrl);
  let blockUpdated = false;
  try {
    await updateBody(item, (body) => {
      // Found, not compared: an option that leaves the text as it was (the lobby) is still applied.
      blockUpdated = findJoinBlock(body.content, body.kind, filter) !== null;
      return replaceJoinBlock(
        body.content,
        body.kind === 'html' ? meeting.instructions.html : meeting.instructions.text,
        body.kind,
        filter,
      );
    });
  } catch (bodyError) {
    if (isDataTooLarge(bodyError) && previous) {
      const restored = await revertTooLong(ctx, meetingId, itemKey, options, previous, meeting);
      if (restored) return { ...restored, blockUpdated: false, bodyError, reverted: true };
    }
    // The options are saved: the user must hear that, and that the invitation was not updated, not
    // that nothing changed.
    return { ...meeting, blockUpdated: false, bodyError };
  }
  return { ...meeting, blockUpdated };
}

/**
 * The new block did not fit in the body with the user's text (Outlook refused the whole write, so
 * the item is as it was). Keeping the options would leave the server and the invitation disagreeing
 * until the user shortens the description and sets the option again: a guest PIN required to join
 * but shown nowhere in the invitation locks the invited guests out. The user expects a refused change
 * to change nothing, as a too-long add does, so the options the change turned are put back. Null when
 * they cannot be: Roomlink unreachable, or a guest PIN that was turned off (the builtin provider would
 * make a new one, not the one the invitation shows); the options then stay saved and the user is told.
 */
async function revertTooLong(
  ctx: AddinContext,
  meetingId: string,
  itemKey: string | null,
  options: MeetingOptions,
  previous: MeetingOptions,
  saved: Meeting,
): Promise<Meeting | null> {
  const undo: Record<string, unknown> = {};
  for (const key of Object.keys(options) as (keyof MeetingOptions)[]) {
    const before = previous[key];
    if (before !== undefined && before !== saved.options[key]) undo[key] = before;
  }
  if (Object.keys(undo).length === 0 || undo.guestPin === true) return null;
  try {
    return await authorized(ctx, () =>
      ctx.api.updateMeeting(meetingId, { options: undo }, ctx.lang, itemKey),
    );
  } catch {
    return null;
  }
}

/** What the pane says after an options change, in `lang`; `error` when the invitation was not updated. */
export function appliedOptionsMessage(lang: Lang, applied: AppliedOptions): { text: string; error: boolean } {
  if (applied.bodyError !== undefined) {
    // Outlook's own words ("The data is too large") name neither the description nor what to do.
    if (isDataTooLarge(applied.bodyError))
      return { text: t(lang, applied.reverted ? 'optionsTooLong' : 'optionsTooLongSaved'), error: true };
    return {
      text: t(lang, 'optionsNotWritten', { detail: errorDetail(lang, applied.bodyError) }),
      error: true,
    };
  }
  return applied.blockUpdated
    ? { text: t(lang, 'optionsSaved'), error: false }
    : { text: t(lang, 'optionsNotInBody'), error: true };
}
