/**
 * "Add Roomlink meeting": shared by the ribbon's function command, the task pane and the
 * OnNewAppointmentOrganizer handler. Creates the meeting (idempotently per Outlook item), writes the
 * join block after the user's text, adds the join URL to the location and records the meeting in the
 * item's custom properties. Any failure leaves the appointment as it was.
 */
import { findJoinBlock, insertJoinBlock, removeJoinBlock } from '../../../server/src/instructions/marker.js';
import type { Meeting, MeetingOptions } from './api.js';
import { type AddinContext, authorized, describeError, ensureSession, hex } from './context.js';
import { t } from './i18n.js';
import {
  loadProps,
  PROPS,
  readBody,
  readDetails,
  readLocation,
  saveProps,
  stringProp,
  updateBody,
  writeBody,
  writeLocation,
} from './item.js';
import { appendLocation, removeLocationEntry } from './location.js';
import { itemNotifier } from './notify.js';
import { currentItem } from './office.js';

export type AddMeetingResult =
  | { readonly status: 'added'; readonly meeting: Meeting }
  | { readonly status: 'already' }
  | { readonly status: 'failed'; readonly message: string; readonly error: unknown };

export async function addMeeting(ctx: AddinContext, options?: MeetingOptions): Promise<AddMeetingResult> {
  const item = currentItem(ctx.office);
  const notify = itemNotifier(item);
  try {
    const props = await loadProps(item);
    const body = await readBody(item);
    if (stringProp(props, PROPS.meetingId) || findJoinBlock(body.content, body.kind)) {
      await notify.info(t(ctx.lang, 'already'));
      return { status: 'already' };
    }

    // Signing in first: a cancelled sign-in then leaves the item exactly as it was.
    await ensureSession(ctx);
    // Kept on the item before the request: if the answer is lost, a retry gets the same meeting back.
    let idempotencyKey = stringProp(props, PROPS.idempotencyKey);
    if (!idempotencyKey) {
      idempotencyKey = `rl-${hex(ctx.randomBytes(16))}`;
      props.set(PROPS.idempotencyKey, idempotencyKey);
      await saveProps(props).catch(() => undefined);
    }

    const meeting = await authorized(ctx, notify, async () => {
      await notify.progress(t(ctx.lang, 'addProgress'));
      const details = await readDetails(ctx.office, item);
      return ctx.api.createMeeting(
        {
          subject: details.subject,
          start: details.start.toISOString(),
          end: details.end.toISOString(),
          timeZone: details.timeZone,
          ...(details.recurrence ? { recurrence: details.recurrence } : {}),
          idempotencyKey: idempotencyKey as string,
          ...(options ? { options } : {}),
        },
        ctx.lang,
      );
    });

    await writeMeetingIntoItem(ctx, meeting);
    await notify.info(t(ctx.lang, 'added'));
    return { status: 'added', meeting };
  } catch (error) {
    const message = describeError(ctx.lang, error, Boolean(ctx.signIn));
    await notify.error(message);
    return { status: 'failed', message, error };
  }
}

/** Body, then location, then custom properties; if a later step fails the earlier ones are undone. */
async function writeMeetingIntoItem(ctx: AddinContext, meeting: Meeting): Promise<void> {
  const item = currentItem(ctx.office);
  const { after } = await updateBody(item, (body) =>
    insertJoinBlock(
      body.content,
      body.kind === 'html' ? meeting.instructions.html : meeting.instructions.text,
      body.kind,
    ),
  );
  let locationBefore: string | null = null;
  try {
    locationBefore = await readLocation(item);
    const location = appendLocation(locationBefore, meeting.joinUrl);
    if (location !== locationBefore) await writeLocation(item, location);
    const props = await loadProps(item);
    props.set(PROPS.meetingId, meeting.id);
    props.set(PROPS.joinUrl, meeting.joinUrl);
    props.set(PROPS.location, location !== locationBefore ? meeting.joinUrl : '');
    await saveProps(props);
  } catch (error) {
    await undo(ctx, meeting, after.kind, locationBefore);
    throw error;
  }
}

async function undo(
  ctx: AddinContext,
  meeting: Meeting,
  kind: 'html' | 'text',
  locationBefore: string | null,
): Promise<void> {
  const item = currentItem(ctx.office);
  try {
    const body = await readBody(item);
    const restored = removeJoinBlock(body.content, kind, {
      meetingId: meeting.id,
      slug: slugOf(meeting.joinUrl),
    });
    if (restored !== body.content) await writeBody(item, { kind: body.kind, content: restored });
    if (locationBefore !== null) {
      const location = await readLocation(item);
      const without = removeLocationEntry(location, meeting.joinUrl);
      if (without !== location) await writeLocation(item, without);
    }
  } catch {
    // Best effort: the error that brought us here is the one to report.
  }
}

/** The `…/m/<slug>` part of a join URL, which the text form of the block is recognised by. */
export function slugOf(joinUrl: string): string | undefined {
  return /\/m\/([A-Za-z0-9_-]{8,128})/.exec(joinUrl)?.[1];
}
