/**
 * A host link: the join link with `#host=<ticket>`, opened from the Roomlink pane in Outlook. The
 * ticket rides in the fragment so that it never reaches a server log or a Referer; the page takes it
 * out of the address bar at once (so it is not bookmarked, shared or reloaded) and keeps it in memory
 * only, until it is spent (one join) or refused.
 *
 * Once in, a host (host link or host PIN) gets a rejoin token in `joined` instead: the page keeps
 * that in memory (never in storage or the address), and joins again with it after a lost connection
 * or leaving, as host, without a PIN.
 */
import { type ClientMessage, HOST_TICKET } from '../shared/protocol.js';

/** `malformed`: a `host=` that cannot be a ticket (cut short when copied, say): refused as a bad link. */
export type HostLink =
  | { readonly kind: 'none' }
  | { readonly kind: 'ticket'; readonly ticket: string }
  | { readonly kind: 'malformed' };

const TICKET = new RegExp(HOST_TICKET);

/** What a location's `hash` (`#host=<ticket>`, or anything else) holds. */
export function hostLinkFrom(hash: string): HostLink {
  const ticket = new URLSearchParams(hash.replace(/^#/, '')).get('host');
  if (ticket === null) return { kind: 'none' };
  return TICKET.test(ticket) ? { kind: 'ticket', ticket } : { kind: 'malformed' };
}

/** What a join offers to get in: the PIN typed ('' for none), or a host link's ticket instead. */
export type JoinKey = { readonly pin: string } | { readonly ticket: string };

/** The join message: never a PIN and a ticket together (the server refuses that). */
export function joinMessage(name: string, key: JoinKey): Extract<ClientMessage, { type: 'join' }> {
  if ('ticket' in key) return { type: 'join', name, ticket: key.ticket };
  return { type: 'join', name, ...(key.pin ? { pin: key.pin } : {}) };
}

/**
 * A ticket the page holds instead of a PIN: a host link's (`link`), or the rejoin token the server
 * gave a host in `joined` (`rejoin`); the pre-join form and a refusal say which.
 */
export interface HostKey {
  readonly ticket: string;
  readonly kind: 'link' | 'rejoin';
}

/**
 * What the page holds once joined: the rejoin token the server gave (hosts), or nothing (guests, a
 * server that made none, or something that cannot be sent as a ticket). The host link, if any, was
 * spent by the join.
 */
export function keyAfterJoined(rejoin: string | undefined): HostKey | null {
  return rejoin !== undefined && TICKET.test(rejoin) ? { ticket: rejoin, kind: 'rejoin' } : null;
}

/**
 * Whether the page still holds its rejoin token after the call ended for `reason` (endings.ts's
 * EndReason): after a lost connection or leaving, joining again is the point; replaced by a join with
 * it from another window, the server kept it, and Join again here is how the visitor moves back;
 * removed, or the room ended, cancelled or moved, the server has revoked it. (A string, so that this
 * module stays free of the DOM for the Node tests.)
 */
export function keepsRejoinAfter(reason: string): boolean {
  return reason === 'connectionLost' || reason === 'leftMeeting' || reason === 'replaced';
}

/**
 * Where the language switch leads (`path`: the page's path and query, the other language set): with a
 * host link's ticket not yet spent, back in the fragment, so that the page in the other language
 * takes it as this one did (the ticket came in the address bar and leaves it the same way). A rejoin
 * token is never put in an address: switching language after joining costs the host a PIN or a new
 * host link, as leaving the page would.
 */
export function languageSwitchTarget(path: string, key: HostKey | null): string {
  return key?.kind === 'link' ? `${path}#${new URLSearchParams({ host: key.ticket })}` : path;
}
