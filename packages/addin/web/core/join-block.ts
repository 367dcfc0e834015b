/**
 * Which join block in a body belongs to the item's own meeting. A body can hold a forwarded block of
 * someone else's meeting, or a block whose link the user deleted; only a block that still carries the
 * item's join link counts as the item's.
 */
import {
  type BodyKind,
  findJoinBlock,
  type JoinBlockFilter,
  type JoinBlockLocation,
} from '../../../server/src/instructions/marker.js';

/** The `…/m/<slug>` part of a join URL, which the text form of the block is recognised by. */
export function slugOf(joinUrl: string | null | undefined): string | undefined {
  return joinUrl ? /\/m\/([A-Za-z0-9_-]{8,128})/.exec(joinUrl)?.[1] : undefined;
}

/** Matches the meeting's block by id (HTML markers) or by its link's slug (text bodies, lost markers). */
export function meetingFilter(meetingId: string | null | undefined, joinUrl: string | null | undefined) {
  const slug = slugOf(joinUrl);
  const filter: JoinBlockFilter = { ...(meetingId ? { meetingId } : {}), ...(slug ? { slug } : {}) };
  return filter;
}

/** The block of this meeting, if the body has one (whether or not its link survived). */
export function findMeetingBlock(
  body: { readonly kind: BodyKind; readonly content: string },
  meetingId: string | null | undefined,
  joinUrl: string | null | undefined,
): JoinBlockLocation | null {
  const filter = meetingFilter(meetingId, joinUrl);
  if (filter.meetingId === undefined && filter.slug === undefined) return null;
  return findJoinBlock(body.content, body.kind, filter);
}

/**
 * The meeting's block with its join link still inside. The slug is compared rather than the whole URL:
 * Safe Links rewrites hrefs into a percent-encoded parameter, which the marker parser decodes.
 */
export function hasIntactMeetingBlock(
  body: { readonly kind: BodyKind; readonly content: string },
  meetingId: string | null | undefined,
  joinUrl: string | null | undefined,
): boolean {
  const block = findMeetingBlock(body, meetingId, joinUrl);
  if (!block?.slug) return false;
  const slug = slugOf(joinUrl);
  return slug === undefined || block.slug === slug;
}
