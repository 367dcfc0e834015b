/**
 * A host link: the join link with `#host=<ticket>`, opened from the Roomlink pane in Outlook. The
 * ticket rides in the fragment so that it never reaches a server log or a Referer; the page takes it
 * out of the address bar at once (so it is not bookmarked, shared or reloaded) and keeps it in memory
 * only, until it is spent (one join) or refused.
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
