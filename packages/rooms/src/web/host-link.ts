/**
 * A host link: the join link with `#host=<ticket>`, opened from the Roomlink pane in Outlook. The
 * ticket rides in the fragment so that it never reaches a server log or a Referer; the page takes it
 * out of the address bar at once (so it is not bookmarked, shared or reloaded) and keeps it in memory
 * only, until it is spent (one join) or refused.
 *
 * Once in, a host (host link or host PIN) gets a rejoin token in `joined` instead: the page keeps
 * it, and joins again with it after a lost connection or leaving, as host, without a PIN. It keeps it
 * in the tab's sessionStorage as well (see RejoinKeyStore), so that a reload of the same tab comes
 * back as host too; never in localStorage, a cookie or the address.
 *
 * A guest gets a rejoin ticket of its own, in `joined`, or in `waiting` while in the lobby: it makes a
 * guest only, and only in this room, while the guest still qualifies (same guest PIN; past the lobby
 * only if a host let them through; one from the lobby brings them back to it). The page keeps that one
 * in the tab's sessionStorage too.
 */
import type { Language } from '../shared/language.js';
import { type ClientMessage, HOST_TICKET, REJOIN_GRACE_MS, type Role } from '../shared/protocol.js';

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

/**
 * The join message: never a PIN and a ticket together (the server refuses that). `language`: the one
 * the visitor chose on the page, if any (see ClientMessage).
 */
export function joinMessage(
  name: string,
  key: JoinKey,
  language: Language | null = null,
): Extract<ClientMessage, { type: 'join' }> {
  const chosen = language ? { language } : {};
  if ('ticket' in key) return { type: 'join', name, ticket: key.ticket, ...chosen };
  return { type: 'join', name, ...(key.pin ? { pin: key.pin } : {}), ...chosen };
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
 * What the page holds once joined as `role` (or waiting in the lobby, as guest): the rejoin token the
 * server gave, or nothing (a server that made none, or something that cannot be sent as a ticket).
 * The host link, if any, was spent by the join.
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

/** One entry per kind, so that a guest's ticket kept by an older page is still found. */
const STORED: Record<'rejoin' | 'guest', string> = {
  rejoin: 'roomlink.hostRejoin',
  guest: 'roomlink.guestRejoin',
};
const KINDS = ['rejoin', 'guest'] as const;

/** What an entry holds: `leftAt` (ms) once the page that kept it went away (see RejoinKeyStore.markLeft). */
interface Kept {
  readonly ticket: string;
  readonly leftAt?: number;
}

/**
 * The rejoin token (a host's) or ticket (a guest's) in the tab's sessionStorage: it survives a reload
 * of the page (and its language switch), never another tab opened by hand, and goes with the tab. One
 * entry, for one room: a token kept for another room (the tab went from one join link to another) is
 * not this room's. Only the token and its room's slug are kept: no name, no PIN. Storage that cannot
 * be used (blocked, full) keeps nothing: the visitor then comes back with the PIN, as before.
 *
 * Why a host's token may be kept there, when it gets past the PIN lockouts and a removal. What reads
 * sessionStorage is this origin's script in this tab, which could read the token from the page's
 * memory all the same (and the join page's CSP runs no inline or foreign script); other tabs, other
 * sites and other browser sessions never see it, and no request carries it. What it adds is time and
 * place: the token now outlives the page. The browser may write it to disk for session restore, copy
 * it into a tab duplicated or opened from this one, and bring it back with a closed tab reopened. That
 * is within reach of whoever uses this browser, who could as well press Join again in the open tab.
 * And the server never lets it be worth more than that: one room, until its closing time, revoked
 * when its host is removed or the room ends, stopped with the host PIN it came with (see
 * RejoinTokens), and a join with it only moves its one host (the other window is told `replaced`).
 * So the page takes it out of the tab as soon as it is no longer the visitor's to use: refused,
 * revoked (removed, the room ended or changed), and when the host presses Leave (see main.ts), so
 * that a host who left on purpose leaves nothing behind for the next person at this browser; it
 * stays over a reload, a lost connection, a language switch or a closed tab. The last is bounded:
 * the entry is stamped when its page goes away (markLeft), and one found more than REJOIN_GRACE_MS
 * after that (a closed tab reopened, a session restored) is discarded, as the server refuses a
 * token whose page went away that long ago. The server's bound also covers a page that never got to
 * stamp it (a crash); the stamp covers one whose connection was lost before the tab was closed, which
 * the server took for a lost network (the page still open, Join again), not for a page gone.
 */
export class RejoinKeyStore {
  constructor(
    private readonly storage: KeyStorage | null,
    private readonly slug: string,
  ) {}

  /**
   * The token kept for this room, if any, at `now` (ms); a host's first (the page never keeps both).
   * One whose page went away longer ago than REJOIN_GRACE_MS is taken out of the tab instead.
   */
  load(now: number = Date.now()): HostKey | null {
    return this.#load('rejoin', now) ?? this.#load('guest', now);
  }

  /**
   * The page is going away at `now` (ms) (pagehide: a reload, the language switch, a closed tab): the
   * token kept, if any, is stamped with it, unless it is already (the page was loaded from it and has
   * not joined since: the server counts from that first time too). Joining again keeps a new entry,
   * unstamped.
   */
  markLeft(now: number): void {
    for (const kind of KINDS) {
      const kept = this.#read(kind);
      if (kept === null || kept.leftAt !== undefined) continue;
      this.#write(kind, { slug: this.slug, ticket: kept.ticket, leftAt: now });
    }
  }

  /**
   * Keeps `key` if it is a rejoin token or a guest's ticket, and forgets the other kind; forgets both
   * for anything else (a host link's ticket, which one join spends, stays in memory only; null).
   */
  save(key: HostKey | null): void {
    for (const kind of KINDS) {
      if (key?.kind === kind) this.#write(kind, { slug: this.slug, ticket: key.ticket });
      else this.#remove(kind);
    }
  }

  #load(kind: 'rejoin' | 'guest', now: number): HostKey | null {
    const kept = this.#read(kind);
    if (kept === null) return null;
    // Either way round: a clock set back since must not keep it longer.
    if (kept.leftAt !== undefined && !(Math.abs(now - kept.leftAt) <= REJOIN_GRACE_MS)) {
      this.#remove(kind);
      return null;
    }
    return { ticket: kept.ticket, kind };
  }

  #read(kind: 'rejoin' | 'guest'): Kept | null {
    try {
      const kept = JSON.parse(this.storage?.getItem(STORED[kind]) ?? 'null') as unknown;
      if (typeof kept !== 'object' || kept === null) return null;
      const { slug, ticket, leftAt } = kept as { slug?: unknown; ticket?: unknown; leftAt?: unknown };
      if (slug !== this.slug || typeof ticket !== 'string' || !TICKET.test(ticket)) return null;
      if (leftAt === undefined) return { ticket };
      return typeof leftAt === 'number' && Number.isFinite(leftAt) ? { ticket, leftAt } : null;
    } catch {
      return null;
    }
  }

  #write(kind: 'rejoin' | 'guest', entry: { slug: string; ticket: string; leftAt?: number }): void {
    try {
      this.storage?.setItem(STORED[kind], JSON.stringify(entry));
    } catch {
      // Nothing kept: the visitor comes back with the PIN.
    }
  }

  #remove(kind: 'rejoin' | 'guest'): void {
    try {
      this.storage?.removeItem(STORED[kind]);
    } catch {
      // Blocked storage kept nothing to remove.
    }
  }
}

/**
 * Whether the page still holds its rejoin token (a host's or a guest's) after the call ended for
 * `reason` (endings.ts's EndReason): after a lost connection or leaving (a reload leaves too),
 * joining again is the point; replaced by a join with it from another window, the server kept it, and
 * Join again here is how the visitor moves back; removed, denied, or the room ended, cancelled,
 * changed or moved, the server has revoked it. (A host who pressed Leave keeps it in memory only,
 * for Join again on this page: see RejoinKeyStore.) (A string, so that this module stays free of the
 * DOM for the Node tests.)
 */
export function keepsRejoinAfter(reason: string): boolean {
  return reason === 'connectionLost' || reason === 'leftMeeting' || reason === 'replaced';
}

/**
 * Where the language switch leads (`path`: the page's path and query, the other language set): with a
 * host link's ticket not yet spent, back in the fragment, so that the page in the other language
 * takes it as this one did (the ticket came in the address bar and leaves it the same way). A rejoin
 * token is never put in an address: the page in the other language finds it in the tab's
 * sessionStorage (see RejoinKeyStore).
 */
export function languageSwitchTarget(path: string, key: HostKey | null): string {
  return key?.kind === 'link' ? `${path}#${new URLSearchParams({ host: key.ticket })}` : path;
}
