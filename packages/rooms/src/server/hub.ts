/**
 * Live rooms and their signalling connections, in memory only. The hub admits people (PIN, window,
 * capacity, lobby), relays WebRTC signalling and chat between participants of the same room, and
 * lets hosts admit, mute and remove. It stamps every relayed message with the sender's id: a client
 * can never speak for someone else, and chat is never stored or logged.
 */
import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Language } from '../shared/language.js';
import {
  CLOSE,
  type ClientMessage,
  type ErrorCode,
  type HostAction,
  type IceServer,
  LIMITS,
  type MediaState,
  type PeerSummary,
  REJOIN_GRACE_MS,
  type RefusalReason,
  type Role,
  type ServerMessage,
  type WaitingGuest,
} from '../shared/protocol.js';
import { TokenBucket } from '../shared/token-bucket.js';
import { ConnectionBudget } from './connection-budget.js';
import type { HostTicketClaim, RoomDirectory, RoomInfo } from './directory.js';
import { EngineCalls } from './engine-calls.js';
import { type GuestStanding, GuestTickets } from './guest-tickets.js';
import { RejoinTokens, SpentTickets } from './host-tickets.js';
import type { PinGuard, RoomTry } from './lockout.js';
import { describeError as describe } from './log-safe.js';
import { cleanChat, cleanName, parseClientMessage } from './messages.js';
import type { ConnectionRefusal, RoomMetrics } from './metrics.js';
import { verifyPin } from './pin.js';
import { type RoomWindowPolicy, roomTiming } from './room-window.js';
import { iceServersFor, type TurnOptions, turnLifetime } from './turn.js';

export interface HubLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface HubOptions {
  readonly directory: RoomDirectory;
  readonly window: RoomWindowPolicy;
  readonly maxParticipants: number;
  readonly iceServers: readonly IceServer[];
  readonly turn: TurnOptions | undefined;
  readonly pins: PinGuard;
  readonly metrics: RoomMetrics;
  readonly now: () => Date;
  readonly logger: HubLogger;
  /** A socket that has not joined within this time is closed. */
  readonly joinTimeoutMs: number;
  /** Sockets that miss a ping for this long are dropped (their peers see them leave). */
  readonly heartbeatMs: number;
  /**
   * Signalling sockets one client may hold open (or have admitted and being upgraded) at once: past it,
   * admitConnection refuses the upgrade; accept closes (4008) a socket past it all the same.
   */
  readonly maxSocketsPerClient: number;
  /**
   * Every live room is checked against the directory this often: a meeting erased, cancelled, moved
   * or changed by another process (the CLI, retention, a second server) reaches its room within it.
   */
  readonly recheckMs: number;
  /** Live rejoin tokens remembered at most (see RejoinTokens); 10,000 unless told. */
  readonly rejoinCapacity?: number;
  /** Live guest rejoin tickets remembered at most (see GuestTickets); 10,000 unless told. */
  readonly guestTicketCapacity?: number;
  /** How long a page that went away may come back (see #wentAway); REJOIN_GRACE_MS unless told. */
  readonly rejoinGraceMs?: number;
}

/**
 * Whether a client may open another signalling socket now. If so, a place under its socket cap is held
 * for the upgrade until `settle()`: call it once the hub has the socket (accept) or the upgrade failed;
 * calls after the first do nothing. If not, why, and in how many seconds to try again.
 */
export type ConnectionAdmission = { readonly ok: true; readonly settle: () => void } | UpgradeRefusal;

/** What admitConnection would answer now (see peekConnection): a place is never held for it. */
export type ConnectionOutlook = { readonly ok: true } | UpgradeRefusal;

export interface UpgradeRefusal {
  readonly ok: false;
  readonly reason: Exclude<ConnectionRefusal, 'origin'>;
  readonly retryAfterSeconds: number;
}

type PeerState = 'connecting' | 'waiting' | 'joined' | 'gone';

interface Peer {
  /**
   * Set at accept; a guest back in the lobby under the name the hosts know takes their old connection's
   * id instead (see #wait), so that the hosts see the same guest.
   */
  id: string;
  readonly socket: WebSocket;
  readonly slug: string;
  readonly client: string;
  readonly messages: TokenBucket;
  readonly chats: TokenBucket;
  /** Chat lines refused by the general limits that may still come back with their text (CHAT_BOUNCE_*). */
  readonly chatBounces: TokenBucket;
  readonly joins: TokenBucket;
  /** Bytes of signalling this peer may still have relayed, per target id (see RELAY_BURST_BYTES). */
  readonly relayed: Map<string, TokenBucket>;
  state: PeerState;
  joining: boolean;
  name: string;
  role: Role;
  media: MediaState;
  room: LiveRoom | null;
  alive: boolean;
  /**
   * The hub gave up on its connection (no pong, a send queue too long): its page is still open as far
   * as anyone knows, unlike one whose socket closed by itself (see #onClose).
   */
  lost: boolean;
  /** The language the visitor chose on the join page, if any: an external engine's page gets it. */
  language: Language | null;
  /** Messages refused for a limit it may still have before it is disconnected (see MAX_DROPPED). */
  readonly dropped: TokenBucket;
  /**
   * Frames that were not valid messages (bad JSON or schema, or what its state does not allow) it may
   * still send before it is disconnected (see MAX_INVALID).
   */
  readonly invalid: TokenBucket;
  joinTimer: NodeJS.Timeout | undefined;
  /**
   * Guests: the guest PIN the room asked for when they got in (null: none). A guest whose PIN is no
   * longer the room's, or who got in without one, no longer qualifies (see #enforceRules).
   */
  guestPin: string | null;
  /** Guests: a host let them in from the lobby, so turning the lobby on later leaves them in. */
  admittedByHost: boolean;
  /** Re-issues the TURN credential before it expires (see TURN_RENEW_AT). */
  turnTimer: NodeJS.Timeout | undefined;
  /** A guest whose page went away, held in the lobby: when they leave it (see #wentAway). */
  graceTimer: NodeJS.Timeout | undefined;
  /**
   * The rejoin token sent in `joined` (or, to a guest in the lobby, in `waiting`), null for none: a
   * host's (see RejoinTokens) or a guest's (see GuestTickets), by its role.
   */
  rejoin: string | null;
}

interface LiveRoom {
  readonly slug: string;
  meetingId: string;
  closesAt: Date;
  readonly participants: Map<string, Peer>;
  readonly waiting: Map<string, Peer>;
  closeTimer: NodeJS.Timeout | undefined;
  /** Directory checks started for this room: only the latest one's answer is applied (see #recheck). */
  checks: number;
  /** Whether the guests waiting in the lobby were last told that a host is in the room. */
  hostPresent: boolean;
}

/** What one client (address) may send over all its sockets together (see CLIENT_BYTES_PER_SECOND). */
interface ClientBudget {
  readonly frames: TokenBucket;
  readonly bytes: TokenBucket;
  lastUsed: number;
}

/** A send queue larger than this means the client stopped reading; it is dropped, not buffered. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/**
 * Dropped (rate-limited) messages tolerated at once before the connection is closed; one more is
 * forgiven every second, so that a participant who now and then chats too fast is never disconnected
 * for it in a long meeting, while a client that keeps pushing past a limit is.
 */
const MAX_DROPPED = 100;
const DROPPED_FORGIVEN_PER_SECOND = 1;
/**
 * Invalid frames tolerated at once before the connection is closed: bad JSON or schema, and messages
 * the sender's state does not allow (`not_joined`, `forbidden`, `unknown_participant`,
 * `already_joined`), each parsed at the server's cost. The page sends none but for races (an ICE
 * candidate to someone who just left), so one more is forgiven every 30 seconds.
 */
const MAX_INVALID = 20;
const INVALID_FORGIVEN_PER_SECOND = 1 / 30;
/**
 * What one client (address; IPv6: the /64) may send over all its sockets together, before parsing:
 * frames and bytes. Each socket has its own limits, but up to maxSocketsPerClient sockets multiply
 * them. Generous for an office behind one address whose people all join calls at once (a newcomer's
 * negotiation with five others is ~150 frames and ~100 KB), far below what parsing costs the server.
 * Past it, the frame is refused (`rate_limited`, which counts towards that socket's disconnection).
 */
export const CLIENT_FRAMES_BURST = 2000;
export const CLIENT_FRAMES_PER_SECOND = 400;
export const CLIENT_BYTES_BURST = 2 * 1024 * 1024;
export const CLIENT_BYTES_PER_SECOND = 512 * 1024;
/**
 * A chat line refused by the general limits above (its socket's or its client's), which refuse frames
 * unparsed, comes back to its sender all the same, as one over the chat limit does
 * (`chat_rate_limited` with its text): nobody loses typed words without being told. For that, a
 * frame refused so is parsed after all, but only if it is a participant's, no larger than the largest
 * chat frame, holds `"type":"chat"` as the page writes it (so that refused ICE candidates spend
 * nothing), and its socket has a bounce left: 10 at once, then 1 a second, as many as the chat limit
 * lets a page send. A flood gets those back and `rate_limited` for the rest, as before; what comes
 * back is the text the frame carried, so never more bytes than came in (plus ~30).
 */
const CHAT_BOUNCE_BURST = LIMITS.chatBurst;
const CHAT_BOUNCE_PER_SECOND = LIMITS.chatPerSecond;
/** The largest chat frame the schema accepts, every character of its text a \uXXXX escape. */
const CHAT_FRAME_BYTES = Buffer.byteLength('{"type":"chat","text":""}') + 6 * LIMITS.chatLength;
const CHAT_MARK = Buffer.from('"type":"chat"');
/**
 * New signalling connections per client (address; IPv6: the /64), taken before the WebSocket
 * handshake: twice maxSocketsPerClient at once (an office at the socket cap whose connection dropped
 * reconnects at once, and everyone can still reload or try again), then a tenth of it a second (400
 * and 20/s by default: each socket the cap allows may reconnect every 10 s, for good). A page opens
 * one socket per join; one address churning a thousand a second gets 20 of them handshaken.
 */
export const NEW_SOCKETS_BURST_PER_SOCKET = 2;
export const NEW_SOCKETS_PER_SECOND_PER_SOCKET = 1 / 10;
/**
 * Retry-After for a client refused at its socket cap. A place frees only when one of its own sockets
 * closes, which the server cannot foresee (a page that leaves closes at once; a lost network is noticed
 * within two heartbeats), so no wait is exact: a short one lets a person who presses Join again in soon
 * after a place frees, and one more refusal costs no more than a routed request. Never less than the
 * wait its budget of new connections asks, or the retry would only be refused for that.
 */
export const SOCKET_CAP_RETRY_SECONDS = 5;
/** A client's budget unused this long has refilled completely: forgetting it changes nothing. */
const CLIENT_BUDGET_IDLE_MS =
  1000 *
  Math.max(CLIENT_FRAMES_BURST / CLIENT_FRAMES_PER_SECOND, CLIENT_BYTES_BURST / CLIENT_BYTES_PER_SECOND);
/**
 * Signalling bytes one participant may have relayed to one other, at once: a whole negotiation with
 * the largest SDP (32 KB) and its ICE candidates, twice over (an ICE restart). The message rate limit
 * alone would let one sender queue ~6 MB at one target, which got the target dropped as a slow reader.
 * The budget is per sender→target pair, not per sender: a newcomer offers to everyone present at once,
 * so a sender-wide budget would have to grow with the room and would then all fit into one target.
 * A sender's total stays bounded all the same: at most maxParticipants − 1 targets.
 */
const RELAY_BURST_BYTES = 128 * 1024;
/** Refill of that budget: renegotiations and late candidates, not a stream. */
const RELAY_BYTES_PER_SECOND = 16 * 1024;
/**
 * A target whose send queue is over this gets no more relayed signals (the sender is refused instead).
 * Well below MAX_BUFFERED_BYTES: what several senders relay, each within its budget, must never be
 * what makes the target's queue look like a slow reader's and gets the target dropped.
 */
const RELAY_MAX_QUEUED_BYTES = 256 * 1024;
/** setTimeout's limit is 2^31-1 ms; long rooms re-arm their closing timer. */
const MAX_TIMER_MS = 24 * 3600_000;
/**
 * A participant's TURN credential is re-issued at this fraction of its lifetime: the browser needs a
 * valid one to refresh its relays and to allocate new ones for newcomers, and the margin covers a
 * slow network and clock skew between this server and coturn.
 */
const TURN_RENEW_AT = 0.8;
/**
 * A TURN credential expires at the latest this long after its room's closing time (clock skew with
 * coturn; a room extended at the last minute renews its credentials at TURN_RENEW_AT all the same).
 * A credential cannot be revoked: this bounds how long one given to someone removed stays usable.
 */
export const TURN_AFTER_CLOSE_MS = 5 * 60_000;
/** How long a cancelled room refuses entry even if the directory has not caught up yet. */
const TOMBSTONE_MS = 5 * 60_000;
/**
 * How long a client (address) a host removed or denied is refused by that room without the host
 * PIN: long enough that removing someone is not undone by a reload, short enough that colleagues
 * behind the same address are not kept out of the meeting for long.
 */
export const REMOVED_MS = 10 * 60_000;
/** Bound on remembered removals (only hosts add them, but many rooms may): the oldest go first. */
const MAX_REMOVALS = 10_000;

/** Directory lookups one join makes at most while meetings keep changing under it. */
const MAX_LOOKUPS = 5;

/** What a join offers to get in: a PIN ('' for none), or a host link's ticket instead. */
type JoinKey = { readonly pin: string } | { readonly ticket: string };

/** What the hosts' rejoin tokens and the guests' rejoin tickets have in common. */
type Rejoins = Pick<RejoinTokens, 'renew' | 'revoke' | 'holder' | 'bind' | 'park'>;

const ADMISSIBLE: ConnectionOutlook = { ok: true };

const RATE_LIMITED: ServerMessage = { type: 'error', code: 'rate_limited' };

export class RoomHub {
  /** Counts recheckRoom calls (see #join). */
  #rechecks = 0;
  readonly #rooms = new Map<string, LiveRoom>();
  readonly #sockets = new Set<Peer>();
  /** Open sockets per client key; a client without any has no entry. */
  readonly #socketsPerClient = new Map<string, number>();
  /**
   * Upgrades admitted and not settled yet per client key (see admitConnection); none: no entry. They
   * count towards the socket cap: an app's own async hooks may hold an upgrade between admission and
   * accept, and several upgrades admitted meanwhile must not all get a place.
   */
  readonly #upgrading = new Map<string, number>();
  readonly #tombstones = new Map<string, number>();
  /** `slug\nclient` → until when that client is refused without the host PIN (see REMOVED_MS). */
  readonly #removed = new Map<string, { readonly until: number; readonly how: 'removed' | 'denied' }>();
  readonly #clientBudgets = new Map<string, ClientBudget>();
  /** Host links admitted once, until they expire (single use). */
  readonly #spentTickets: SpentTickets;
  /** What gets an admitted host back in as host after a lost connection (see RejoinTokens). */
  readonly #rejoins: RejoinTokens;
  /** What gets an admitted guest back in as guest after a lost connection (see GuestTickets). */
  readonly #guestTickets: GuestTickets;
  /** New connections per client (see NEW_SOCKETS_BURST_PER_SOCKET). */
  readonly #newSockets: ConnectionBudget;
  /** Calls on an external engine this hub sent people to, ended when their room closes early. */
  readonly #engineCalls: EngineCalls;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #sweep: NodeJS.Timeout;
  /** A sweep of the live rooms is under way (a slow directory must not have them pile up). */
  #sweeping = false;
  #closed = false;

  constructor(private readonly options: HubOptions) {
    this.#spentTickets = new SpentTickets(options.now().getTime());
    this.#rejoins = new RejoinTokens(options.rejoinCapacity);
    this.#guestTickets = new GuestTickets(options.guestTicketCapacity);
    this.#newSockets = new ConnectionBudget(
      options.maxSocketsPerClient * NEW_SOCKETS_BURST_PER_SOCKET,
      options.maxSocketsPerClient * NEW_SOCKETS_PER_SECOND_PER_SOCKET,
      () => options.now().getTime(),
    );
    this.#engineCalls = new EngineCalls({
      directory: options.directory,
      window: options.window,
      now: options.now,
      logger: options.logger,
      ended: (reason) => options.metrics.engineCallEnded(reason),
    });
    this.#heartbeat = setInterval(() => this.#beat(), options.heartbeatMs);
    this.#heartbeat.unref();
    this.#sweep = setInterval(() => void this.#recheckAll(), options.recheckMs);
    this.#sweep.unref();
  }

  /**
   * Before a signalling socket exists: whether `client` may open another one now, under its socket cap
   * (sockets open and upgrades admitted) and its budget of new connections (see
   * NEW_SOCKETS_BURST_PER_SOCKET). If not, why and the seconds until it may; the upgrade is to be
   * refused without a handshake.
   */
  admitConnection(client: string): ConnectionAdmission {
    // First, and with no token taken: a client refused at its cap keeps its budget for when a place frees.
    const full = this.#atSocketCap(client);
    if (full) {
      this.options.metrics.connectionRefused('socket_cap');
      this.options.logger.debug(
        { limit: this.options.maxSocketsPerClient },
        'too many sockets from one client',
      );
      return full;
    }
    if (!this.#newSockets.take(client)) {
      this.options.metrics.connectionRefused('connection_rate');
      this.options.logger.debug({}, 'new connections from one client too fast');
      return this.#tooOften(client);
    }
    this.#upgrading.set(client, (this.#upgrading.get(client) ?? 0) + 1);
    let held = true;
    const settle = () => {
      if (!held) return;
      held = false;
      const upgrading = (this.#upgrading.get(client) ?? 1) - 1;
      if (upgrading > 0) this.#upgrading.set(client, upgrading);
      else this.#upgrading.delete(client);
    };
    return { ok: true, settle };
  }

  /**
   * What admitConnection would answer `client` now, without taking anything: no place, no new
   * connection from its budget, no refusal counted or logged. A browser never sees why its upgrade
   * was refused, so its page asks this; asking must not be what gets it refused.
   */
  peekConnection(client: string): ConnectionOutlook {
    const full = this.#atSocketCap(client);
    if (full) return full;
    return this.#newSockets.canTake(client) ? ADMISSIBLE : this.#tooOften(client);
  }

  #atSocketCap(client: string): UpgradeRefusal | null {
    const held = (this.#socketsPerClient.get(client) ?? 0) + (this.#upgrading.get(client) ?? 0);
    if (held < this.options.maxSocketsPerClient) return null;
    const wait = Math.max(SOCKET_CAP_RETRY_SECONDS, this.#newSockets.retryAfterSeconds(client));
    return { ok: false, reason: 'socket_cap', retryAfterSeconds: wait };
  }

  #tooOften(client: string): UpgradeRefusal {
    const wait = Math.max(1, this.#newSockets.retryAfterSeconds(client));
    return { ok: false, reason: 'connection_rate', retryAfterSeconds: wait };
  }

  /** Takes a new signalling socket for the room `slug`; `client` keys PIN lockouts and the socket cap. */
  accept(socket: WebSocket, slug: string, client: string): void {
    // Each socket has its own join budget (directory lookups) and 10 minutes to use it: without a cap,
    // one client would multiply its lookups by opening more sockets. admitConnection refuses past the
    // cap before the handshake and counts upgrades in flight, so a socket it admitted always has its
    // place here; this guard is for a socket handed over without an admission.
    const open = this.#socketsPerClient.get(client) ?? 0;
    if (open >= this.options.maxSocketsPerClient) {
      this.options.metrics.connectionRefused('socket_cap');
      this.options.logger.debug(
        { limit: this.options.maxSocketsPerClient },
        'too many sockets from one client',
      );
      socket.on('error', () => socket.terminate());
      socket.close(CLOSE.policy, 'too many connections');
      return;
    }
    this.#socketsPerClient.set(client, open + 1);
    const clock = () => this.options.now().getTime();
    const peer: Peer = {
      id: randomBytes(8).toString('hex'),
      socket,
      slug,
      client,
      // Bursts of ICE candidates are normal; a steady flood is not.
      messages: new TokenBucket(200, 50, clock),
      chats: new TokenBucket(LIMITS.chatBurst, LIMITS.chatPerSecond, clock),
      chatBounces: new TokenBucket(CHAT_BOUNCE_BURST, CHAT_BOUNCE_PER_SECOND, clock),
      // Each join asks the directory: a few retries (wrong PIN, typo in the name), not a flood.
      joins: new TokenBucket(5, 0.5, clock),
      relayed: new Map(),
      state: 'connecting',
      joining: false,
      name: '',
      role: 'guest',
      language: null,
      media: { audio: false, video: false, screen: false },
      room: null,
      alive: true,
      lost: false,
      dropped: new TokenBucket(MAX_DROPPED, DROPPED_FORGIVEN_PER_SECOND, clock),
      invalid: new TokenBucket(MAX_INVALID, INVALID_FORGIVEN_PER_SECOND, clock),
      joinTimer: undefined,
      guestPin: null,
      admittedByHost: false,
      turnTimer: undefined,
      graceTimer: undefined,
      rejoin: null,
    };
    this.#sockets.add(peer);
    peer.joinTimer = setTimeout(() => {
      if (peer.state === 'connecting') this.#drop(peer, CLOSE.timeout, 'join timeout');
    }, this.options.joinTimeoutMs);
    peer.joinTimer.unref();
    socket.on('pong', () => {
      peer.alive = true;
    });
    socket.on('message', (data, isBinary) => this.#onMessage(peer, data as Buffer, isBinary));
    socket.on('close', () => this.#onClose(peer));
    socket.on('error', () => socket.terminate());
  }

  /**
   * Ends a room now: everyone in it (and waiting) is told why and disconnected. `key` is the room's
   * slug or its meeting id. A cancelled room also refuses joins for a few minutes even if the
   * directory still says "scheduled" (the core cancels the room before it commits the change).
   */
  closeRoom(key: string, reason: 'cancelled' | 'ended' = 'cancelled'): number {
    if (reason === 'cancelled') this.#tombstones.set(key, this.options.now().getTime() + TOMBSTONE_MS);
    // Live or not (its hosts may all have lost their connection): nobody comes back to it by token.
    this.#rejoins.revokeRoom(key);
    this.#guestTickets.revokeRoom(key);
    let disconnected = 0;
    for (const room of [...this.#rooms.values()]) {
      if (room.slug !== key && room.meetingId !== key) continue;
      disconnected += this.#endRoom(room, reason);
    }
    return disconnected;
  }

  /**
   * The meeting behind a room changed (times, guest PIN, lobby): the room is checked against the
   * directory now, not at its saved closing time. A room no longer open ends as at its closing time;
   * guests who no longer qualify (a guest PIN now asked or changed, a lobby turned on that they did not
   * pass) are disconnected, told to join again; hosts stay. `key` is the room's slug or meeting id.
   * Resolves to how many were disconnected; a directory failure changes nothing.
   */
  async recheckRoom(key: string): Promise<number> {
    // Joins whose directory lookup is in flight may hold an answer from before the change.
    this.#rechecks++;
    let disconnected = 0;
    for (const room of [...this.#rooms.values()]) {
      if (room.slug !== key && room.meetingId !== key) continue;
      disconnected += await this.#recheck(room);
    }
    await this.#engineCalls.check(key);
    return disconnected;
  }

  /** Closes every socket (server shutdown). */
  close(): void {
    this.#closed = true;
    clearInterval(this.#heartbeat);
    clearInterval(this.#sweep);
    for (const peer of [...this.#sockets]) {
      clearTimeout(peer.turnTimer);
      peer.socket.close(CLOSE.goingAway, 'server shutting down');
    }
    for (const room of this.#rooms.values()) {
      clearTimeout(room.closeTimer);
      for (const peer of room.waiting.values()) clearTimeout(peer.graceTimer);
    }
  }

  counts() {
    let participants = 0;
    let waiting = 0;
    for (const room of this.#rooms.values()) {
      participants += room.participants.size;
      waiting += room.waiting.size;
    }
    return { rooms: this.#rooms.size, participants, waiting, sockets: this.#sockets.size };
  }

  #onMessage(peer: Peer, data: Buffer, isBinary: boolean): void {
    if (peer.state === 'gone') return;
    if (isBinary) {
      this.#drop(peer, CLOSE.unsupported, 'text frames only');
      return;
    }
    // Until a host or the room lets it in, a socket has nothing to send but a small join (or leave):
    // anything bigger closes it before any budget is spent or answer sent.
    if (peer.state !== 'joined' && data.length > LIMITS.joinMessageBytes) {
      this.#drop(peer, CLOSE.tooBig, 'message too big');
      return;
    }
    // Every frame costs a token before it is parsed, valid or not: parsing 48 KiB is the expensive part.
    // Its socket's, and its client's over all its sockets (one address may hold many).
    if (!peer.messages.take() || !this.#spendClientBudget(peer.client, data.length)) {
      this.#limited(peer, () => this.#refusedUnparsed(peer, data));
      return;
    }
    const parsed = parseClientMessage(data);
    if (!parsed.ok) {
      if (parsed.reason === 'too_big') this.#drop(peer, CLOSE.tooBig, 'message too big');
      else this.#invalid(peer, 'invalid_message');
      return;
    }
    const message = parsed.message;
    // Before its join, a socket may only join (or leave): anything else is not the page talking.
    if (peer.state === 'connecting' && message.type !== 'join' && message.type !== 'leave') {
      this.#drop(peer, CLOSE.policy, 'join first');
      return;
    }
    if (message.type === 'chat' && !peer.chats.take()) {
      // Its own words back to the sender only, so that the page can keep them for another try.
      this.#limited(peer, { type: 'error', code: 'chat_rate_limited', text: message.text });
      return;
    }
    if (message.type === 'join' && !peer.joins.take()) {
      this.#limited(peer);
      return;
    }
    switch (message.type) {
      case 'join': {
        const key = joinKeyOf(message);
        if (!key) {
          this.#invalid(peer, 'invalid_message');
          return;
        }
        peer.language = message.language ?? null;
        void this.#join(peer, message.name, key).catch((error: unknown) => {
          this.options.logger.warn({ err: describe(error) }, 'room join failed');
          this.#refuse(peer, 'unavailable');
        });
        return;
      }
      case 'leave':
        this.#drop(peer, CLOSE.normal, 'left');
        return;
      case 'signal':
        this.#relaySignal(peer, message);
        return;
      case 'chat':
        this.#chat(peer, message.text);
        return;
      case 'media':
        this.#media(peer, message);
        return;
      default:
        this.#hostAction(peer, message.type, message.id);
    }
  }

  /** `round`: how many times the join started over for a meeting changed under it (see below). */
  async #join(peer: Peer, rawName: string, key: JoinKey, round = 1): Promise<void> {
    if (peer.state !== 'connecting' || peer.joining) return this.#invalid(peer, 'already_joined');
    const name = cleanName(rawName);
    if (name === '') return this.#error(peer, 'invalid_message');
    // A host link (or a rejoin token) makes a host, as the host PIN does: neither a removal nor the PIN
    // lockout keeps it out (whoever holds the join link can lock the room's PINs; the organizer must
    // still get in).
    if ('pin' in key) {
      // Without a PIN nobody is a host: a removed client is turned away before the directory is asked.
      if (key.pin === '' && this.#refusedAsRemoved(peer)) return;
      // Locked-out clients are turned away before the directory is asked: guessing costs no lookups.
      if (key.pin !== '' && this.#refusedAsLocked(peer)) return;
    }
    // A rejoin token or a guest's ticket is this hub's own: the directory is not asked about it.
    const hostLink =
      'ticket' in key && !this.#rejoins.has(key.ticket) && !this.#guestTickets.has(key.ticket)
        ? key.ticket
        : null;
    peer.joining = true;
    let info: RoomInfo | null;
    let claim: HostTicketClaim | null = null;
    try {
      info = await this.#lookUp(peer);
      if (info && hostLink !== null && peer.state === 'connecting') claim = await claimOf(info, hostLink);
    } finally {
      peer.joining = false;
    }
    if (peer.state !== 'connecting') return;
    if (!info) return this.#refuse(peer, 'not_found');

    const now = this.options.now();
    const timing = roomTiming(info, now, this.options.window);
    if (timing.state === 'cancelled' || this.#tombstoned(peer.slug, info.meetingId, now))
      return this.#refuse(peer, 'cancelled');
    if (timing.state === 'not_yet_open')
      return this.#refuse(
        peer,
        'not_yet_open',
        timing.opensAt ? { opensAt: timing.opensAt.toISOString() } : {},
      );
    if (timing.state === 'closed') return this.#refuse(peer, 'closed');

    // A PIN takes a try from the room's budget, shared by every process on the core's database,
    // before it is checked (see PinGuard.take): #roleByPin spends it or gives it back.
    let tried: RoomTry | undefined;
    if ('pin' in key && key.pin !== '') {
      const rechecks = this.#rechecks;
      peer.joining = true;
      try {
        tried = await this.options.pins.take(peer.slug, info.meetingId);
      } finally {
        peer.joining = false;
      }
      // As in #lookUp: a meeting changed meanwhile is looked up again (its try given back first).
      if (peer.state !== 'connecting' || (rechecks !== this.#rechecks && round < MAX_LOOKUPS)) {
        this.#giveBack(tried);
        return peer.state === 'connecting' ? this.#join(peer, rawName, key, round + 1) : undefined;
      }
    }

    // A rejoin token (a host coming back) or a guest's ticket (a guest coming back) is judged first;
    // any other ticket is a host link's. A guest's ticket is judged by the room's rules now: one whose
    // guest would no longer qualify (guest PIN changed, lobby turned on) is refused as a host's is.
    const rejoin =
      'ticket' in key ? this.#rejoins.judge(key.ticket, peer.slug, info.hostPin, now.getTime()) : 'unknown';
    if (rejoin === 'refused') return this.#error(peer, 'host_link_invalid');
    const guestBack =
      'ticket' in key && rejoin === 'unknown'
        ? this.#guestTickets.judge(key.ticket, peer.slug, info, now.getTime())
        : 'unknown';
    if (guestBack === 'refused') return this.#error(peer, 'host_link_invalid');
    const cameBack = rejoin === 'valid' || guestBack !== 'unknown';
    const role =
      rejoin === 'valid'
        ? 'host'
        : guestBack !== 'unknown'
          ? 'guest'
          : 'ticket' in key
            ? this.#hostByTicket(peer, claim, now)
            : this.#roleByPin(peer, info, key.pin, tried);
    if (role === null) return;
    if (info.handOff)
      return this.#handOff(peer, { ...info, handOff: info.handOff }, role, name, claim, timing.closesAt);
    // A guest's ticket never gets a client a host removed or denied back in (nor replaces anyone).
    if (role === 'guest' && this.#refusedAsRemoved(peer)) return;
    // A guest a host let in from the lobby comes back past it (the ticket says so); one who was
    // waiting in it comes back to it, as the PIN would bring them.
    const admittedByHost = guestBack !== 'unknown' && guestBack.admittedByHost;
    const ticket = cameBack && 'ticket' in key ? key.ticket : null;
    const ghost =
      ticket === null
        ? null
        : this.#ghostOf(role === 'host' ? this.#rejoins : this.#guestTickets, ticket, peer.slug);
    const place =
      ghost !== null && role === 'guest' && !admittedByHost ? this.#lobbyPlace(ghost, info) : null;
    // Any other ghost leaves before the room is taken: replacing its last participant may end it
    // (#liveRoom starts it again).
    if (ghost !== null && place === null) this.#replace(ghost);

    const room = this.#liveRoom(peer.slug, info, timing.closesAt);
    // A host (host PIN, host link or rejoin token) gets one seat past the cap: guests (or one client's
    // many sockets) filling the room must not keep out the one person who can remove them.
    const seats = this.options.maxParticipants + (role === 'host' ? 1 : 0);
    if (place === null && room.participants.size >= seats) {
      this.#dropIfEmpty(room);
      return this.#refuse(peer, 'room_full');
    }
    clearTimeout(peer.joinTimer);
    peer.name = name;
    peer.role = role;
    peer.room = room;
    peer.guestPin = role === 'guest' ? info.guestPin : null;
    peer.admittedByHost = admittedByHost;
    if (place !== null || (role === 'guest' && info.lobby && !admittedByHost))
      return this.#wait(room, peer, ticket, place);
    // Spent only now that the host is in: a refusal (timing, a full room) leaves the link usable.
    // Nothing was awaited since it was judged, so a second join with it cannot have got in meanwhile.
    if (rejoin !== 'valid' && claim) this.#spentTickets.spend(claim);
    if (role === 'host') peer.rejoin = this.#rejoinToken(peer, key, ticket, info, room, now);
    // The guest's ticket serves again (see #admit for how far it goes now).
    else if (ticket !== null) peer.rejoin = this.#reuse(this.#guestTickets, ticket, room, peer);
    this.#admit(room, peer);
  }

  /**
   * The room runs on an external engine: the participant, admitted by the rules every room follows
   * (PIN or host link, the window), leaves with the engine's address made for them and their role.
   * The hub holds no live room for it. A host link is spent once the address is made: a failure
   * leaves it usable, and a second join with it meanwhile is refused as spent.
   */
  async #handOff(
    peer: Peer,
    info: RoomInfo & Required<Pick<RoomInfo, 'handOff'>>,
    role: Role,
    name: string,
    claim: HostTicketClaim | null,
    closesAt: Date | null,
  ): Promise<void> {
    if (claim) this.#spentTickets.spend(claim);
    peer.joining = true;
    let url: string;
    try {
      url = await info.handOff({
        role,
        name,
        closesAt,
        ...(peer.language ? { language: peer.language } : {}),
      });
    } catch (error) {
      if (claim) this.#spentTickets.unspend(claim);
      this.options.logger.warn({ err: describe(error) }, 'room hand-off to its engine failed');
      return this.#refuse(peer, 'unavailable');
    } finally {
      peer.joining = false;
    }
    if (peer.state !== 'connecting') {
      if (claim) this.#spentTickets.unspend(claim);
      return;
    }
    clearTimeout(peer.joinTimer);
    // The engine's call now runs: once the room is no longer open (the meeting moved or cancelled,
    // its organisation gone, its window over), the call is ended (see EngineCalls).
    if (info.endEngineCall) this.#engineCalls.follow(peer.slug, info.meetingId, closesAt);
    this.options.metrics.handedOff(role);
    this.#send(peer, { type: 'handoff', url });
    this.#drop(peer, CLOSE.normal, 'handed off');
  }

  /**
   * Puts a guest in the room's lobby, with a ticket that gets them back to it (see GuestTickets): the
   * one they came back with, or a new one. A guest coming back takes the place of their ghost there
   * (`place`, their old connection, which leaves now): the hosts see them once, where they were, and
   * no lobby limit counts them twice. Anyone else waits last, if the lobby has room.
   */
  #wait(room: LiveRoom, peer: Peer, ticket: string | null, place: Peer | null): void {
    // The lobby is bounded like the room: a crowd at the door cannot exhaust the server.
    if (place === null && room.waiting.size >= this.options.maxParticipants) {
      peer.room = null;
      this.#dropIfEmpty(room);
      this.#refuse(peer, 'lobby_full');
      return;
    }
    this.#tellLobbyAboutHosts(room);
    peer.state = 'waiting';
    // Back under the name the hosts know them by, the guest is the row the hosts already have: the
    // old connection's id too, so that nothing changes for them (no second "is waiting", no row
    // replaced under a host's pointer, an Admit pressed meanwhile still lets them in). Under another
    // name, they are news, in that place.
    const unchanged = place !== null && place.name === peer.name;
    if (unchanged) peer.id = place.id;
    if (place !== null) {
      replaceInPlace(room.waiting, place.id, peer);
      // No longer in the lobby: its leaving is news to nobody.
      this.#replace(place);
    } else room.waiting.set(peer.id, peer);
    peer.rejoin =
      ticket !== null
        ? this.#reuse(this.#guestTickets, ticket, room, peer)
        : this.#guestTicket(room, peer, 'lobby');
    const rejoin = peer.rejoin !== null ? { rejoin: peer.rejoin } : {};
    this.#send(peer, { type: 'waiting', hostPresent: room.hostPresent, ...rejoin });
    if (!unchanged) this.#announceLobby(room);
  }

  /**
   * The room behind the peer's slug. A meeting changed while the directory was asked: its answer may
   * predate the change, which the recheck could not apply to this peer (not in the room yet), so it
   * is asked again.
   */
  async #lookUp(peer: Peer): Promise<RoomInfo | null> {
    for (let attempt = 1; ; attempt++) {
      const rechecks = this.#rechecks;
      const info = await this.options.directory.findBySlug(peer.slug);
      if (rechecks === this.#rechecks || attempt === MAX_LOOKUPS || peer.state !== 'connecting') return info;
    }
  }

  /**
   * The role a PIN grants ('' for none), or null once the peer has been told why it grants none. A PIN
   * comes with its try from the room's budget (`tried`), which this spends (wrong) or gives back.
   */
  #roleByPin(peer: Peer, info: RoomInfo, pin: string, tried: RoomTry | undefined): Role | null {
    if (pin === '') {
      if (verifyPin(info, '') !== 'pin_required') return 'guest';
      this.#error(peer, 'pin_required');
      return null;
    }
    // The room takes no PIN now (locked from any process), or its meeting is gone meanwhile.
    if (!tried?.taken) {
      if (tried && 'retryAfterMs' in tried)
        this.#refuse(peer, 'locked', { retryAfterSeconds: seconds(tried.retryAfterMs) });
      else this.#refuse(peer, 'not_found');
      return null;
    }
    // The client's own count again, after the lookup and the ledger: guesses sent at once on many
    // sockets all passed the first check.
    const mine = this.options.pins.clientState(peer.slug, peer.client);
    if (mine.locked) {
      this.#giveBack(tried);
      this.#refuse(peer, 'locked', { retryAfterSeconds: seconds(mine.retryAfterMs) });
      return null;
    }
    const verdict = verifyPin(info, pin);
    if (verdict === 'wrong_pin' || verdict === 'pin_required') {
      this.options.metrics.refused('wrong_pin');
      const outcome = this.options.pins.fail(peer.slug, peer.client, tried);
      if (outcome.locked) this.#refuse(peer, 'locked', { retryAfterSeconds: seconds(outcome.retryAfterMs) });
      else
        this.#send(peer, { type: 'error', code: 'wrong_pin', remainingAttempts: outcome.remainingAttempts });
      return null;
    }
    this.#refunded(this.options.pins.succeed(peer.slug, peer.client, verdict, tried));
    return verdict;
  }

  /** Gives back a PIN's try that was not checked (see PinGuard.settle). */
  #giveBack(tried: RoomTry | undefined): void {
    this.#refunded(this.options.pins.settle(tried));
  }

  /** Logs a try the ledger could not take back: it costs the room one try of its budget, no more. */
  #refunded(refund: Promise<void>): void {
    refund.catch((error: unknown) =>
      this.options.logger.warn({ err: describe(error) }, 'could not give a PIN try back to the room'),
    );
  }

  /**
   * Host, if the directory vouched for the ticket (`claim`) and it is neither expired (by this hub's
   * clock) nor spent; otherwise null, once the peer has been told. A bad ticket counts towards no
   * lockout: it is no PIN guess, and the page falls back to the PIN form.
   */
  #hostByTicket(peer: Peer, claim: HostTicketClaim | null, now: Date): Role | null {
    const verdict = claim ? this.#spentTickets.judge(claim, now.getTime()) : 'invalid';
    if (verdict === 'valid') return 'host';
    if (verdict === 'full')
      this.options.logger.warn(
        { limit: this.#spentTickets.size },
        'too many host links spent to remember one more',
      );
    // Says why an organizer right after a restart was sent to the PIN form.
    if (verdict === 'before_start')
      this.options.logger.debug({}, 'host link made before this process started refused');
    this.#error(peer, 'host_link_invalid');
    return null;
  }

  /**
   * The rejoin token for a host being admitted: the one it came back with (`cameBackWith`, reusable),
   * or a new one; null when the hub holds too many to make one.
   */
  #rejoinToken(
    peer: Peer,
    key: JoinKey,
    cameBackWith: string | null,
    info: RoomInfo,
    room: LiveRoom,
    now: Date,
  ): string | null {
    if (cameBackWith !== null) return this.#reuse(this.#rejoins, cameBackWith, room, peer);
    // One made for the host PIN lasts only as long as that PIN (see RejoinTokens).
    const hostPin = 'pin' in key ? info.hostPin : null;
    const until = room.closesAt.getTime();
    const token = this.#rejoins.issue(peer.slug, info.meetingId, hostPin, until, now.getTime(), peer.id);
    if (token === null)
      this.options.logger.warn({ limit: this.#rejoins.size }, 'too many rejoin tokens to make one more');
    return token;
  }

  /**
   * A host (or guest) came back with `token` (from `tokens`): the participant (or lobby waiter) it was
   * last handed to, if still in the room `slug`, is its old connection, which the hub may take up to
   * two heartbeats to find dead, or another window. Left in, it would hold a seat (a full room would
   * refuse its own participant) or a place in the lobby, the others would see them twice, and a guest
   * would be sent back to the lobby. A host link or a PIN belongs to no participant: only a rejoin
   * token (or a guest's ticket) finds anyone.
   */
  #ghostOf(tokens: Rejoins, token: string, slug: string): Peer | null {
    const holder = tokens.holder(token);
    const room = this.#rooms.get(slug);
    if (holder === null || !room) return null;
    const old = room.participants.get(holder) ?? room.waiting.get(holder);
    return old !== undefined && old.rejoin === token ? old : null;
  }

  /**
   * Whether a guest coming back as far as the lobby takes the place of `ghost`, their old connection:
   * if it still waits there and they would not walk in now (the lobby is on, or no seat is free), so
   * that they wait where they were, never behind themselves (see #wait).
   */
  #lobbyPlace(ghost: Peer, info: RoomInfo): Peer | null {
    const room = ghost.room;
    if (ghost.state !== 'waiting' || room === null) return null;
    return info.lobby || room.participants.size >= this.options.maxParticipants ? ghost : null;
  }

  /**
   * The old connection of a participant (or waiter) who came back with its token leaves as on a
   * `leave`, and is told why first, so that its page does not join again by itself and take the seat
   * back.
   */
  #replace(old: Peer): void {
    this.#send(old, { type: 'replaced' });
    this.#drop(old, CLOSE.replaced, 'replaced');
  }

  /**
   * The rejoin token (or guest's ticket) `token`, from `tokens`, that `peer` came back with serves
   * again: now good until the room's current closing time, and held by `peer` (the next join with it
   * replaces this connection).
   */
  #reuse(tokens: Rejoins, token: string, room: LiveRoom, peer: Peer): string {
    tokens.renew(token, room.closesAt.getTime());
    tokens.bind(token, peer.id);
    return token;
  }

  /** A host removed or denied the peer: its token (or ticket) gets nobody back in, from any address. */
  #revokeRejoin(peer: Peer): void {
    if (peer.rejoin !== null) this.#rejoinsOf(peer).revoke(peer.rejoin);
    peer.rejoin = null;
  }

  /** The room's closing time changed: the rejoin tokens (and tickets) of those in it (and its lobby) follow. */
  #renewRejoins(room: LiveRoom): void {
    for (const peer of [...room.participants.values(), ...room.waiting.values()])
      if (peer.rejoin !== null) this.#rejoinsOf(peer).renew(peer.rejoin, room.closesAt.getTime());
  }

  /** Where the peer's rejoin token lives: with the hosts' or with the guests' (see Peer.rejoin). */
  #rejoinsOf(peer: Peer): Rejoins {
    return peer.role === 'host' ? this.#rejoins : this.#guestTickets;
  }

  /**
   * A new ticket for a guest waiting in the lobby or being admitted (see GuestTickets), bound to the
   * guest PIN it came in with and to how far it got; null when the hub holds too many to make one.
   */
  #guestTicket(room: LiveRoom, peer: Peer, standing: GuestStanding): string | null {
    const ticket = this.#guestTickets.issue(
      {
        slug: room.slug,
        meetingId: room.meetingId,
        guestPin: peer.guestPin,
        standing,
        until: room.closesAt.getTime(),
        participant: peer.id,
      },
      this.options.now().getTime(),
      (id) => room.participants.has(id) || room.waiting.has(id),
    );
    if (ticket === null)
      this.options.logger.warn({ limit: this.#guestTickets.size }, 'too many guest tickets to make one more');
    return ticket;
  }

  #admit(room: LiveRoom, peer: Peer): void {
    // Every guest admitted (straight in, from the lobby, or as the lobby is turned off) gets a ticket
    // that goes as far; one from the lobby goes as far from now on, so that a guest a host let in
    // while their connection was dead (their ghost admitted) still comes back in with it.
    if (peer.role === 'guest') {
      const standing = peer.admittedByHost ? 'letIn' : 'walkedIn';
      if (peer.rejoin === null) peer.rejoin = this.#guestTicket(room, peer, standing);
      else this.#guestTickets.passed(peer.rejoin, standing);
    }
    room.waiting.delete(peer.id);
    room.participants.set(peer.id, peer);
    peer.state = 'joined';
    const peers = [...room.participants.values()].filter((p) => p !== peer).map(summary);
    const now = this.options.now();
    this.#send(peer, {
      type: 'joined',
      id: peer.id,
      role: peer.role,
      peers,
      iceServers: iceServersFor(this.options.iceServers, this.options.turn, now, peer.id, turnEnd(room)),
      maxParticipants: this.options.maxParticipants,
      ...(peer.role === 'host' ? { waiting: waitingList(room) } : {}),
      ...(peer.rejoin !== null ? { rejoin: peer.rejoin } : {}),
    });
    this.#armTurnRenewal(peer, now, room);
    this.#broadcast(room, { type: 'peer-joined', peer: summary(peer) }, peer);
    this.options.metrics.joined(peer.role);
    if (peer.role === 'host') this.#tellLobbyAboutHosts(room);
  }

  /** Re-issues the credential given at `issuedAt` at TURN_RENEW_AT of the lifetime it was given. */
  #armTurnRenewal(peer: Peer, issuedAt: Date, room: LiveRoom): void {
    const turn = this.options.turn;
    if (!turn || turn.urls.length === 0) return;
    clearTimeout(peer.turnTimer);
    const lifetime = turnLifetime(turn.ttlSeconds, issuedAt, turnEnd(room));
    peer.turnTimer = setTimeout(
      () => {
        const current = peer.room;
        if (peer.state !== 'joined' || !current) return;
        const now = this.options.now();
        const iceServers = iceServersFor(this.options.iceServers, turn, now, peer.id, turnEnd(current));
        this.#send(peer, { type: 'ice-servers', iceServers });
        this.#armTurnRenewal(peer, now, current);
      },
      lifetime * 1000 * TURN_RENEW_AT,
    );
    peer.turnTimer.unref();
  }

  #relaySignal(peer: Peer, message: Extract<ClientMessage, { type: 'signal' }>): void {
    const room = this.#joinedRoom(peer);
    if (!room) return;
    const target = room.participants.get(message.to);
    if (!target || target === peer) {
      this.#invalid(peer, 'unknown_participant');
      return;
    }
    const signal: ServerMessage = { type: 'signal', from: peer.id, data: message.data };
    const frame = JSON.stringify(signal);
    // Too much for the target is charged to the sender, as a rate-limited message: the target is never
    // dropped (as a slow reader) for what someone else sends it.
    if (
      target.socket.bufferedAmount > RELAY_MAX_QUEUED_BYTES ||
      !this.#relayBudget(peer, target.id).take(Buffer.byteLength(frame))
    ) {
      this.#limited(peer);
      return;
    }
    this.#sendFrame(target, frame);
  }

  #relayBudget(peer: Peer, targetId: string): TokenBucket {
    let budget = peer.relayed.get(targetId);
    if (!budget) {
      budget = new TokenBucket(RELAY_BURST_BYTES, RELAY_BYTES_PER_SECOND, () => this.options.now().getTime());
      peer.relayed.set(targetId, budget);
    }
    return budget;
  }

  #chat(peer: Peer, raw: string): void {
    const room = this.#joinedRoom(peer);
    if (!room) return;
    const text = cleanChat(raw);
    if (text === '') {
      this.#invalid(peer, 'invalid_message');
      return;
    }
    const at = this.options.now().toISOString();
    this.#broadcast(room, { type: 'chat', from: peer.id, name: peer.name, role: peer.role, text, at });
  }

  #media(peer: Peer, media: MediaState): void {
    const room = this.#joinedRoom(peer);
    if (!room) return;
    peer.media = { audio: media.audio, video: media.video, screen: media.screen };
    this.#broadcast(room, { type: 'peer-media', id: peer.id, ...peer.media }, peer);
  }

  #hostAction(peer: Peer, action: HostAction, targetId: string): void {
    const room = this.#joinedRoom(peer);
    if (!room) return;
    if (peer.role !== 'host') {
      this.#invalid(peer, 'forbidden');
      return;
    }
    const waiting = room.waiting.get(targetId);
    const joined = room.participants.get(targetId);
    switch (action) {
      case 'admit':
        if (!waiting) {
          this.#invalid(peer, 'unknown_participant');
          return;
        }
        // A tab of a client kept out since it came to the lobby (see #refuseKeptOut) is turned away as
        // its join would be now; the host, who may know it by another name, is told it is not there.
        if (this.#refusedAsRemoved(waiting)) {
          this.#error(peer, 'unknown_participant');
          return;
        }
        if (room.participants.size >= this.options.maxParticipants) {
          this.#error(peer, 'room_full');
          return;
        }
        waiting.admittedByHost = true;
        this.#admit(room, waiting);
        this.#announceLobby(room);
        return;
      case 'deny':
        if (!waiting) {
          this.#invalid(peer, 'unknown_participant');
          return;
        }
        this.#keepOut(waiting, 'denied');
        // Its lobby ticket brings it back to no lobby, from any address.
        this.#revokeRejoin(waiting);
        this.#send(waiting, { type: 'denied' });
        this.#drop(waiting, CLOSE.denied, 'denied');
        this.#refuseKeptOut(room, waiting.client);
        return;
      case 'mute':
        if (!joined || joined === peer) {
          this.#invalid(peer, 'unknown_participant');
          return;
        }
        this.#send(joined, { type: 'mute-request' });
        return;
      case 'remove': {
        const target = joined ?? waiting;
        if (!target || target === peer) {
          this.#invalid(peer, 'unknown_participant');
          return;
        }
        this.#keepOut(target, 'removed');
        // A host may remove another host: the removed one must not come back as host on its token;
        // nor a removed guest on its ticket (from another address), nor a waiting one to the lobby.
        this.#revokeRejoin(target);
        this.#send(target, { type: 'removed' });
        this.#drop(target, CLOSE.removed, 'removed');
        this.#refuseKeptOut(room, target.client);
        return;
      }
    }
  }

  /** A removed or denied client: its address is refused by this room for a while (REMOVED_MS). */
  #keepOut(peer: Peer, how: 'removed' | 'denied'): void {
    const key = `${peer.slug}\n${peer.client}`;
    this.#removed.delete(key);
    if (this.#removed.size >= MAX_REMOVALS) {
      const oldest = this.#removed.keys().next();
      if (!oldest.done) this.#removed.delete(oldest.value);
    }
    this.#removed.set(key, { until: this.options.now().getTime() + REMOVED_MS, how });
  }

  /**
   * The client's other tabs waiting in the room's lobby, once a host removed or denied it: each is
   * refused as its join would be now (`removed` or `denied`, with the time left), or a host admitting
   * one, under another name, would let that client back in at once.
   */
  #refuseKeptOut(room: LiveRoom, client: string): void {
    for (const peer of [...room.waiting.values()]) if (peer.client === client) this.#refusedAsRemoved(peer);
  }

  /**
   * Refuses the peer if its client may not give PINs for this room now, as far as this process knows
   * (see PinGuard.state); says whether.
   */
  #refusedAsLocked(peer: Peer): boolean {
    const lock = this.options.pins.state(peer.slug, peer.client);
    if (lock.locked) this.#refuse(peer, 'locked', { retryAfterSeconds: seconds(lock.retryAfterMs) });
    return lock.locked;
  }

  /** Refuses the peer if a host removed or denied its client from this room lately; says whether. */
  #refusedAsRemoved(peer: Peer): boolean {
    const key = `${peer.slug}\n${peer.client}`;
    const kept = this.#removed.get(key);
    if (kept === undefined) return false;
    const left = kept.until - this.options.now().getTime();
    if (left <= 0) {
      this.#removed.delete(key);
      return false;
    }
    // A tab of that client waiting in the lobby is turned away as it was: its ticket goes too.
    this.#revokeRejoin(peer);
    // Told apart so that a guest never let in is not told they were removed from the call.
    this.#refuse(peer, kept.how, { retryAfterSeconds: seconds(left) });
    return true;
  }

  #onClose(peer: Peer): void {
    clearTimeout(peer.joinTimer);
    // Still in the room or its lobby: not a `leave`, nor a verdict of the hub's (both take the peer
    // out first). Unless the hub gave up on the connection, its page closed it going away.
    if (!peer.lost && (peer.state === 'joined' || peer.state === 'waiting')) this.#wentAway(peer);
    else this.#leave(peer);
    if (!this.#sockets.delete(peer)) return;
    const open = (this.#socketsPerClient.get(peer.client) ?? 1) - 1;
    if (open > 0) this.#socketsPerClient.set(peer.client, open);
    else this.#socketsPerClient.delete(peer.client);
  }

  /**
   * The page of `peer`, in the room or its lobby, went away without `leave`: a reload or the language
   * switch, whose page joins again at once with the token, or a closed tab or a crash, which do not
   * come back (the hub cannot tell them apart). Its token gets it back for the grace only (see
   * RoomTokens.park). A guest waiting in the lobby with a ticket keeps their place, shown to the hosts
   * as before, for as long, as a connection that died without a word would: their join with the ticket
   * takes it back (see #wait), or they leave the lobby then. The call holds nothing: the others see the
   * participant leave at once, as on `leave`.
   */
  #wentAway(peer: Peer): void {
    const grace = this.options.rejoinGraceMs ?? REJOIN_GRACE_MS;
    if (peer.rejoin !== null)
      this.#rejoinsOf(peer).park(peer.rejoin, peer.id, this.options.now().getTime() + grace);
    if (peer.state !== 'waiting' || peer.rejoin === null) {
      this.#leave(peer);
      return;
    }
    clearTimeout(peer.graceTimer);
    peer.graceTimer = setTimeout(() => this.#leave(peer), grace);
    peer.graceTimer.unref();
  }

  #leave(peer: Peer): void {
    clearTimeout(peer.turnTimer);
    clearTimeout(peer.graceTimer);
    const room = peer.room;
    const state = peer.state;
    peer.state = 'gone';
    peer.room = null;
    if (!room) return;
    // Only its own entry: a guest back in the lobby may hold its id already (see #wait).
    if (state === 'joined' && room.participants.get(peer.id) === peer) {
      room.participants.delete(peer.id);
      // Budgets for an id that is gone would never be used again (ids are not reused).
      for (const other of room.participants.values()) other.relayed.delete(peer.id);
      this.options.metrics.left();
      this.#broadcast(room, { type: 'peer-left', id: peer.id });
      if (peer.role === 'host') this.#tellLobbyAboutHosts(room);
    } else if (state === 'waiting' && room.waiting.get(peer.id) === peer) {
      room.waiting.delete(peer.id);
      this.#announceLobby(room);
    }
    this.#dropIfEmpty(room);
  }

  #liveRoom(slug: string, info: RoomInfo, closesAt: Date): LiveRoom {
    let room = this.#rooms.get(slug);
    if (!room) {
      room = {
        slug,
        meetingId: info.meetingId,
        closesAt,
        participants: new Map(),
        waiting: new Map(),
        closeTimer: undefined,
        checks: 0,
        hostPresent: false,
      };
      this.#rooms.set(slug, room);
    }
    // The meeting may have moved since the room went live: the latest times win.
    room.meetingId = info.meetingId;
    if (room.closeTimer === undefined || room.closesAt.getTime() !== closesAt.getTime()) {
      room.closesAt = closesAt;
      this.#armCloseTimer(room);
      this.#renewRejoins(room);
    }
    return room;
  }

  #armCloseTimer(room: LiveRoom): void {
    clearTimeout(room.closeTimer);
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, room.closesAt.getTime() - this.options.now().getTime()));
    room.closeTimer = setTimeout(() => {
      if (this.options.now() >= room.closesAt) void this.#recheck(room);
      else this.#armCloseTimer(room);
    }, delay);
    room.closeTimer.unref();
  }

  /**
   * Asks the directory whether the room is still open, and under which rules: at the saved closing
   * time, after a change, and on the periodic sweep. At the saved closing time the end saved when the
   * room went live may be stale: the meeting may since have been extended (or an occurrence moved
   * later), so the room ends only if the directory says so, or cannot answer (the saved end stands).
   * Before it, a failed lookup leaves the room as it was: the sweep and the closing time ask again.
   *
   * Checks of one room may overlap (two quick changes, a change during the sweep) and their lookups
   * answer in any order: only the check started last is applied, an earlier one's answer may predate
   * a change the later one saw. (The later one also takes over an earlier one's closing-time duty:
   * which of them it was, the clock says.)
   */
  async #recheck(room: LiveRoom): Promise<number> {
    room.checks += 1;
    const check = room.checks;
    let timing: ReturnType<typeof roomTiming> | null = null;
    let info: RoomInfo | null = null;
    let failed = false;
    try {
      info = await this.options.directory.findBySlug(room.slug);
      if (info) timing = roomTiming(info, this.options.now(), this.options.window);
    } catch (error) {
      if (check !== room.checks) return 0;
      this.options.logger.warn({ err: describe(error) }, 'room directory failed while checking a live room');
      failed = true;
    }
    // Everyone may have left, or the hub shut down, while the directory answered; or a later check
    // of this room started meanwhile, and its answer is the one that counts.
    if (this.#closed || this.#rooms.get(room.slug) !== room || check !== room.checks) return 0;
    const now = this.options.now();
    if (failed) return now >= room.closesAt ? this.#endRoom(room, 'ended') : 0;
    // Gone from the directory: the meeting was deleted (erased, offboarded), as good as cancelled.
    if (!info || timing?.state === 'cancelled' || this.#tombstoned(room.slug, info.meetingId, now))
      return this.#endRoom(room, 'cancelled');
    if (timing?.state === 'open' && timing.closesAt > now) {
      room.meetingId = info.meetingId;
      // Earlier too: a meeting shortened while live ends at its new time.
      room.closesAt = timing.closesAt;
      this.#armCloseTimer(room);
      this.#renewRejoins(room);
      return this.#enforceRules(room, info);
    }
    // Not open before its saved closing time: the meeting (or this occurrence) was moved or cancelled.
    // At that time, it simply ended (a series' next occurrence is another day).
    if (timing?.state === 'not_yet_open' && now < room.closesAt)
      return this.#endRoom(room, 'moved', timing.opensAt);
    return this.#endRoom(room, 'ended');
  }

  /**
   * Guests let in under rules the room no longer has are disconnected, told that the meeting changed:
   * they join again under the new ones (PIN, lobby). Hosts are never affected. A guest waiting in the
   * lobby stays there unless a guest PIN it did not give is now needed; with the lobby turned off,
   * those waiting walk in as newcomers now would, while there are seats (the others keep waiting for
   * a host, or a seat), and those of a client a host removed or denied lately are refused so.
   */
  #enforceRules(room: LiveRoom, info: RoomInfo): number {
    const out = [...room.participants.values(), ...room.waiting.values()].filter((peer) => {
      if (peer.role === 'host') return false;
      const pinOk = info.guestPin === null || peer.guestPin === info.guestPin;
      const lobbyOk = peer.state === 'waiting' || !info.lobby || peer.admittedByHost;
      return !(pinOk && lobbyOk);
    });
    // Their tickets, and those of guests gone meanwhile who would not qualify either, stop now: the
    // rules changing back later does not revive them.
    this.#guestTickets.enforce(room.slug, info);
    for (const peer of out) this.#send(peer, { type: 'closed', reason: 'changed' });
    for (const peer of out) this.#drop(peer, CLOSE.roomClosed, 'changed');
    let refused = 0;
    if (!info.lobby && room.waiting.size > 0 && this.#rooms.get(room.slug) === room) {
      let admitted = 0;
      for (const peer of [...room.waiting.values()]) {
        // A client a host removed or denied is refused, as its join would be (see #refuseKeptOut).
        if (this.#refusedAsRemoved(peer)) {
          refused += 1;
          continue;
        }
        if (room.participants.size >= this.options.maxParticipants) break;
        this.#admit(room, peer);
        admitted += 1;
      }
      if (admitted > 0) this.#announceLobby(room);
    }
    return out.length + refused;
  }

  #endRoom(room: LiveRoom, reason: 'cancelled' | 'ended' | 'moved', opensAt: Date | null = null): number {
    const everyone = [...room.participants.values(), ...room.waiting.values()];
    const message: ServerMessage =
      reason === 'moved' && opensAt
        ? { type: 'closed', reason, opensAt: opensAt.toISOString() }
        : { type: 'closed', reason };
    // Everyone hears why before anyone is seen leaving.
    for (const peer of everyone) this.#send(peer, message);
    for (const peer of everyone) {
      if (peer.state === 'joined') this.options.metrics.left();
      clearTimeout(peer.turnTimer);
      clearTimeout(peer.graceTimer);
      peer.state = 'gone';
      peer.room = null;
      peer.socket.close(CLOSE.roomClosed, reason);
    }
    room.participants.clear();
    room.waiting.clear();
    clearTimeout(room.closeTimer);
    if (this.#rooms.get(room.slug) === room) this.#rooms.delete(room.slug);
    // Ended, cancelled or moved: its hosts come back (if the room opens again) with a PIN or a host
    // link, its guests with the PIN (and through the lobby).
    this.#rejoins.revokeRoom(room.slug);
    this.#guestTickets.revokeRoom(room.slug);
    return everyone.length;
  }

  #dropIfEmpty(room: LiveRoom): void {
    if (room.participants.size > 0 || room.waiting.size > 0) return;
    clearTimeout(room.closeTimer);
    if (this.#rooms.get(room.slug) === room) this.#rooms.delete(room.slug);
  }

  #tombstoned(slug: string, meetingId: string, now: Date): boolean {
    for (const [key, until] of this.#tombstones) if (until <= now.getTime()) this.#tombstones.delete(key);
    return this.#tombstones.has(slug) || this.#tombstones.has(meetingId);
  }

  #joinedRoom(peer: Peer): LiveRoom | null {
    if (peer.state !== 'joined' || !peer.room) {
      this.#invalid(peer, 'not_joined');
      return null;
    }
    return peer.room;
  }

  #announceLobby(room: LiveRoom): void {
    const message: ServerMessage = { type: 'lobby', waiting: waitingList(room) };
    for (const peer of room.participants.values()) if (peer.role === 'host') this.#send(peer, message);
  }

  /** Guests waiting in the lobby hear when the first host arrives and when the last one leaves. */
  #tellLobbyAboutHosts(room: LiveRoom): void {
    const present = hasHost(room);
    if (present === room.hostPresent) return;
    room.hostPresent = present;
    const frame = JSON.stringify({ type: 'waiting', hostPresent: present } satisfies ServerMessage);
    for (const peer of room.waiting.values()) this.#sendFrame(peer, frame);
  }

  /**
   * Takes a frame of `bytes` from the budget of `client` over all its sockets (see
   * CLIENT_BYTES_PER_SECOND); says whether there was enough.
   */
  #spendClientBudget(client: string, bytes: number): boolean {
    const clock = () => this.options.now().getTime();
    let budget = this.#clientBudgets.get(client);
    if (!budget) {
      budget = {
        frames: new TokenBucket(CLIENT_FRAMES_BURST, CLIENT_FRAMES_PER_SECOND, clock),
        bytes: new TokenBucket(CLIENT_BYTES_BURST, CLIENT_BYTES_PER_SECOND, clock),
        lastUsed: 0,
      };
      this.#clientBudgets.set(client, budget);
    }
    budget.lastUsed = clock();
    return budget.frames.take() && budget.bytes.take(bytes);
  }

  /** The periodic check of every live room against the directory (see HubOptions.recheckMs). */
  async #recheckAll(): Promise<void> {
    if (this.#sweeping || this.#closed) return;
    this.#sweeping = true;
    try {
      // One at a time: a sweep must not hit the database with every live room at once.
      for (const room of [...this.#rooms.values()]) {
        if (this.#closed) break;
        if (this.#rooms.get(room.slug) !== room) continue;
        await this.#recheck(room);
      }
      if (!this.#closed) await this.#engineCalls.adopt();
      if (!this.#closed) await this.#engineCalls.check();
    } catch (error) {
      this.options.logger.warn({ err: describe(error) }, 'checking the live rooms failed');
    } finally {
      this.#sweeping = false;
    }
  }

  #broadcast(room: LiveRoom, message: ServerMessage, except?: Peer): void {
    const frame = JSON.stringify(message);
    for (const peer of room.participants.values()) if (peer !== except) this.#sendFrame(peer, frame);
  }

  #refuse(peer: Peer, reason: RefusalReason, extra: { opensAt?: string; retryAfterSeconds?: number } = {}) {
    this.options.metrics.refused(reason);
    const cap = reason === 'room_full' ? { maxParticipants: this.options.maxParticipants } : {};
    this.#send(peer, { type: 'refused', reason, ...extra, ...cap });
    this.#drop(peer, CLOSE.refused, reason);
  }

  /**
   * Closes a peer's socket and takes the peer out of its room (and lobby) now, not when the close
   * handshake ends: a client that never answers the close frame keeps its socket open for a while,
   * and nothing it sends meanwhile may count (a refused client must not join on it later).
   */
  #drop(peer: Peer, code: number, reason: string): void {
    clearTimeout(peer.joinTimer);
    this.#leave(peer);
    peer.socket.close(code, reason);
  }

  /**
   * A frame that is not a valid message, or not one the sender may send now: the sender is told
   * (`code`), and disconnected after too many (MAX_INVALID).
   */
  #invalid(peer: Peer, code: ErrorCode): void {
    if (!peer.invalid.take()) this.#drop(peer, CLOSE.policy, 'too many invalid messages');
    else this.#error(peer, code);
  }

  /**
   * A message refused for a limit: the sender is told, and disconnected after too many (MAX_DROPPED).
   * `answer` may be worked out only if the sender is told (see #refusedUnparsed).
   */
  #limited(peer: Peer, answer: ServerMessage | (() => ServerMessage) = RATE_LIMITED): void {
    if (!peer.dropped.take()) this.#drop(peer, CLOSE.policy, 'too many messages');
    else this.#send(peer, typeof answer === 'function' ? answer() : answer);
  }

  /**
   * The answer to a frame the general limits refused before parsing: `rate_limited`, but a
   * participant's chat line gets its text back (see CHAT_BOUNCE_BURST for when it is parsed for that).
   */
  #refusedUnparsed(peer: Peer, data: Buffer): ServerMessage {
    if (
      peer.state !== 'joined' ||
      data.length > CHAT_FRAME_BYTES ||
      !data.includes(CHAT_MARK) ||
      !peer.chatBounces.take()
    )
      return RATE_LIMITED;
    const parsed = parseClientMessage(data);
    if (!parsed.ok || parsed.message.type !== 'chat') return RATE_LIMITED;
    return { type: 'error', code: 'chat_rate_limited', text: parsed.message.text };
  }

  #error(peer: Peer, code: ErrorCode): void {
    this.#send(peer, { type: 'error', code });
  }

  #send(peer: Peer, message: ServerMessage): void {
    this.#sendFrame(peer, JSON.stringify(message));
  }

  #sendFrame(peer: Peer, frame: string): void {
    const socket = peer.socket;
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      peer.lost = true;
      socket.terminate();
      return;
    }
    socket.send(frame);
  }

  #beat(): void {
    for (const peer of this.#sockets) {
      if (!peer.alive) {
        // Already shown for a heartbeat or two after it died: no grace on top (see #wentAway).
        peer.lost = true;
        peer.socket.terminate();
        continue;
      }
      peer.alive = false;
      if (peer.socket.readyState === peer.socket.OPEN) peer.socket.ping();
    }
    const now = this.options.now().getTime();
    for (const [key, until] of this.#tombstones) if (until <= now) this.#tombstones.delete(key);
    for (const [key, { until }] of this.#removed) if (until <= now) this.#removed.delete(key);
    this.#spentTickets.prune(now);
    this.#rejoins.prune(now);
    this.#guestTickets.prune(now);
    this.#newSockets.sweep();
    // A budget refilled completely is the same as none; one with sockets open is kept all the same.
    for (const [client, budget] of this.#clientBudgets)
      if (!this.#socketsPerClient.has(client) && now - budget.lastUsed >= CLIENT_BUDGET_IDLE_MS)
        this.#clientBudgets.delete(client);
  }
}

/** The PIN or the ticket a join offers; null for both at once, which the page never sends. */
function joinKeyOf(message: Extract<ClientMessage, { type: 'join' }>): JoinKey | null {
  if (message.ticket === undefined) return { pin: message.pin ?? '' };
  return message.pin ? null : { ticket: message.ticket };
}

/** What the directory says of a host link's ticket for this room; a room that cannot check one takes none. */
async function claimOf(info: RoomInfo, ticket: string): Promise<HostTicketClaim | null> {
  return info.checkHostTicket ? await info.checkHostTicket(ticket) : null;
}

function hasHost(room: LiveRoom): boolean {
  for (const peer of room.participants.values()) if (peer.role === 'host') return true;
  return false;
}

/** A TURN credential given for this room expires by then at the latest (see TURN_AFTER_CLOSE_MS). */
function turnEnd(room: LiveRoom): Date {
  return new Date(room.closesAt.getTime() + TURN_AFTER_CLOSE_MS);
}

function summary(peer: Peer): PeerSummary {
  return { id: peer.id, name: peer.name, role: peer.role, ...peer.media };
}

/** `waiting` with `peer` where `oldId` was: a Map keeps insertion order, which is the lobby's line. */
function replaceInPlace(waiting: Map<string, Peer>, oldId: string, peer: Peer): void {
  const line = [...waiting];
  waiting.clear();
  for (const [id, held] of line) {
    if (id === oldId) waiting.set(peer.id, peer);
    else waiting.set(id, held);
  }
}

function waitingList(room: LiveRoom): WaitingGuest[] {
  return [...room.waiting.values()].map((p) => ({ id: p.id, name: p.name }));
}

function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
