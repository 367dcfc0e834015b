/**
 * Removes the Roomlink meeting from the open appointment: takes out exactly the join block and the
 * location entry Roomlink added, deletes the meeting on the server, then forgets the custom properties
 * (the idempotency key too, so that adding again makes a new meeting).
 *
 * The item is cleaned before the server delete: an invitation must never keep a link to a room that no
 * longer exists. The properties go last, so that after a failed delete "Remove" can simply be run again.
 *
 * The delete carries the item's idempotency key (api.ts, ITEM_KEY_HEADER), so that a meeting left with
 * the user's signed-out record is taken back and deleted. A 404 even so is not reported as success:
 * the meeting may be someone else's now (or the key was lost), and its room then stays open.
 */
import { findJoinBlock, removeJoinBlock } from '../../../server/src/instructions/marker.js';
import { ApiError } from './api.js';
import { blockOwner } from './block-owner.js';
import { type AddinContext, authorized, describeError, ensureSession, errorDetail } from './context.js';
import { t } from './i18n.js';
import {
  type ItemBody,
  loadProps,
  PROPS,
  readBody,
  saveProps,
  stringProp,
  updateBody,
  writeSessionRemoval,
} from './item.js';
import { meetingFilter } from './join-block.js';
import { findJoinUrlEntry } from './location.js';
import { locationField } from './location-field.js';
import { itemNotifier } from './notify.js';
import { type AppointmentComposeLike, type CustomPropertiesLike, currentItem } from './office.js';

export type RemoveMeetingResult =
  | { readonly status: 'removed' }
  | { readonly status: 'none' }
  /** `message` says what was left undone, also when the item itself was cleaned (server answered 404). */
  | { readonly status: 'failed'; readonly message: string; readonly error: unknown };

interface Target {
  readonly meetingId: string | null;
  /** Named by the join block alone (the item's properties name no meeting). */
  readonly fromBody: boolean;
  /** The item's idempotency key: proof for the server that this user can open the appointment. */
  readonly itemKey: string | null;
  readonly filter: ReturnType<typeof meetingFilter>;
  /** The location entry to take out: the one recorded, or (properties lost) the join URL of the block. */
  readonly locationEntry: (entries: readonly string[]) => string | null;
}

export async function removeMeeting(ctx: AddinContext): Promise<RemoveMeetingResult> {
  const item = currentItem(ctx.office);
  const notify = itemNotifier(item);
  let stage: 'checking' | 'item' | 'server' | 'forgetting' = 'checking';
  let itemChanged = false;
  try {
    const props = await loadProps(ctx.office, item);
    const target = whatToRemove(props, await readBody(item));
    if (!target) {
      await notify.info(t(ctx.lang, 'nothingToRemove'));
      return { status: 'none' };
    }
    // Signing in before anything changes: a cancelled sign-in leaves the item as it was.
    if (target.meetingId) await ensureSession(ctx);
    await notify.progress(t(ctx.lang, 'removeProgress'));
    const kept = target.fromBody ? await keptMeeting(ctx, item, target) : null;
    const keepOnServer = kept !== null;

    stage = 'item';
    const { before, after } = await updateBody(item, (b) =>
      removeJoinBlock(b.content, b.kind, target.filter),
    );
    itemChanged = after.content !== before.content;
    const location = locationField(ctx.office, item);
    const entry = target.locationEntry(await location.entries());
    if (entry && (await location.remove(entry))) itemChanged = true;

    stage = 'server';
    const meetingId = keepOnServer ? null : target.meetingId;
    let notFound: ApiError | undefined;
    if (meetingId) {
      await authorized(ctx, () =>
        ctx.api.deleteMeeting(meetingId, target.itemKey).catch((error: unknown) => {
          // Already gone, or not this user's (nor one the item's key could take back): the item is
          // cleaned all the same, but the user must not be told the room is gone.
          if (error instanceof ApiError && error.status === 404) {
            notFound = error;
            return;
          }
          throw error;
        }),
      );
    }

    stage = 'forgetting';
    for (const name of Object.values(PROPS)) props.remove(name);
    await saveProps(props);
    // Classic Outlook's send runtime reads the properties as last saved, which may still name the
    // meeting: the session data's mark tells the send check it was removed on purpose (item.ts).
    await writeSessionRemoval(ctx.office, item, target.meetingId);
    if (notFound) {
      const message = t(ctx.lang, 'removeNotFound');
      await notify.error(message);
      return { status: 'failed', message, error: notFound };
    }
    await notify.info(
      t(ctx.lang, kept === 'series' ? 'removedFromOccurrence' : kept ? 'removedKeptMeeting' : 'removed'),
    );
    return { status: 'removed' };
  } catch (error) {
    const message =
      stage === 'server'
        ? t(ctx.lang, 'removeServerFailed', { detail: errorDetail(ctx.lang, error) })
        : itemChanged || stage === 'forgetting'
          ? t(ctx.lang, 'removePartial', { detail: errorDetail(ctx.lang, error) })
          : describeError(ctx.lang, error, Boolean(ctx.signIn));
    await notify.error(message);
    return { status: 'failed', message, error };
  }
}

/**
 * The meeting named by the custom properties; when they were lost (classic Outlook before a save,
 * recurring exceptions), the one named by the join block in the body: its meeting id (HTML markers)
 * and the slug of its link.
 */
function whatToRemove(props: CustomPropertiesLike, body: ItemBody): Target | null {
  const meetingId = stringProp(props, PROPS.meetingId);
  if (meetingId) {
    const recorded = stringProp(props, PROPS.location);
    return {
      meetingId,
      fromBody: false,
      itemKey: stringProp(props, PROPS.idempotencyKey),
      filter: meetingFilter(meetingId, stringProp(props, PROPS.joinUrl)),
      locationEntry: () => recorded,
    };
  }
  const block = findJoinBlock(body.content, body.kind);
  if (!block) return null;
  const slug = block.slug;
  return {
    meetingId: block.meetingId ?? null,
    fromBody: true,
    // The properties may keep the key when Outlook lost only some of them.
    itemKey: stringProp(props, PROPS.idempotencyKey),
    filter: {
      ...(block.meetingId ? { meetingId: block.meetingId } : {}),
      ...(slug ? { slug } : {}),
    },
    locationEntry: (entries) => (slug ? findJoinUrlEntry(entries, slug) : null),
  };
}

/**
 * Why a meeting the body alone names is kept on the server (block-owner.ts), or null when it was made
 * for this appointment and goes with its block. One at other times, or a series' meeting shown in one
 * of its occurrences, is kept: deleting a pasted block's meeting would take it from its own
 * attendees, and a series' from every other occurrence. One
 * cancelled at these times is this item's all the same; one not found for this user is left to the
 * delete (which carries the item's key) to answer for, as before.
 */
async function keptMeeting(
  ctx: AddinContext,
  item: AppointmentComposeLike,
  target: Target,
): Promise<'other' | 'series' | null> {
  if (!target.meetingId) return null;
  const owner = await blockOwner(ctx, item, target.meetingId, target.itemKey);
  return owner === 'other' || owner === 'series' ? owner : null;
}
