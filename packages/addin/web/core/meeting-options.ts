/** The task pane's view of this appointment's meeting, and changing its options. */
import { findJoinBlock, replaceJoinBlock } from '../../../server/src/instructions/marker.js';
import type { Meeting, MeetingOptions } from './api.js';
import { type AddinContext, authorized } from './context.js';
import { loadProps, PROPS, readBody, stringProp, updateBody } from './item.js';
import { hasIntactMeetingBlock, meetingFilter } from './join-block.js';
import { currentItem } from './office.js';

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
 */
export async function applyMeetingOptions(
  ctx: AddinContext,
  meetingId: string,
  options: MeetingOptions,
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
    // The options are saved: the user must hear that, and that the invitation was not updated, not
    // that nothing changed.
    return { ...meeting, blockUpdated: false, bodyError };
  }
  return { ...meeting, blockUpdated };
}
