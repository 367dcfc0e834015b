/**
 * The signalling protocol between the join page and the room server, shared by both sides.
 * Client messages have schemas because the server must not trust them; server messages are plain
 * types because the client only ever talks to its own origin.
 */
import { type Static, Type } from '@sinclair/typebox';
import { LANGUAGES } from './language.js';

export const LIMITS = {
  /** Display names are shown to everyone; long enough for "First Middle Last (Company)". */
  nameLength: 60,
  /** Roomlink issues 4-10 digit PINs; a little headroom, never more. */
  pinLength: 12,
  /** A host link's ticket (`v1.<key id>.<base64url>`) is ~150 characters; the core promises at most this. */
  ticketLength: 256,
  chatLength: 1000,
  /** Chat lines a participant may send at once, then `chatPerSecond` a second (`chat_rate_limited`). */
  chatBurst: 10,
  chatPerSecond: 1,
  /** A browser offer with two m-lines is 3-8 KB; ICE restarts and many codecs stay well under this. */
  sdpLength: 32 * 1024,
  candidateLength: 1024,
  /** Whole WebSocket frame; anything larger closes the connection. */
  messageBytes: 48 * 1024,
  /**
   * Whole frame from a socket not admitted yet (before `join`, or waiting in the lobby). The largest
   * join the schema takes has the longest name, PIN and ticket, every character written as a \uXXXX
   * escape (6 bytes): 46 bytes of keys and punctuation + 6 × (60 + 12 + 256) = 2,014 bytes (2,119
   * with the keys and "join" escaped too). Twice that, rounded up, so that no join a JSON encoder
   * could write is cut off; anything larger closes the connection.
   */
  joinMessageBytes: 4096,
} as const;

/**
 * How long a page that went away without `leave` (a reload, the language switch, a closed tab, a
 * crash: its socket closed) may come back with its rejoin token or guest's ticket, and how long a guest
 * it held in the lobby keeps their place there (still shown to the hosts) meanwhile. As long as the
 * server may keep showing a connection that died without a word (two missed heartbeats of 30 s): a
 * reload takes seconds, and a tab closed for good must not stay in the lobby, nor its token be good for
 * whoever reopens the tab later. Past it the token is refused, and the page discards one it kept longer.
 */
export const REJOIN_GRACE_MS = 60_000;

/** Server-issued participant ids: 16 hex characters (64 random bits). */
export const PARTICIPANT_ID = '^[0-9a-f]{16}$';

/**
 * A host link's ticket, as the core issues it (opaque to this package): it rides in the join link's
 * fragment (`#host=<ticket>`), so these characters need no escaping there or in JSON. A rejoin token
 * (see `joined`) fits it too and is sent the same way.
 */
export const HOST_TICKET = `^[A-Za-z0-9._-]{1,${LIMITS.ticketLength}}$`;

const Id = Type.String({ pattern: PARTICIPANT_ID });
const closed = { additionalProperties: false } as const;

const Description = Type.Object(
  {
    type: Type.Union([Type.Literal('offer'), Type.Literal('answer')]),
    sdp: Type.String({ minLength: 1, maxLength: LIMITS.sdpLength }),
  },
  closed,
);

const Candidate = Type.Object(
  {
    candidate: Type.String({ maxLength: LIMITS.candidateLength }),
    sdpMid: Type.Optional(Type.Union([Type.String({ maxLength: 64 }), Type.Null()])),
    sdpMLineIndex: Type.Optional(Type.Union([Type.Integer({ minimum: 0, maximum: 64 }), Type.Null()])),
    usernameFragment: Type.Optional(Type.Union([Type.String({ maxLength: 256 }), Type.Null()])),
  },
  closed,
);

export const SignalData = Type.Union([
  Type.Object({ description: Description }, closed),
  Type.Object({ candidate: Candidate }, closed),
]);
export type SignalData = Static<typeof SignalData>;

export const ClientMessage = Type.Union([
  Type.Object(
    {
      type: Type.Literal('join'),
      name: Type.String({ minLength: 1, maxLength: LIMITS.nameLength }),
      pin: Type.Optional(Type.String({ pattern: `^[0-9]{0,${LIMITS.pinLength}}$` })),
      /**
       * A host link's ticket, or a rejoin token from an earlier `joined` (a host's or a guest's),
       * instead of a PIN: a join with both a non-empty PIN and a ticket is refused.
       */
      ticket: Type.Optional(Type.String({ pattern: HOST_TICKET })),
      /**
       * The language the visitor chose on the join page (its `?lang=`, which the language switch
       * sets), for an external engine's page; absent when the page follows the browser's, as the
       * engine's page does by itself.
       */
      language: Type.Optional(Type.Union(LANGUAGES.map((language) => Type.Literal(language)))),
    },
    closed,
  ),
  Type.Object({ type: Type.Literal('signal'), to: Id, data: SignalData }, closed),
  Type.Object(
    { type: Type.Literal('chat'), text: Type.String({ minLength: 1, maxLength: LIMITS.chatLength }) },
    closed,
  ),
  Type.Object(
    { type: Type.Literal('media'), audio: Type.Boolean(), video: Type.Boolean(), screen: Type.Boolean() },
    closed,
  ),
  Type.Object(
    {
      type: Type.Union([
        Type.Literal('admit'),
        Type.Literal('deny'),
        Type.Literal('mute'),
        Type.Literal('remove'),
      ]),
      id: Id,
    },
    closed,
  ),
  /**
   * Leaving on purpose (the Leave button): out of the room, or of the lobby's line, at once. A page
   * going away (a reload, a closed tab) sends nothing and closes its socket: a guest waiting in the
   * lobby keeps their place for REJOIN_GRACE_MS, for the reload's join with their ticket.
   */
  Type.Object({ type: Type.Literal('leave') }, closed),
]);
export type ClientMessage = Static<typeof ClientMessage>;
export type HostAction = 'admit' | 'deny' | 'mute' | 'remove';

export type Role = 'host' | 'guest';

export interface MediaState {
  readonly audio: boolean;
  readonly video: boolean;
  readonly screen: boolean;
}

export interface PeerSummary extends MediaState {
  readonly id: string;
  readonly name: string;
  readonly role: Role;
}

export interface IceServer {
  readonly urls: string | readonly string[];
  readonly username?: string;
  readonly credential?: string;
}

/** Why the server will not let a client in; the page shows one message per reason. */
export type RefusalReason =
  | 'not_found'
  | 'cancelled'
  | 'not_yet_open'
  | 'closed'
  | 'room_full'
  /** Too many guests wait in the lobby already (the room itself may be empty). */
  | 'lobby_full'
  | 'locked'
  /** A host removed this client (address) from the call a short while ago; the host PIN still gets in. */
  | 'removed'
  /** A host turned this client (address) away from the lobby a short while ago; as `removed` otherwise. */
  | 'denied'
  | 'unavailable';

/** Recoverable problems: the connection stays open and the client may try again. */
export type ErrorCode =
  | 'wrong_pin'
  | 'pin_required'
  | 'invalid_message'
  | 'not_joined'
  | 'already_joined'
  | 'forbidden'
  | 'unknown_participant'
  | 'room_full'
  | 'rate_limited'
  /**
   * The host link's ticket was not issued for this meeting, has expired or was used already (or this
   * server cannot check tickets), or the rejoin token is another room's, past the room's closing time,
   * revoked (its holder was removed, the room closed, the host PIN it came with changed; a guest's: the
   * guest PIN changed or a lobby turned on that no host let its guest through), unused for
   * REJOIN_GRACE_MS after its page went away, or forgotten (a restart): nothing was counted against
   * the client; it may join with a PIN.
   */
  | 'host_link_invalid'
  /**
   * A chat message over the chat rate limit, or over the general ones (then at most 10 at once and
   * 1/s per socket; past that, `rate_limited`): it was not sent (`text` gives it back to its sender).
   */
  | 'chat_rate_limited';

export type ServerMessage =
  | {
      readonly type: 'joined';
      readonly id: string;
      readonly role: Role;
      readonly peers: readonly PeerSummary[];
      readonly iceServers: readonly IceServer[];
      readonly maxParticipants: number;
      /** Hosts only: who waits in the lobby. */
      readonly waiting?: readonly WaitingGuest[];
      /**
       * Hosts (by host PIN, host link or rejoin token): a rejoin token, 22 base64url characters
       * (128 random bits), that gets this host back into this room as host, as `ticket` in a later
       * `join`, without a PIN and past the PIN lockouts and a removal, as often as needed until the
       * room's closing time. The page keeps it in the tab's sessionStorage, so that a reload of that
       * tab comes back as host (host-link.ts says why that is no weaker), and drops it from there when
       * the host leaves. Absent when the server holds too many to make one more. Revoked when a host
       * removes this one, and when the room is closed; one got with the host PIN also stops when the
       * meeting's host PIN changes. Once the connection it was last handed to closed without `leave`
       * (its page went away), it is good for REJOIN_GRACE_MS more only (a guest's ticket too).
       *
       * Guests (admitted, straight in or from the lobby; one from the lobby gets back the ticket its
       * `waiting` brought, which now goes this far): a guest's rejoin ticket, the same shape, that
       * gets this guest back in as guest, as `ticket`, without the PIN and past the lobby a host let
       * them through, until the room's closing time; never past a removal or denial of their address,
       * nor a full room. The page keeps it in the tab's sessionStorage, so that a reload comes back.
       * Revoked when a host removes this one and when the room is closed; it stops when the guest PIN
       * changes (or one is asked) and when the lobby is turned on for a guest who did not pass it.
       */
      readonly rejoin?: string;
    }
  /**
   * In the lobby; sent again when a host comes or the last host leaves. `hostPresent` false: no host
   * is in the meeting to let anyone in yet.
   */
  | {
      readonly type: 'waiting';
      readonly hostPresent: boolean;
      /**
       * The first `waiting` only: a guest's rejoin ticket (as in `joined`) that gets this guest back to
       * the lobby, in their place while their old connection still waits there (its page gone without
       * `leave`: for REJOIN_GRACE_MS), as `ticket`, without the PIN; under the same name, with the id
       * the hosts already know them by, so that the hosts see no change; never past the lobby (a host
       * still lets them in), unless a host let them in meanwhile: then it goes as far as one from
       * `joined`. Revoked when a host denies or removes this one, and when the room is closed; it stops
       * when the guest PIN changes (or one is asked). Absent when the server holds too many to make one
       * more (the later `joined` may bring one).
       */
      readonly rejoin?: string;
    }
  /** Fresh STUN/TURN servers before the TURN credential from `joined` expires. */
  | { readonly type: 'ice-servers'; readonly iceServers: readonly IceServer[] }
  | { readonly type: 'lobby'; readonly waiting: readonly WaitingGuest[] }
  | { readonly type: 'peer-joined'; readonly peer: PeerSummary }
  | { readonly type: 'peer-left'; readonly id: string }
  | ({ readonly type: 'peer-media'; readonly id: string } & MediaState)
  | { readonly type: 'signal'; readonly from: string; readonly data: SignalData }
  | {
      readonly type: 'chat';
      readonly from: string;
      readonly name: string;
      /** The sender's role, from the PIN it joined with: a guest may take a host's name, not this. */
      readonly role: Role;
      readonly text: string;
      readonly at: string;
    }
  | { readonly type: 'mute-request' }
  | { readonly type: 'removed' }
  | { readonly type: 'denied' }
  /**
   * This participant's host (or guest) joined again with its rejoin token (another window, or after a
   * lost connection the server had not noticed yet): it left the room for that new join, and its socket
   * closes (CLOSE.replaced). The page says so and does not join again by itself, or two windows
   * would keep replacing each other.
   */
  | { readonly type: 'replaced' }
  /**
   * `changed`: the meeting's rules changed (guest PIN, lobby); join again under the new ones.
   * `moved`: the meeting (or this occurrence of a series) was moved or cancelled while the room was
   * live; `opensAt` (ISO 8601), when known, is when the room next opens.
   */
  | {
      readonly type: 'closed';
      readonly reason: 'cancelled' | 'ended' | 'changed' | 'moved';
      readonly opensAt?: string;
    }
  /**
   * The room runs on an external media engine: admitted by the same rules (PIN or host link, the
   * room's window), the participant goes to `url` (http(s)), the engine's address for them alone,
   * made for their role. The socket then closes (CLOSE.normal); nothing else follows.
   */
  | { readonly type: 'handoff'; readonly url: string }
  | {
      readonly type: 'refused';
      readonly reason: RefusalReason;
      /** not_yet_open: when the room opens (ISO 8601). */
      readonly opensAt?: string;
      /** locked: seconds until PINs are accepted again; removed, denied: until the client may join again. */
      readonly retryAfterSeconds?: number;
      /** room_full: the cap, so that the page can say it. */
      readonly maxParticipants?: number;
    }
  | {
      readonly type: 'error';
      readonly code: ErrorCode;
      /** wrong_pin: tries left before the lockout. */
      readonly remainingAttempts?: number;
      /** chat_rate_limited: the text that was not sent, back to the page that typed it. */
      readonly text?: string;
    };

export interface WaitingGuest {
  readonly id: string;
  readonly name: string;
}

/** GET /api/v1/rooms/:slug */
export type RoomStatus =
  | {
      readonly state: 'open' | 'not_yet_open';
      /** not_yet_open only. */
      readonly opensAt?: string;
      readonly guestPinRequired: boolean;
      readonly lobby: boolean;
      /**
       * True when the room runs on an external media engine (see `handoff`): the page asks for no
       * camera or microphone, which the engine's own page will.
       */
      readonly external?: boolean;
    }
  | { readonly state: 'closed' | 'cancelled' };

/** WebSocket close codes (4000-4999 are for applications). */
export const CLOSE = {
  normal: 1000,
  goingAway: 1001,
  unsupported: 1003,
  tooBig: 1009,
  removed: 4001,
  roomClosed: 4002,
  refused: 4003,
  denied: 4004,
  /** Its host or guest joined again with the rejoin token (see `replaced`): this socket is not to reconnect. */
  replaced: 4005,
  /** Protocol or policy violation: a message before `join`, too many invalid or refused messages, too many sockets. */
  policy: 4008,
  timeout: 4009,
} as const;
