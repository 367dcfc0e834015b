/**
 * Event-based activation handlers' logic (the classic-script bundle launchevent.js wires them):
 * OnNewAppointmentOrganizer adds a meeting when the user asked for one on every appointment;
 * OnAppointmentSend stops the send (Smart Alert) when the item has a Roomlink meeting but its own join
 * block, with its join link, is no longer in the body (a forwarded block of another meeting, or markers
 * left around a deleted link, do not count).
 */
import { type AddMeetingResult, addMeeting } from './add-meeting.js';
import { ApiError } from './api.js';
import type { AddinContext } from './context.js';
import { type Lang, t } from './i18n.js';
import { loadProps, PROPS, readBody, stringProp } from './item.js';
import { hasIntactMeetingBlock } from './join-block.js';
import { itemNotifier } from './notify.js';
import { currentItem } from './office.js';

export type AutoAddResult = AddMeetingResult | { readonly status: 'skipped'; readonly reason: string };

export async function onNewAppointment(ctx: AddinContext): Promise<AutoAddResult> {
  if (!(await ctx.sessions.get())) return signInFirst(ctx, 'not signed in');
  let addToEveryMeeting: boolean;
  try {
    const me = await ctx.api.me();
    addToEveryMeeting = me.settings.addToEveryMeeting;
    await ctx.sessions.setSettings(me.settings).catch(() => undefined);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return signInFirst(ctx, 'session ended');
    // Offline: do nothing rather than fail the new appointment.
    return { status: 'skipped', reason: 'settings unavailable' };
  }
  if (!addToEveryMeeting) return { status: 'skipped', reason: 'setting off' };
  return addMeeting(ctx);
}

/**
 * No session (it ended after its 30 days, or Roomlink refused it): no meeting can be added. A user
 * who asked for one on every appointment (the settings last read say so) is told, on the item's
 * notification bar, rather than left to find invitations without one.
 */
async function signInFirst(ctx: AddinContext, reason: string): Promise<AutoAddResult> {
  const settings = await ctx.sessions.getSettings().catch(() => null);
  if (settings?.addToEveryMeeting)
    await itemNotifier(currentItem(ctx.office)).info(t(ctx.lang, 'signInNeeded'));
  return { status: 'skipped', reason };
}

export type SendCheck =
  | { readonly allowEvent: true }
  | { readonly allowEvent: false; readonly errorMessage: string };

export async function checkBeforeSend(ctx: Pick<AddinContext, 'office'>, lang: Lang): Promise<SendCheck> {
  try {
    const item = currentItem(ctx.office);
    // Classic Outlook on Windows shows this runtime the custom properties as the item was last saved
    // (item.ts, SessionMeeting): the session data, when it names a meeting or its removal, comes first,
    // as in every other flow (loadProps).
    const props = await loadProps(ctx.office, item);
    const meetingId = stringProp(props, PROPS.meetingId);
    if (!meetingId) return { allowEvent: true };
    const body = await readBody(item);
    if (hasIntactMeetingBlock(body, meetingId, stringProp(props, PROPS.joinUrl))) return { allowEvent: true };
    return { allowEvent: false, errorMessage: t(lang, 'sendBlocked') };
  } catch {
    // SoftBlock: a check that cannot run must not stop the user from sending.
    return { allowEvent: true };
  }
}
