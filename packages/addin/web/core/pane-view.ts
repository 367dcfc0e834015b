/**
 * What the task pane says about the account and the meeting, apart from the DOM (taskpane.ts) so that
 * Node tests can check it.
 */
import type { HostLink, Me, Meeting } from './api.js';
import { type Lang, t } from './i18n.js';
import type { OfficeLike } from './office.js';

export interface Notice {
  /** The element's data-testid. */
  readonly id: 'needs-sign-in' | 'other-account';
  readonly text: string;
  /** Offer "Sign in" with these claims (null: without). */
  readonly signIn: { readonly claims: string | null } | null;
}

/** The mailbox's SMTP address as Office.js gives it; null when this client does not say. */
export function mailboxAddress(office: OfficeLike): string | null {
  const address = office.context.mailbox.userProfile?.emailAddress;
  return typeof address === 'string' && address.trim() ? address.trim() : null;
}

/**
 * What the pane must tell a signed-in user about their account:
 * - needs_sign_in: the session still works, but Microsoft no longer lets Roomlink read the calendar;
 * - another account than the mailbox's: meetings would be created under that account, and calendar
 *   sync (which watches the signed-in user's calendar) would never follow them. Only a warning, not a
 *   refusal: a UPN and a primary SMTP address can legitimately differ (aliases, UPN ≠ mail), and we
 *   cannot tell those cases from a wrong account here.
 */
export function accountNotices(lang: Lang, me: Me, mailbox: string | null): Notice[] {
  const notices: Notice[] = [];
  if (me.status === 'needs_sign_in')
    notices.push({
      id: 'needs-sign-in',
      text: t(lang, me.claims ? 'claimsRequired' : 'calendarSignIn'),
      signIn: { claims: me.claims ?? null },
    });
  if (mailbox && me.user.upn.toLowerCase() !== mailbox.toLowerCase())
    notices.push({
      id: 'other-account',
      text: t(lang, 'otherAccount', { upn: me.user.upn, name: me.user.name, mailbox }),
      signIn: null,
    });
  return notices;
}

/**
 * The organizer's host PIN, from GET /api/v1/meetings/{id}: the joining details written into the
 * invitation leave it out on purpose (guests see them), so the task pane is where the organizer finds it.
 */
export function hostPinView(
  lang: Lang,
  meeting: Meeting | Readonly<Record<string, unknown>> | null,
): { label: string; pin: string; help: string } | null {
  const pin = meeting?.hostPin;
  if (typeof pin !== 'string' || !pin) return null;
  return { label: t(lang, 'hostPinLabel'), pin, help: t(lang, 'hostPinHelp') };
}

/**
 * "Join as host", beside the host PIN: only for a meeting Roomlink knows and that still takes place (a
 * cancelled one would be refused, 409).
 */
export function joinAsHostView(
  lang: Lang,
  meeting: Meeting | Readonly<Record<string, unknown>> | null,
): { label: string; meetingId: string } | null {
  if (meeting?.status !== 'scheduled' || typeof meeting.id !== 'string' || !meeting.id) return null;
  return { label: t(lang, 'joinAsHost'), meetingId: meeting.id };
}

/**
 * Whether `url` may become a link's href or a window's address: a web address only, never
 * `javascript:` or `data:`, whatever the item's custom properties or an answer hold.
 */
export function isWebAddress(url: unknown): url is string {
  return typeof url === 'string' && /^https?:\/\//i.test(url);
}

/**
 * The item's join link, to show as a link in the pane; null when the item holds none, or holds
 * something that is not a web address.
 */
export function joinLinkView(joinUrl: string | null): string | null {
  return isWebAddress(joinUrl) ? joinUrl : null;
}

/**
 * Whether the meeting options can be changed from the pane: before a meeting is added they are what
 * Add will ask for; once there is one, only when the item names it (custom properties). A join block
 * alone (Outlook dropped the properties) names no meeting a change could reach, so the boxes are
 * shown as they are, not editable, with why.
 */
export function optionsView(
  lang: Lang,
  item: { readonly meetingId?: string | null; readonly hasBlock: boolean },
): { editable: boolean; note: string | null } {
  if (item.meetingId || !item.hasBlock) return { editable: true, note: null };
  return { editable: false, note: t(lang, 'optionsUnknownMeeting') };
}

/**
 * The host link for the user to click when no window could be opened for it. It is short-lived and
 * single use, and whoever holds it joins as host: the words say so. `timeZone`: the user's, unless a
 * test needs a fixed one.
 */
export function hostLinkFallbackView(
  lang: Lang,
  link: HostLink,
  timeZone?: string,
): { text: string; url: string; label: string; help: string } {
  return {
    text: t(lang, 'hostLinkNotOpened'),
    url: link.url,
    label: t(lang, 'joinAsHost'),
    help: `${expiry(lang, link.expiresAt, timeZone)} ${t(lang, 'hostLinkSecret')}`,
  };
}

function expiry(lang: Lang, iso: string, timeZone: string | undefined): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return t(lang, 'hostLinkSoon');
  const time = at.toLocaleTimeString(lang === 'fr' ? 'fr-FR' : 'en', {
    hour: '2-digit',
    minute: '2-digit',
    ...(timeZone ? { timeZone } : {}),
  });
  return t(lang, 'hostLinkUntil', { time });
}
