/** The task pane's view of this appointment's meeting, and changing its options. */
import { findJoinBlock, replaceJoinBlock } from '../../../server/src/instructions/marker.js';
import type { Meeting, MeetingOptions } from './api.js';
import { type AddinContext, authorized } from './context.js';
import { loadProps, PROPS, readBody, stringProp, updateBody } from './item.js';
import { currentItem } from './office.js';

export interface ItemMeetingState {
  readonly meetingId: string | null;
  readonly joinUrl: string | null;
  readonly hasBlock: boolean;
}

export async function readMeetingState(ctx: AddinContext): Promise<ItemMeetingState> {
  const item = currentItem(ctx.office);
  const props = await loadProps(item);
  const body = await readBody(item);
  return {
    meetingId: stringProp(props, PROPS.meetingId),
    joinUrl: stringProp(props, PROPS.joinUrl),
    hasBlock: findJoinBlock(body.content, body.kind) !== null,
  };
}

/**
 * PATCHes the options, then swaps the join block for the re-rendered one (a guest PIN appears or
 * disappears in it); the user's text around the block is untouched.
 */
export async function applyMeetingOptions(
  ctx: AddinContext,
  meetingId: string,
  options: MeetingOptions,
): Promise<Meeting> {
  const meeting = await authorized(ctx, null, () => ctx.api.updateMeeting(meetingId, { options }, ctx.lang));
  const item = currentItem(ctx.office);
  await updateBody(item, (body) =>
    replaceJoinBlock(
      body.content,
      body.kind === 'html' ? meeting.instructions.html : meeting.instructions.text,
      body.kind,
      { meetingId },
    ),
  );
  return meeting;
}
