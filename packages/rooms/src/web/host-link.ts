/**
 * A host link: the join link with `#host=<ticket>`, opened from the Roomlink pane in Outlook. The
 * ticket rides in the fragment so that it never reaches a server log or a Referer; the page takes it
 * out of the address bar at once (so it is not bookmarked, shared or reloaded) and keeps it in memory
 * only, until it is spent (one join) or refused.
 *
 * Once in, a host (host link or host PIN) gets a rejoin token in `joined` instead: the page keeps
 * that in memory (never in storage or the address), and joins again with it after a lost connection
 * or leaving, as host, without a PIN.
 *
 * A guest gets a rejoin ticket of its own in `joined`: it makes a guest only, and only in this room,
 * while the guest still qualifies (same guest PIN; past the lobby only if a host let them through). The
 * page keeps that one in the tab's sessionStorage as well (see GuestKeyStore), so that the same tab
 * comes back after a reload too; never in localStorage (other tabs, other sessions) or the address.
 */
import { type ClientMessage, HOST_TICKET, type Role } from '../shared/protocol.js';

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
 * A ticket the page holds instead of a PIN: a host link's (`link`), the rejoin token the server gave
 * a host in `joined` (`rejoin`), or the one it gave a guest (`guest`); the pre-join form and a refusal
 * say which.
 */
export interface HostKey {
  readonly ticket: string;
  readonly kind: 'link' | 'rejoin' | 'guest';
}

/**
 * What the page holds once joined as `role`: the rejoin token the server gave, or nothing (a server
 * that made none, or something that cannot be sent as a ticket). The host link, if any, was spent by
 * the join.
 */
export function keyAfterJoined(rejoin: string | undefined, role: Role): HostKey | null {
  if (rejoin === undefined || !TICKET.test(rejoin)) return null;
  return { ticket: rejoin, kind: role === 'host' ? 'rejoin' : 'guest' };
}

/** The part of the Web Storage API the page uses (sessionStorage), so that Node tests can fake it. */
export interface KeyStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

const GUEST_KEY = 'roomlink.guestRejoin';

/**
 * A guest's rejoin ticket in the tab's sessionStorage: it survives a reload of the page (and its
 * language switch), never another tab, and goes with the tab. One entry, for one room: a ticket kept
 * for another room (the tab went from one join link to another) is not this room's. Only the
 * ticket and its room's slug are kept: no name, no PIN. Storage that cannot be used (blocked, full)
 * keeps nothing: the guest then comes back with the PIN, as before.
 */
export class GuestKeyStore {
  constructor(
    private readonly storage: KeyStorage | null,
    private readonly slug: string,
  ) {}

  /** The guest's ticket kept for this room, if any. */
  load(): HostKey | null {
    try {
      const kept = JSON.parse(this.storage?.getItem(GUEST_KEY) ?? 'null') as unknown;
      if (typeof kept !== 'object' || kept === null) return null;
      const { slug, ticket } = kept as { slug?: unknown; ticket?: unknown };
      if (slug !== this.slug || typeof ticket !== 'string' || !TICKET.test(ticket)) return null;
      return { ticket, kind: 'guest' };
    } catch {
      return null;
    }
  }

  /** Keeps `key` if it is a guest's ticket; forgets what was kept otherwise (a host's is memory only). */
  save(key: HostKey | null): void {
    try {
      if (key?.kind === 'guest')
        this.storage?.setItem(GUEST_KEY, JSON.stringify({ slug: this.slug, ticket: key.ticket }));
      else this.storage?.removeItem(GUEST_KEY);
    } catch {
      // Nothing kept: the guest comes back with the PIN.
    }
  }
}

/**
 * Whether the page still holds its rejoin token (a host's or a guest's) after the call ended for
 * `reason` (endings.ts's EndReason): after a lost connection or leaving (a reload leaves too),
 * joining again is the point; replaced by a join with it from another window, the server kept it, and
 * Join again here is how the visitor moves back; removed, or the room ended, cancelled, changed or
 * moved, the server has revoked it. (A string, so that this module stays free of the DOM for the Node
 * tests.)
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
