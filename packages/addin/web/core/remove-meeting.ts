/**
 * Removes the Roomlink meeting from the open appointment: deletes it on the server, then takes out
 * exactly the join block and the location entry Roomlink added, and forgets the custom properties
 * (the idempotency key too, so that adding again makes a new meeting).
 */
import { findJoinBlock, removeJoinBlock } from '../../../server/src/instructions/marker.js';
import { slugOf } from './add-meeting.js';
import { ApiError } from './api.js';
import { type AddinContext, authorized, describeError } from './context.js';
import { t } from './i18n.js';
import {
  loadProps,
  PROPS,
  readBody,
  readLocation,
  saveProps,
  stringProp,
  updateBody,
  writeLocation,
} from './item.js';
import { removeLocationEntry } from './location.js';
import { itemNotifier } from './notify.js';
import { currentItem } from './office.js';

export type RemoveMeetingResult =
  | { readonly status: 'removed' }
  | { readonly status: 'none' }
  | { readonly status: 'failed'; readonly message: string; readonly error: unknown };

export async function removeMeeting(ctx: AddinContext): Promise<RemoveMeetingResult> {
  const item = currentItem(ctx.office);
  const notify = itemNotifier(item);
  try {
    const props = await loadProps(item);
    const meetingId = stringProp(props, PROPS.meetingId);
    const joinUrl = stringProp(props, PROPS.joinUrl);
    const filter = { ...(meetingId ? { meetingId } : {}), ...(joinUrl ? { slug: slugOf(joinUrl) } : {}) };
    const body = await readBody(item);
    if (!meetingId && !findJoinBlock(body.content, body.kind)) {
      await notify.info(t(ctx.lang, 'nothingToRemove'));
      return { status: 'none' };
    }
    await notify.progress(t(ctx.lang, 'removeProgress'));
    if (meetingId) {
      await authorized(ctx, notify, () =>
        ctx.api.deleteMeeting(meetingId).catch((error: unknown) => {
          // Already gone on the server: the appointment still has to be cleaned.
          if (error instanceof ApiError && error.status === 404) return;
          throw error;
        }),
      );
    }
    await updateBody(item, (b) =>
      removeJoinBlock(b.content, b.kind, meetingId || joinUrl ? filter : undefined),
    );
    const added = stringProp(props, PROPS.location);
    if (added) {
      const location = await readLocation(item);
      const without = removeLocationEntry(location, added);
      if (without !== location) await writeLocation(item, without);
    }
    for (const name of Object.values(PROPS)) props.remove(name);
    await saveProps(props);
    await notify.info(t(ctx.lang, 'removed'));
    return { status: 'removed' };
  } catch (error) {
    const message = describeError(ctx.lang, error, Boolean(ctx.signIn));
    await notify.error(message);
    return { status: 'failed', message, error };
  }
}
