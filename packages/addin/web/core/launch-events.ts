/**
 * Event-based activation handlers' logic (the classic-script bundle launchevent.js wires them):
 * OnNewAppointmentOrganizer adds a meeting when the user asked for one on every appointment;
 * OnAppointmentSend stops the send (Smart Alert) when the item has a Roomlink meeting but its own join
 * block, with its join link, is no longer in the body (a forwarded block of another meeting, or markers
 * left around a deleted link, do not count).
 */
import { type AddMeetingResult, addMeeting } from './add-meeting.js';
import type { AddinContext } from './context.js';
import { type Lang, t } from './i18n.js';
import { loadProps, PROPS, readBody, stringProp } from './item.js';
import { hasIntactMeetingBlock } from './join-block.js';
import { currentItem } from './office.js';

export type AutoAddResult = AddMeetingResult | { readonly status: 'skipped'; readonly reason: string };

export async function onNewAppointment(ctx: AddinContext): Promise<AutoAddResult> {
  if (!(await ctx.sessions.get())) return { status: 'skipped', reason: 'not signed in' };
  let addToEveryMeeting: boolean;
  try {
    const me = await ctx.api.me();
    addToEveryMeeting = me.settings.addToEveryMeeting;
    await ctx.sessions.setSettings(me.settings).catch(() => undefined);
  } catch {
    // Offline or signed out: do nothing rather than fail the new appointment.
    return { status: 'skipped', reason: 'settings unavailable' };
  }
  if (!addToEveryMeeting) return { status: 'skipped', reason: 'setting off' };
  return addMeeting(ctx);
}

export type SendCheck =
  | { readonly allowEvent: true }
  | { readonly allowEvent: false; readonly errorMessage: string };

export async function checkBeforeSend(ctx: Pick<AddinContext, 'office'>, lang: Lang): Promise<SendCheck> {
  try {
    const item = currentItem(ctx.office);
    const props = await loadProps(item);
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
