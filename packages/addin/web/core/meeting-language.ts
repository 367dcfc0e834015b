/**
 * The user changed Roomlink's language: the join block already in this appointment is rewritten in it.
 * Only the item's own meeting block (found by its markers: meeting id, or its link's slug) is swapped
 * for the one the server renders in the new language (GET /api/v1/meetings/{id}?lang=…); the user's
 * text around it and the location (the join link) are left as they are. The meeting is read before
 * anything is written, so a failure (offline, meeting not found) leaves the item exactly as it was.
 *
 * Nothing changes on the server here: the meeting is only read (its own language option stays). The
 * pane saved the user's language setting before calling this (taskpane.ts) and says so first; that
 * is the user's choice for the pane and the next meetings, and stays whatever happens to the block.
 */
import { findJoinBlock, replaceJoinBlock } from '../../../server/src/instructions/marker.js';
import { ApiError, type Meeting } from './api.js';
import { type AddinContext, authorized, errorDetail } from './context.js';
import { t } from './i18n.js';
import { loadProps, PROPS, readBody, stringProp, updateBody } from './item.js';
import { findMeetingBlock, meetingFilter } from './join-block.js';
import { currentItem, isDataTooLarge } from './office.js';

export type RewriteLanguageResult =
  /** The block now reads in `ctx.lang` (also when it already did: nothing had to be written). */
  | { readonly status: 'rewritten'; readonly message: string }
  /** The item holds no block of its own meeting: nothing to rewrite. */
  | { readonly status: 'none' }
  /** `message` says, in `ctx.lang`, that the appointment was left unchanged, and why. */
  | { readonly status: 'failed'; readonly message: string; readonly error: unknown };

/** Rewrites the item's join block in `ctx.lang` (the language just chosen). */
export async function rewriteJoinBlockLanguage(ctx: AddinContext): Promise<RewriteLanguageResult> {
  try {
    const item = currentItem(ctx.office);
    const props = await loadProps(ctx.office, item);
    const meetingId = stringProp(props, PROPS.meetingId);
    const joinUrl = stringProp(props, PROPS.joinUrl);
    // Only a block that belongs to the item's meeting is the add-in's to rewrite (join-block.ts).
    if (!meetingId || !findMeetingBlock(await readBody(item), meetingId, joinUrl)) return { status: 'none' };

    // The item's key lets the server hand back a meeting left with the user's signed-out record.
    const itemKey = stringProp(props, PROPS.idempotencyKey);
    const meeting: Meeting = await authorized(ctx, () => ctx.api.getMeeting(meetingId, ctx.lang, itemKey));

    // Read, swap, write: nothing slow in between, so the user's text is written back as Outlook gave it.
    const filter = meetingFilter(meetingId, joinUrl);
    let found = false;
    await updateBody(item, (body) => {
      found = findJoinBlock(body.content, body.kind, filter) !== null;
      const block = body.kind === 'html' ? meeting.instructions.html : meeting.instructions.text;
      return replaceJoinBlock(body.content, block, body.kind, filter);
    });
    if (!found) return { status: 'none' };
    return { status: 'rewritten', message: t(ctx.lang, 'languageApplied') };
  } catch (error) {
    // The block in the new language did not fit with the user's text (French reads longer): Outlook
    // refused the whole write, so the item is as it was. Its own words ("The data is too large") name
    // neither the description nor what to do about it.
    if (isDataTooLarge(error)) return { status: 'failed', message: t(ctx.lang, 'languageTooLong'), error };
    const detail =
      error instanceof ApiError && error.status === 404
        ? t(ctx.lang, 'meetingNotFound')
        : errorDetail(ctx.lang, error);
    return { status: 'failed', message: t(ctx.lang, 'languageNotApplied', { detail }), error };
  }
}
