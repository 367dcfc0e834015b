/**
 * "Add Roomlink meeting": shared by the ribbon's function command, the task pane and the
 * OnNewAppointmentOrganizer handler. Creates the meeting (idempotently per Outlook item), writes the
 * join block after the user's text, adds the join URL to the location and records the meeting in the
 * item's custom properties. Any failure leaves the appointment as it was.
 *
 * Several adds can race on one item: the event handler while the user clicks the ribbon, a double
 * click, ribbon and task pane. Within a runtime they share one run; across runtimes they share the
 * idempotency key saved on the item before the request (so they get the same meeting back), and the
 * item is checked again right before writing, with the block upserted rather than appended.
 */
import { findJoinBlock, removeJoinBlock, upsertJoinBlock } from '../../../server/src/instructions/marker.js';
import { ApiError, type Meeting, type MeetingOptions } from './api.js';
import { blockOwner } from './block-owner.js';
import { type AddinContext, authorized, describeError, ensureSession, hex } from './context.js';
import { t } from './i18n.js';
import {
  loadProps,
  PROPS,
  readBody,
  readDetails,
  readSessionKey,
  saveProps,
  stringProp,
  updateBody,
  writeBody,
  writeSessionKey,
  writeSessionMeeting,
  writeSessionRemoval,
} from './item.js';
import { hasIntactMeetingBlock, meetingFilter } from './join-block.js';
import { type LocationField, locationField } from './location-field.js';
import { itemNotifier, type Notifier } from './notify.js';
import {
  type AppointmentComposeLike,
  type CustomPropertiesLike,
  currentItem,
  isDataTooLarge,
} from './office.js';

export type AddMeetingResult =
  | { readonly status: 'added'; readonly meeting: Meeting }
  /** The item kept the meeting's id but lost its join block: the block (and location) were written again. */
  | { readonly status: 'restored'; readonly meeting: Meeting }
  | { readonly status: 'already' }
  /**
   * No meeting of its own, but the body holds another meeting's join block (pasted from another
   * invitation): nothing was made or changed, and the user was told to take that block out first.
   */
  | { readonly status: 'foreignBlock' }
  | { readonly status: 'failed'; readonly message: string; readonly error: unknown };

/** The add running for each item in this runtime; a second caller joins it instead of starting another. */
const inFlight = new WeakMap<AppointmentComposeLike, Promise<AddMeetingResult>>();

export function addMeeting(ctx: AddinContext, options?: MeetingOptions): Promise<AddMeetingResult> {
  let item: AppointmentComposeLike;
  try {
    item = currentItem(ctx.office);
  } catch (error) {
    return Promise.resolve(failed(ctx, null, error));
  }
  const running = inFlight.get(item);
  if (running) return running;
  const run = addOnce(ctx, item, options).finally(() => inFlight.delete(item));
  inFlight.set(item, run);
  return run;
}

async function addOnce(
  ctx: AddinContext,
  item: AppointmentComposeLike,
  options: MeetingOptions | undefined,
): Promise<AddMeetingResult> {
  const notify = itemNotifier(item);
  try {
    const props = await loadProps(ctx.office, item);
    const body = await readBody(item);
    const meetingId = stringProp(props, PROPS.meetingId);
    const joinUrl = stringProp(props, PROPS.joinUrl);
    if (meetingId) {
      if (hasIntactMeetingBlock(body, meetingId, joinUrl)) return already(ctx, notify);
      // The Smart Alert tells the user to add the meeting again after they deleted its block (or its
      // link): the item still names the meeting, so its block is written back, replacing what is left
      // of it, instead of a second meeting being made.
      const restored = await restoreMeeting(ctx, item, notify, meetingId);
      if (restored) return restored;
    } else {
      const block = findJoinBlock(body.content, body.kind);
      // Awaited here, so that its failures are reported like the others (below).
      if (block) return await blockWithoutProperties(ctx, item, notify, block.meetingId, props);
    }

    // Signing in first: a cancelled sign-in then leaves the item exactly as it was.
    await ensureSession(ctx);
    const create = async (idempotencyKey: string) =>
      authorized(ctx, async () => {
        await notify.progress(t(ctx.lang, 'addProgress'));
        const details = await readDetails(ctx.office, item);
        return ctx.api.createMeeting(
          {
            subject: details.subject,
            start: details.start.toISOString(),
            end: details.end.toISOString(),
            timeZone: details.timeZone,
            ...(details.recurrence ? { recurrence: details.recurrence } : {}),
            idempotencyKey,
            ...(options ? { options } : {}),
          },
          ctx.lang,
        );
      });
    let meeting: Meeting;
    try {
      meeting = await create(await claimIdempotencyKey(ctx, item));
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'idempotency_key_reused')) throw error;
      // An earlier try made a meeting the item never recorded (its answer lost, or writing it into the
      // item failed), and the appointment has since become a series, or stopped being one: that
      // meeting is not this item's any more. A new key makes a new meeting, once.
      meeting = await create(await claimIdempotencyKey(ctx, item, true));
    }

    if (!(await writeMeetingIntoItem(ctx, item, meeting))) {
      // Another runtime put a different meeting on the item meanwhile: ours is referenced nowhere.
      await ctx.api.deleteMeeting(meeting.id).catch(() => undefined);
      return already(ctx, notify);
    }
    await notify.info(t(ctx.lang, 'added'));
    return { status: 'added', meeting };
  } catch (error) {
    return failed(ctx, notify, error);
  }
}

/**
 * The body holds a join block but the properties name no meeting. Outlook may have lost them (classic
 * Outlook before a save, recurring exceptions), leaving the block as all there is of this item's
 * meeting: "already". But a block pasted from another invitation names that one's meeting
 * (block-owner.ts), as does one whose meeting is cancelled or not found: a new meeting beside it would
 * send two sets of joining details, and whether to take it out is the user's call. Nothing is made or
 * changed; the user is told to remove it first.
 */
async function blockWithoutProperties(
  ctx: AddinContext,
  item: AppointmentComposeLike,
  notify: Notifier,
  blockMeetingId: string | undefined,
  props: CustomPropertiesLike,
): Promise<AddMeetingResult> {
  // A plain-text block may carry only its link's slug: nothing to ask the server, so it still counts.
  if (!blockMeetingId) return already(ctx, notify);
  // Signing in first: a cancelled sign-in then leaves the item exactly as it was.
  await ensureSession(ctx);
  await notify.progress(t(ctx.lang, 'addProgress'));
  // The properties may keep the key when Outlook lost only some of them.
  const owner = await blockOwner(ctx, item, blockMeetingId, stringProp(props, PROPS.idempotencyKey));
  if (owner === 'this-item' || owner === 'series') return already(ctx, notify);
  await notify.info(t(ctx.lang, 'foreignBlock'));
  return { status: 'foreignBlock' };
}

/** Writes the stored meeting's block back; null when the meeting is gone or cancelled and a new one must be made. */
async function restoreMeeting(
  ctx: AddinContext,
  item: AppointmentComposeLike,
  notify: Notifier,
  meetingId: string,
): Promise<AddMeetingResult | null> {
  let meeting: Meeting;
  try {
    meeting = await authorized(ctx, async () => {
      await notify.progress(t(ctx.lang, 'addProgress'));
      // The item's key lets the server hand back a meeting left with the user's signed-out record.
      return ctx.api.getMeeting(
        meetingId,
        ctx.lang,
        stringProp(await loadProps(ctx.office, item), PROPS.idempotencyKey),
      );
    });
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 404)) throw error;
    await forgetMeeting(ctx, item);
    return null;
  }
  // A cancelled room would refuse everyone the invitation is sent to: the appointment gets a new one.
  if (meeting.status === 'cancelled') {
    await forgetMeeting(ctx, item);
    return null;
  }
  if (!(await writeMeetingIntoItem(ctx, item, meeting, true))) return already(ctx, notify);
  await notify.info(t(ctx.lang, 'restored'));
  return { status: 'restored', meeting };
}

/**
 * The meeting was deleted or cancelled elsewhere: what is left of its block (markers whose link the
 * user deleted), its location entry and the item's record of it go, so that the new meeting's block is
 * the only one and is not taken for someone else's.
 */
async function forgetMeeting(ctx: AddinContext, item: AppointmentComposeLike): Promise<void> {
  const props = await loadProps(ctx.office, item);
  const filter = meetingFilter(stringProp(props, PROPS.meetingId), stringProp(props, PROPS.joinUrl));
  if (filter.meetingId !== undefined || filter.slug !== undefined) {
    await updateBody(item, (body) => removeJoinBlock(body.content, body.kind, filter));
  }
  const added = stringProp(props, PROPS.location);
  if (added) await locationField(ctx.office, item).remove(added);
  const forgotten = stringProp(props, PROPS.meetingId);
  for (const name of Object.values(PROPS)) props.remove(name);
  await saveProps(props);
  await writeSessionRemoval(ctx.office, item, forgotten);
}

/**
 * The item's idempotency key, created and saved before the request when there is none: if the answer is
 * lost, or another runtime adds at the same moment, the server hands back the same meeting.
 */
async function claimIdempotencyKey(
  ctx: AddinContext,
  item: AppointmentComposeLike,
  replace = false,
): Promise<string> {
  const props = await loadProps(ctx.office, item);
  if (!replace) {
    const existing = stringProp(props, PROPS.idempotencyKey);
    if (existing) return existing;
    // An earlier try in another runtime (classic Outlook: its properties are not this one's yet).
    const shared = await readSessionKey(ctx.office, item);
    if (shared) {
      props.set(PROPS.idempotencyKey, shared);
      await saveProps(props).catch(() => undefined);
      return shared;
    }
  }
  const key = `rl-${hex(ctx.randomBytes(16))}`;
  props.set(PROPS.idempotencyKey, key);
  await saveProps(props).catch(() => undefined);
  await writeSessionKey(ctx.office, item, key);
  // Two runtimes saving at once: the key saved last is the one both read back and use.
  const saved = await loadProps(ctx.office, item).catch(() => null);
  return (saved && stringProp(saved, PROPS.idempotencyKey)) ?? key;
}

/**
 * Body, then location, then custom properties; if a later step fails the earlier ones are undone.
 * Checks the item again first: false (nothing written) when it holds another meeting by now.
 */
async function writeMeetingIntoItem(
  ctx: AddinContext,
  item: AppointmentComposeLike,
  meeting: Meeting,
  restoring = false,
): Promise<boolean> {
  const props = await loadProps(ctx.office, item);
  const storedId = stringProp(props, PROPS.meetingId);
  if (storedId && storedId !== meeting.id) return false;
  const filter = meetingFilter(meeting.id, meeting.joinUrl);
  let foreignBlock = false;
  let hadBlock = false;
  const { before, after } = await updateBody(item, (body) => {
    hadBlock = findJoinBlock(body.content, body.kind, filter) !== null;
    // A new meeting goes only into a body without a Roomlink block (as checked before the request); a
    // restored one belongs to the item whatever else the body quotes.
    foreignBlock = !restoring && !hadBlock && findJoinBlock(body.content, body.kind) !== null;
    if (foreignBlock) return body.content;
    const block = body.kind === 'html' ? meeting.instructions.html : meeting.instructions.text;
    return upsertJoinBlock(body.content, block, body.kind, filter);
  });
  if (foreignBlock) return false;
  const location = locationField(ctx.office, item);
  let appended = false;
  try {
    appended = await location.add(meeting.joinUrl);
    const listed = appended || (await location.entries()).includes(meeting.joinUrl);
    props.set(PROPS.meetingId, meeting.id);
    props.set(PROPS.joinUrl, meeting.joinUrl);
    // Empty when the location had no room left for the URL (the body carries the link).
    props.set(PROPS.location, listed ? meeting.joinUrl : '');
    await saveProps(props);
  } catch (error) {
    if (!hadBlock && after.content !== before.content) await undo(item, location, meeting, appended);
    throw error;
  }
  // For the send check and the other runtimes in classic Outlook, which may not see the properties
  // yet (item.ts).
  await writeSessionMeeting(ctx.office, item, meeting, stringProp(props, PROPS.idempotencyKey));
  return true;
}

async function undo(
  item: AppointmentComposeLike,
  location: LocationField,
  meeting: Meeting,
  appended: boolean,
): Promise<void> {
  try {
    const body = await readBody(item);
    const restored = removeJoinBlock(body.content, body.kind, meetingFilter(meeting.id, meeting.joinUrl));
    if (restored !== body.content) await writeBody(item, { kind: body.kind, content: restored });
    if (appended) await location.remove(meeting.joinUrl);
  } catch {
    // Best effort: the error that brought us here is the one to report.
  }
}

async function already(ctx: AddinContext, notify: Notifier): Promise<AddMeetingResult> {
  await notify.info(t(ctx.lang, 'already'));
  return { status: 'already' };
}

async function failed(ctx: AddinContext, notify: Notifier | null, error: unknown): Promise<AddMeetingResult> {
  // The body is the only field an add makes longer (the location entry is added only when it fits):
  // the user's description and the joining details together are over Outlook's limit. Outlook's own
  // words ("The data is too large") name neither the description nor what to do about it.
  const message = isDataTooLarge(error)
    ? t(ctx.lang, 'bodyTooLong')
    : describeError(ctx.lang, error, Boolean(ctx.signIn));
  await notify?.error(message);
  return { status: 'failed', message, error };
}
