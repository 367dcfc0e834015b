/**
 * The hub with fake sockets and a fake clock: send queues of clients that read nothing, and budgets
 * that refill over time. Real sockets on loopback cannot show either deterministically (the kernel
 * buffers megabytes before a send queue grows).
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WebSocket } from 'ws';
import type {
  PinFailureLedger,
  RoomDirectory,
  RoomInfo,
  RoomPinPolicy,
  RunningEngineCall,
} from '../src/server/directory.js';
import { type HubOptions, REMOVED_MS, RoomHub } from '../src/server/hub.js';
import { MemoryPinFailureLedger, PinGuard } from '../src/server/lockout.js';
import type { RoomMetrics } from '../src/server/metrics.js';
import type { TurnOptions } from '../src/server/turn.js';
import { CLOSE, HOST_TICKET, LIMITS, REJOIN_GRACE_MS, type ServerMessage } from '../src/shared/protocol.js';
import { MapDirectory, roomInfo } from './helpers.js';

const HOST_PIN = '482913';
const GUEST_PIN = '771204';
const OFFER = { description: { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' } };
/** The largest offer the schema accepts: ~32 KB once framed. */
const BIG_OFFER = { description: { type: 'offer', sdp: `v=0\r\n${'a'.repeat(LIMITS.sdpLength - 5)}` } };

/**
 * A signalling socket as the hub sees it. Its client reads nothing unless `reading`: what the hub
 * sends then stays in `bufferedAmount`, as on a real socket whose client stopped reading.
 */
class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  reading = true;
  /**
   * A client that never answers the close frame: close() leaves the socket closing, and what the
   * client sends still arrives, as on a real socket until the close handshake times out.
   */
  lingering = false;
  terminated = false;
  /** A dead network: pings go unanswered, and nothing is closed (the heartbeat finds it). */
  deaf = false;
  closedWith: { code: number; reason: string } | null = null;
  readonly received: ServerMessage[] = [];

  send(frame: string): void {
    if (!this.reading) this.bufferedAmount += Buffer.byteLength(frame);
    this.received.push(JSON.parse(frame) as ServerMessage);
  }

  close(code: number, reason: string): void {
    if (this.readyState !== this.OPEN) return;
    this.closedWith = { code, reason };
    if (this.lingering) {
      this.readyState = 2;
      return;
    }
    this.readyState = 3;
    this.emit('close');
  }

  terminate(): void {
    if (this.readyState !== this.OPEN) return;
    this.terminated = true;
    this.readyState = 3;
    this.emit('close');
  }

  /** A live client answers every ping (the heartbeat drops those that do not). */
  ping(): void {
    if (!this.deaf) this.emit('pong');
  }

  /** Its page closes it without a word (a reload, a closed tab): no `leave` first. */
  hangUp(): void {
    if (this.readyState !== this.OPEN) return;
    this.readyState = 3;
    this.emit('close');
  }

  /** A message from the client. */
  message(value: unknown): void {
    this.emit('message', Buffer.from(JSON.stringify(value)), false);
  }

  all<T extends ServerMessage['type']>(type: T): Extract<ServerMessage, { type: T }>[] {
    return this.received.filter((m): m is Extract<ServerMessage, { type: T }> => m.type === type);
  }
}

let now = Date.now();
const directory = new MapDirectory();
const hubs: RoomHub[] = [];

afterEach(() => {
  for (const hub of hubs.splice(0)) hub.close();
  vi.useRealTimers();
  // The rooms of the shared directory are timed from the real clock.
  now = Date.now();
});

/** Room metrics that count nothing, but for those a test follows. */
function metricsWith(counted: Partial<RoomMetrics> = {}): RoomMetrics {
  return {
    joined: () => undefined,
    left: () => undefined,
    refused: () => undefined,
    connectionRefused: () => undefined,
    handedOff: () => undefined,
    engineCallEnded: () => undefined,
    ...counted,
  };
}

function newHub(maxParticipants = 6, turn?: TurnOptions, overrides: Partial<HubOptions> = {}): RoomHub {
  const clock = () => now;
  const hub = new RoomHub({
    directory,
    window: { openBeforeMinutes: 60, closeAfterMinutes: 60 },
    maxParticipants,
    iceServers: [],
    turn,
    pins: new PinGuard({ attempts: 5, roomAttempts: 50, lockoutMs: 15 * 60_000 }, clock),
    metrics: metricsWith(),
    now: () => new Date(now),
    logger: { debug: () => undefined, warn: () => undefined },
    joinTimeoutMs: 60_000,
    heartbeatMs: 30_000,
    maxSocketsPerClient: 20,
    recheckMs: 60_000,
    ...overrides,
  });
  hubs.push(hub);
  return hub;
}

/** Opens a fake socket and sends a join; the directory's answer has arrived when this returns. */
async function attempt(
  hub: RoomHub,
  slug: string,
  name: string,
  pin?: string,
  socket = new FakeSocket(),
  client = '198.51.100.1',
) {
  hub.accept(socket as unknown as WebSocket, slug, client);
  socket.message({ type: 'join', name, ...(pin ? { pin } : {}) });
  await settle();
  return socket;
}

/** The directory answers in microtasks: they have all run by the next macrotask. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

async function join(hub: RoomHub, slug: string, name: string, pin: string) {
  const socket = await attempt(hub, slug, name, pin);
  const joined = socket.all('joined')[0];
  if (!joined) throw new Error(`${name} did not join: ${JSON.stringify(socket.received)}`);
  return { socket, id: joined.id };
}

const rateLimited = (socket: FakeSocket) => socket.all('error').filter((e) => e.code === 'rate_limited');

describe('relayed signals', () => {
  it('never get a target that reads slowly dropped: a flood is refused to its sender', async () => {
    const hub = newHub();
    const slug = directory.add({ guestPin: GUEST_PIN });
    const host = await join(hub, slug, 'Hana', HOST_PIN);
    const guest = await join(hub, slug, 'Gus', GUEST_PIN);
    host.socket.reading = false;
    // The review's case: 40 max-size offers (~1.3 MB) at the host, within the message rate limits.
    for (let i = 0; i < 40; i++) guest.socket.message({ type: 'signal', to: host.id, data: BIG_OFFER });

    expect(host.socket.terminated).toBe(false);
    expect(host.socket.readyState).toBe(host.socket.OPEN);
    // 128 KiB per sender and target at once: three of these.
    expect(host.socket.all('signal')).toHaveLength(3);
    expect(rateLimited(guest.socket)).toHaveLength(37);
    expect(guest.socket.closedWith).toBeNull();
  });

  it('stop at a target whose queue is high, however many senders share the flood', async () => {
    const hub = newHub();
    const slug = directory.add({ guestPin: GUEST_PIN });
    const host = await join(hub, slug, 'Hana', HOST_PIN);
    const guests = [];
    for (const name of ['A', 'B', 'C', 'D', 'E']) guests.push(await join(hub, slug, name, GUEST_PIN));
    host.socket.reading = false;
    // Five senders, each within its own budget every round (three offers, then the budget refills).
    for (let round = 0; round < 4; round++) {
      for (const guest of guests)
        for (let i = 0; i < 3; i++) guest.socket.message({ type: 'signal', to: host.id, data: BIG_OFFER });
      now += 10_000;
    }
    // 60 offers (~2 MB) sent; the host's queue stopped growing at 256 KiB and one message.
    expect(host.socket.terminated).toBe(false);
    expect(host.socket.bufferedAmount).toBeLessThan(256 * 1024 + LIMITS.messageBytes);
    const refused = guests.reduce((n, g) => n + rateLimited(g.socket).length, 0);
    expect(host.socket.all('signal').length + refused).toBe(60);
    expect(refused).toBeGreaterThan(45);

    // The host catches up: signals flow again.
    host.socket.bufferedAmount = 0;
    const before = host.socket.all('signal').length;
    guests[0]?.socket.message({ type: 'signal', to: host.id, data: BIG_OFFER });
    expect(host.socket.all('signal')).toHaveLength(before + 1);
  });

  it('have a byte budget per sender and target that refills with time', async () => {
    const hub = newHub();
    const slug = directory.add({ guestPin: GUEST_PIN });
    const host = await join(hub, slug, 'Hana', HOST_PIN);
    const ada = await join(hub, slug, 'Ada', GUEST_PIN);
    const bob = await join(hub, slug, 'Bob', GUEST_PIN);
    for (let i = 0; i < 5; i++) ada.socket.message({ type: 'signal', to: host.id, data: BIG_OFFER });
    expect(host.socket.all('signal')).toHaveLength(3);
    expect(rateLimited(ada.socket)).toHaveLength(2);

    // Another target has its own budget; another sender to the same target too.
    for (let i = 0; i < 3; i++) ada.socket.message({ type: 'signal', to: bob.id, data: BIG_OFFER });
    expect(bob.socket.all('signal')).toHaveLength(3);
    bob.socket.message({ type: 'signal', to: host.id, data: BIG_OFFER });
    expect(host.socket.all('signal')).toHaveLength(4);
    expect(rateLimited(ada.socket)).toHaveLength(2);

    // It refills (16 KiB/s) up to the same burst, however long the sender waited.
    now += 60_000;
    for (let i = 0; i < 4; i++) ada.socket.message({ type: 'signal', to: host.id, data: BIG_OFFER });
    expect(host.socket.all('signal')).toHaveLength(7);
    expect(rateLimited(ada.socket)).toHaveLength(3);
  });
});

describe('closing time', () => {
  const HOUR = 3600_000;
  /** Only timers are fake: the hub's clock is `now`, moved by hand together with them. */
  const advance = async (ms: number) => {
    now += ms;
    await vi.advanceTimersByTimeAsync(ms);
    await settle();
  };

  it('follows a meeting extended while the room is live', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const hub = newHub();
    // Closes in 1 s: the end plus the hub's 60 minutes of grace.
    const info = { startsAt: new Date(now - 2 * HOUR), endsAt: new Date(now - HOUR + 1000) };
    const slug = directory.add(info);
    const host = await join(hub, slug, 'Hana', HOST_PIN);
    // The organizer adds an hour; sync updates the directory, nobody joins again.
    const current = directory.rooms.get(slug);
    if (!current) throw new Error('no room');
    directory.rooms.set(slug, { ...current, endsAt: new Date(now + 1000) });
    await advance(2000);
    expect(host.socket.all('closed')).toEqual([]);
    expect(hub.counts().participants).toBe(1);
    // The new end plus grace: now it ends.
    await advance(HOUR);
    expect(host.socket.all('closed')).toEqual([{ type: 'closed', reason: 'ended' }]);
    expect(host.socket.closedWith?.code).toBe(CLOSE.roomClosed);
  });

  it('keeps a moved last occurrence open until its own end, past the series end', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const hub = newHub();
    const start = now;
    // The series ended (by its rule) two days ago; its last occurrence was moved to now.
    const slug = directory.add({
      startsAt: new Date(start - 30 * 24 * HOUR),
      endsAt: new Date(start - 48 * HOUR),
      isOpenAt: (at) => at.getTime() >= start - HOUR && at.getTime() < start + 2 * HOUR,
    });
    const host = await join(hub, slug, 'Hana', HOST_PIN);
    await advance(0);
    await advance(HOUR);
    expect(host.socket.all('closed')).toEqual([]);
    expect(host.socket.readyState).toBe(host.socket.OPEN);
    await advance(HOUR);
    expect(host.socket.all('closed')).toEqual([{ type: 'closed', reason: 'ended' }]);
  });
});

describe('invalid frames', () => {
  it('cost a rate-limit token like any other', async () => {
    const hub = newHub();
    const slug = directory.add();
    const { socket } = await join(hub, slug, 'Hana', HOST_PIN);
    // The burst (200, the join included) spent on valid messages; the invalid one that follows is over
    // the limit.
    for (let i = 0; i < 200; i++) socket.message({ type: 'media', audio: true, video: false, screen: false });
    socket.message({ type: 'chat', text: 'x'.repeat(2000) });
    expect(socket.all('error').at(-1)).toEqual({ type: 'error', code: 'rate_limited' });
    expect(socket.all('error').filter((e) => e.code === 'invalid_message')).toEqual([]);
  });

  it('get the connection closed after a few', async () => {
    const hub = newHub();
    const slug = directory.add();
    const { socket } = await join(hub, slug, 'Hana', HOST_PIN);
    for (let i = 0; i < 2000 && socket.readyState === socket.OPEN; i++)
      socket.message({ type: 'chat', text: 'x'.repeat(LIMITS.messageBytes - 100) });
    expect(socket.closedWith?.code).toBe(CLOSE.policy);
    const invalid = socket.all('error').filter((e) => e.code === 'invalid_message');
    expect(invalid.length).toBeGreaterThan(0);
    expect(invalid.length).toBeLessThanOrEqual(20);
  });
});

describe('refused and denied clients', () => {
  it('cannot use their closing socket to join later', async () => {
    const hub = newHub(2);
    const slug = directory.add();
    const host = await join(hub, slug, 'Hana', HOST_PIN);
    const guest = await join(hub, slug, 'Gus', '');
    const ghost = new FakeSocket();
    ghost.lingering = true;
    await attempt(hub, slug, 'Carol', undefined, ghost);
    expect(ghost.all('refused')).toMatchObject([{ reason: 'room_full' }]);
    expect(ghost.closedWith?.code).toBe(CLOSE.refused);

    guest.socket.close(CLOSE.normal, 'bye');
    ghost.message({ type: 'join', name: 'Mallory' });
    await settle();
    ghost.message({ type: 'chat', text: 'hello from a refused socket' });
    expect(host.socket.all('peer-joined').map((p) => p.peer.name)).toEqual(['Gus']);
    expect(host.socket.all('chat')).toEqual([]);
    expect(hub.counts()).toMatchObject({ participants: 1, waiting: 0 });
  });

  it('leave the lobby at once when denied', async () => {
    const hub = newHub();
    const slug = directory.add({ lobby: true });
    const host = await join(hub, slug, 'Hana', HOST_PIN);
    const guest = new FakeSocket();
    guest.lingering = true;
    await attempt(hub, slug, 'Gus', undefined, guest);
    const waiting = host.socket.all('lobby').at(-1)?.waiting[0];
    if (!waiting) throw new Error('nobody waiting');
    host.socket.message({ type: 'deny', id: waiting.id });
    expect(guest.all('denied')).toHaveLength(1);
    expect(hub.counts().waiting).toBe(0);
    expect(host.socket.all('lobby').at(-1)).toEqual({ type: 'lobby', waiting: [] });
    // Admitting the denied guest afterwards finds nobody.
    host.socket.message({ type: 'admit', id: waiting.id });
    expect(host.socket.all('error').at(-1)).toEqual({ type: 'error', code: 'unknown_participant' });
    expect(hub.counts().participants).toBe(1);
  });
});

describe('removed clients', () => {
  it('are refused by that room for 10 minutes, then let in again; other addresses never', async () => {
    const hub = newHub();
    const slug = directory.add();
    const host = await join(hub, slug, 'Hana', HOST_PIN);
    const troll = await join(hub, slug, 'Troll', '');
    host.socket.message({ type: 'remove', id: troll.id });
    expect(troll.socket.closedWith?.code).toBe(CLOSE.removed);

    const again = await attempt(hub, slug, 'Troll');
    expect(again.all('refused')).toEqual([{ type: 'refused', reason: 'removed', retryAfterSeconds: 600 }]);
    // Another address is someone else.
    const other = await attempt(hub, slug, 'Olga', undefined, new FakeSocket(), '203.0.113.9');
    expect(other.all('joined')).toHaveLength(1);

    now += REMOVED_MS - 1000;
    expect((await attempt(hub, slug, 'Troll')).all('refused')).toMatchObject([{ retryAfterSeconds: 1 }]);
    now += 1000;
    expect((await attempt(hub, slug, 'Troll')).all('joined')).toHaveLength(1);
  });
});

describe('TURN credentials', () => {
  const turn = { secret: 'coturn-secret', urls: ['turn:turn.example.org:3478'], ttlSeconds: 600 };
  const expiry = (servers: readonly { username?: string }[] | undefined) =>
    Number(servers?.find((s) => s.username)?.username?.split(':')[0]);

  it('are re-issued before they expire, for as long as the participant stays', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const hub = newHub(6, turn);
    const slug = directory.add();
    const host = await join(hub, slug, 'Hana', HOST_PIN);
    const first = expiry(host.socket.all('joined')[0]?.iceServers);
    expect(first).toBe(Math.floor(now / 1000) + 600);

    // 80% of the lifetime: a fresh credential, valid a full lifetime from then.
    for (let round = 1; round <= 3; round++) {
      now += 480_000;
      await vi.advanceTimersByTimeAsync(480_000);
      const renewals = host.socket.all('ice-servers');
      expect(renewals).toHaveLength(round);
      expect(expiry(renewals.at(-1)?.iceServers)).toBe(Math.floor(now / 1000) + 600);
      expect(expiry(renewals.at(-1)?.iceServers)).toBeGreaterThan(first);
    }
    // Gone participants get none.
    host.socket.message({ type: 'leave' });
    now += 480_000;
    await vi.advanceTimersByTimeAsync(480_000);
    expect(host.socket.all('ice-servers')).toHaveLength(3);
    expect(vi.getTimerCount()).toBe(0);
  });
});

/** Fake timers move with the hub's clock (`now`); the directory's answers arrive by the end. */
const advance = async (ms: number) => {
  now += ms;
  await vi.advanceTimersByTimeAsync(ms);
  await settle();
};

const codes = (socket: FakeSocket) => socket.all('error').map((e) => e.code);

describe('a socket before its join', () => {
  it('may only join (or leave): anything else closes it with 4008, unanswered', async () => {
    const hub = newHub();
    const slug = directory.add();
    const host = await join(hub, slug, 'Hana', HOST_PIN);
    const candidate = { candidate: { candidate: 'candidate:1 1 udp 1 192.0.2.1 5000 typ host' } };
    for (const message of [
      { type: 'signal', to: host.id, data: candidate },
      { type: 'media', audio: true, video: false, screen: false },
      { type: 'chat', text: 'hello' },
      { type: 'admit', id: host.id },
    ]) {
      const socket = new FakeSocket();
      hub.accept(socket as unknown as WebSocket, slug, '198.51.100.2');
      socket.message(message);
      expect(socket.closedWith, message.type).toEqual({ code: CLOSE.policy, reason: 'join first' });
      expect(socket.received, message.type).toEqual([]);
    }
    expect(host.socket.received.map((m) => m.type)).toEqual(['joined']);
    expect(hub.counts().sockets).toBe(1);
    // Leaving is allowed (the page sends it when closed while joining).
    const leaver = new FakeSocket();
    hub.accept(leaver as unknown as WebSocket, slug, '198.51.100.2');
    leaver.message({ type: 'leave' });
    expect(leaver.closedWith?.code).toBe(CLOSE.normal);
  });

  it('closes at a frame over 4 KiB, in the lobby too; the largest join is well under it', async () => {
    const hub = newHub();
    const slug = directory.add({ lobby: true });
    // The review's frame: a schema-valid 32 KB offer, before any join.
    const early = new FakeSocket();
    hub.accept(early as unknown as WebSocket, slug, '198.51.100.2');
    early.message({ type: 'signal', to: '0123456789abcdef', data: BIG_OFFER });
    expect(early.closedWith?.code).toBe(CLOSE.tooBig);
    expect(early.received).toEqual([]);

    // The longest name and PIN, every character escaped: answered (a wrong PIN), not closed.
    const name = '\\u4e00'.repeat(LIMITS.nameLength);
    const biggest = `{"type":"join","name":"${name}","pin":"${'\\u0031'.repeat(LIMITS.pinLength)}"}`;
    expect(Buffer.byteLength(biggest)).toBeLessThan(LIMITS.joinMessageBytes / 2);
    const joiner = new FakeSocket();
    hub.accept(joiner as unknown as WebSocket, slug, '198.51.100.2');
    joiner.emit('message', Buffer.from(biggest), false);
    await settle();
    expect(codes(joiner)).toEqual(['wrong_pin']);
    expect(joiner.closedWith).toBeNull();

    // With the longest ticket too (a PIN and a ticket together are refused, but only once parsed).
    const ticket = '\\u0041'.repeat(LIMITS.ticketLength);
    const withTicket = `${biggest.slice(0, -1)},"ticket":"${ticket}"}`;
    expect(Buffer.byteLength(withTicket)).toBeGreaterThan(2000);
    expect(Buffer.byteLength(withTicket)).toBeLessThan(LIMITS.joinMessageBytes / 2);
    const hostLink = new FakeSocket();
    hub.accept(hostLink as unknown as WebSocket, slug, '198.51.100.2');
    hostLink.emit('message', Buffer.from(withTicket), false);
    await settle();
    expect(codes(hostLink)).toEqual(['invalid_message']);
    expect(hostLink.closedWith).toBeNull();

    // A guest in the lobby is not in the call: it has nothing big to say either.
    const waiting = await attempt(hub, slug, 'Walt');
    expect(waiting.all('waiting')).toHaveLength(1);
    // The longest chat line the schema takes, escaped as the join above: 6 KB.
    const chat = `{"type":"chat","text":"${'\\u00e9'.repeat(LIMITS.chatLength)}"}`;
    expect(Buffer.byteLength(chat)).toBeGreaterThan(LIMITS.joinMessageBytes);
    waiting.emit('message', Buffer.from(chat), false);
    expect(waiting.closedWith?.code).toBe(CLOSE.tooBig);
    expect(hub.counts().waiting).toBe(0);
  });
});

describe('messages the sender may not send now', () => {
  it('count towards the invalid-message limit: not_joined, forbidden, unknown_participant', async () => {
    const hub = newHub();
    const lobby = directory.add({ lobby: true });
    const open = directory.add();
    const host = await join(hub, open, 'Hana', HOST_PIN);
    const waiting = await attempt(hub, lobby, 'Walt');
    const muter = await join(hub, open, 'Gus', '');
    const signaller = await join(hub, open, 'Ida', '');
    const cases = [
      [waiting, { type: 'media', audio: true, video: false, screen: false }, 'not_joined'],
      [muter.socket, { type: 'mute', id: host.id }, 'forbidden'],
      [signaller.socket, { type: 'signal', to: '0123456789abcdef', data: OFFER }, 'unknown_participant'],
    ] as const;
    for (const [socket, message, code] of cases) {
      for (let i = 0; i < 21; i++) socket.message(message);
      expect(codes(socket), code).toEqual(Array.from({ length: 20 }, () => code));
      expect(socket.closedWith, code).toEqual({ code: CLOSE.policy, reason: 'too many invalid messages' });
    }
    expect(host.socket.all('mute-request')).toEqual([]);
    expect(host.socket.closedWith).toBeNull();
  });

  it('are forgiven slowly: a stale one now and then never disconnects a participant', async () => {
    const hub = newHub();
    const slug = directory.add();
    const host = await join(hub, slug, 'Hana', HOST_PIN);
    const gone = await join(hub, slug, 'Gus', '');
    gone.socket.message({ type: 'leave' });
    // ICE candidates to someone who just left, in a long meeting: 40 over 20 minutes.
    for (let i = 0; i < 40; i++) {
      host.socket.message({ type: 'signal', to: gone.id, data: OFFER });
      now += 30_000;
    }
    expect(codes(host.socket)).toHaveLength(40);
    expect(host.socket.closedWith).toBeNull();
    // A burst is not forgiven.
    for (let i = 0; i < 21; i++) host.socket.message({ type: 'signal', to: gone.id, data: OFFER });
    expect(host.socket.closedWith?.code).toBe(CLOSE.policy);
  });
});

describe("one client's sockets together", () => {
  it('share a byte budget: past it, frames are refused before parsing; other clients are not', async () => {
    const hub = newHub();
    const slug = directory.add();
    // Four participants from one address (the join helper's), one from another.
    const mine = [
      await join(hub, slug, 'A', HOST_PIN),
      await join(hub, slug, 'B', ''),
      await join(hub, slug, 'C', ''),
      await join(hub, slug, 'D', ''),
    ];
    const other = await attempt(hub, slug, 'Olga', undefined, new FakeSocket(), '203.0.113.9');
    // 40 KB frames that each parse to nothing (chat longer than the schema allows): 60 of them, 2.4 MB.
    const frame = Buffer.from(`{"type":"chat","text":"${'x'.repeat(40_000)}"}`);
    for (let i = 0; i < 60; i++) mine[i % 4]?.socket.emit('message', frame, false);
    const answers = mine.flatMap((p) => codes(p.socket));
    expect(answers).toHaveLength(60);
    const refused = answers.filter((c) => c === 'rate_limited').length;
    // 2 MiB at once: 52 of these were parsed, the rest refused unparsed.
    expect(refused).toBe(60 - Math.floor((2 * 1024 * 1024) / frame.length));
    expect(answers.filter((c) => c === 'invalid_message')).toHaveLength(60 - refused);
    expect(mine.every((p) => p.socket.closedWith === null)).toBe(true);

    // Another address has its own budget.
    other.emit('message', frame, false);
    expect(codes(other)).toEqual(['invalid_message']);
    // It refills with time (512 KiB/s).
    now += 1000;
    mine[0]?.socket.emit('message', frame, false);
    expect(codes(mine[0]?.socket as FakeSocket).at(-1)).toBe('invalid_message');
  });
});

describe('peeking at the admission of a new connection', () => {
  const client = '198.51.100.1';
  /** A hub whose refused connections are counted in `refusals`: cap 2, so 4 new ones at once, then one every 5 s. */
  function cappedHub(refusals: string[]) {
    return newHub(6, undefined, {
      maxSocketsPerClient: 2,
      metrics: metricsWith({ connectionRefused: (reason) => refusals.push(reason) }),
    });
  }
  /** Peeks many times, then admits: the last peek must be what the admission answers. */
  function peekThenAdmit(hub: RoomHub, who = client) {
    for (let i = 0; i < 50; i++) hub.peekConnection(who);
    const peeked = hub.peekConnection(who);
    const admitted = hub.admitConnection(who);
    if (admitted.ok) expect(peeked).toEqual({ ok: true });
    else expect(peeked).toEqual(admitted);
    return admitted;
  }
  const settled = (admission: ReturnType<RoomHub['admitConnection']>) => {
    if (!admission.ok) throw new Error(`refused: ${admission.reason}`);
    admission.settle();
  };

  it('answers what admitConnection would, and takes no place, no new connection and counts no refusal', () => {
    const refusals: string[] = [];
    const hub = cappedHub(refusals);
    const first = peekThenAdmit(hub);
    const second = peekThenAdmit(hub);
    // Two upgrades under way: the cap is reached.
    expect(peekThenAdmit(hub)).toEqual({ ok: false, reason: 'socket_cap', retryAfterSeconds: 5 });
    settled(first);
    const third = peekThenAdmit(hub);
    settled(second);
    settled(third);
    // The fourth and last new connection of the burst: the hundreds of peeks took none.
    settled(peekThenAdmit(hub));
    expect(peekThenAdmit(hub)).toEqual({ ok: false, reason: 'connection_rate', retryAfterSeconds: 5 });
    now += 4_000;
    expect(peekThenAdmit(hub)).toEqual({ ok: false, reason: 'connection_rate', retryAfterSeconds: 1 });
    now += 1_000;
    settled(peekThenAdmit(hub));
    // Only the admissions refused were counted.
    expect(refusals).toEqual(['socket_cap', 'connection_rate', 'connection_rate']);
    // Another address has its own places and budget.
    expect(hub.peekConnection('203.0.113.9')).toEqual({ ok: true });
  });

  it('counts the sockets a client holds open towards its cap, as admitConnection does', () => {
    const hub = cappedHub([]);
    const slug = directory.add();
    const sockets = [new FakeSocket(), new FakeSocket()];
    for (const socket of sockets) hub.accept(socket as unknown as WebSocket, slug, client);
    expect(hub.peekConnection(client)).toEqual({ ok: false, reason: 'socket_cap', retryAfterSeconds: 5 });
    peekThenAdmit(hub);
    sockets[0]?.close(1000, 'bye');
    settled(peekThenAdmit(hub));
  });
});

describe('live rooms', () => {
  it('are checked against the directory every minute: a meeting erased or cancelled elsewhere ends', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const hub = newHub();
    const erased = directory.add();
    const cancelled = directory.add();
    const kept = directory.add();
    const ada = await join(hub, erased, 'Ada', HOST_PIN);
    const gus = await join(hub, erased, 'Gus', '');
    const bob = await join(hub, cancelled, 'Bob', HOST_PIN);
    const cy = await join(hub, kept, 'Cy', HOST_PIN);
    // Another process (the CLI, a second server) erases one meeting and cancels another: no event
    // reaches this hub.
    directory.rooms.delete(erased);
    directory.rooms.set(cancelled, { ...(directory.rooms.get(cancelled) as RoomInfo), status: 'cancelled' });
    await advance(59_000);
    expect(ada.socket.all('closed')).toEqual([]);
    await advance(1000);
    for (const p of [ada, gus, bob]) {
      expect(p.socket.all('closed')).toEqual([{ type: 'closed', reason: 'cancelled' }]);
      expect(p.socket.closedWith?.code).toBe(CLOSE.roomClosed);
    }
    expect(cy.socket.all('closed')).toEqual([]);
    expect(hub.counts()).toMatchObject({ rooms: 1, participants: 1 });
    // The check stops with the hub.
    hub.close();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stay as they are when the directory fails during the check', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    let failing = false;
    const flaky: RoomDirectory = {
      findBySlug: (slug) => (failing ? Promise.reject(new Error('down')) : directory.findBySlug(slug)),
    };
    const hub = newHub(6, undefined, { directory: flaky });
    const slug = directory.add();
    const host = await join(hub, slug, 'Hana', HOST_PIN);
    failing = true;
    await advance(60_000);
    expect(host.socket.all('closed')).toEqual([]);
    expect(hub.counts().participants).toBe(1);
  });
});

describe('the lobby', () => {
  it('turned off, lets those waiting in as newcomers would be, while there are seats', async () => {
    const hub = newHub(2);
    const slug = directory.add({ lobby: true });
    const waiting = [await attempt(hub, slug, 'Wes'), await attempt(hub, slug, 'Wyn')];
    const info = directory.rooms.get(slug) as RoomInfo;
    directory.rooms.set(slug, { ...info, lobby: false });
    expect(await hub.recheckRoom(slug)).toBe(0);
    for (const w of waiting) expect(w.all('joined')).toHaveLength(1);
    expect(waiting[0]?.all('peer-joined')).toHaveLength(1);
    expect(hub.counts()).toMatchObject({ participants: 2, waiting: 0 });

    // No seat left: one waiting then stays (a host may admit it when someone leaves).
    const full = directory.add({ lobby: true });
    const host = await join(hub, full, 'Hana', HOST_PIN);
    const wes = await attempt(hub, full, 'Wes');
    const wyn = await attempt(hub, full, 'Wyn');
    directory.rooms.set(full, { ...(directory.rooms.get(full) as RoomInfo), lobby: false });
    expect(await hub.recheckRoom(full)).toBe(0);
    expect(wes.all('joined')).toHaveLength(1);
    expect(wyn.all('joined')).toEqual([]);
    expect(wyn.closedWith).toBeNull();
    expect(
      host.socket
        .all('lobby')
        .at(-1)
        ?.waiting.map((w) => w.name),
    ).toEqual(['Wyn']);
  });

  it('tells those waiting when no host is there to let them in, and when one comes', async () => {
    const hub = newHub();
    const slug = directory.add({ lobby: true });
    const walt = await attempt(hub, slug, 'Walt');
    // The first also brings a rejoin ticket (see 'a guest’s rejoin ticket'); later ones do not.
    const ticket = expect.stringMatching(new RegExp(HOST_TICKET));
    expect(walt.all('waiting')).toEqual([{ type: 'waiting', hostPresent: false, rejoin: ticket }]);
    const hana = await join(hub, slug, 'Hana', HOST_PIN);
    expect(walt.all('waiting').at(-1)).toEqual({ type: 'waiting', hostPresent: true });
    const hal = await join(hub, slug, 'Hal', HOST_PIN);
    const ida = await attempt(hub, slug, 'Ida');
    expect(ida.all('waiting')).toEqual([{ type: 'waiting', hostPresent: true, rejoin: ticket }]);
    // One host of two leaves: nothing changes for them.
    hana.socket.message({ type: 'leave' });
    expect(walt.all('waiting')).toHaveLength(2);
    // The last one leaves (or is disconnected): they hear it.
    hal.socket.terminate();
    for (const w of [walt, ida])
      expect(w.all('waiting').at(-1)).toEqual({ type: 'waiting', hostPresent: false });
    expect(hub.counts()).toMatchObject({ participants: 0, waiting: 2 });
  });

  it('full refuses a guest as lobby_full, not as a full room', async () => {
    const hub = newHub(2);
    const slug = directory.add({ lobby: true });
    for (const name of ['Wes', 'Wyn']) await attempt(hub, slug, name);
    const third = await attempt(hub, slug, 'Wil');
    expect(third.all('refused')).toEqual([{ type: 'refused', reason: 'lobby_full' }]);
    expect(hub.counts()).toMatchObject({ participants: 0, waiting: 2 });
  });
});

describe('a series occurrence', () => {
  const HOUR = 3600_000;
  const WEEK = 7 * 24 * HOUR;
  /**
   * A weekly series (hour-long occurrences at `occurrences`) whose rule ends at `lastEnd`, as the
   * directory gives it with its moved and cancelled occurrences.
   */
  function series(occurrences: number[], lastEnd: number) {
    const windows = occurrences.map((start) => [start - HOUR, start + 2 * HOUR] as const);
    return {
      startsAt: new Date(now - 5 * 60_000),
      endsAt: new Date(lastEnd),
      isOpenAt: (at: Date) => windows.some(([from, to]) => at.getTime() >= from && at.getTime() < to),
      openEdges: windows.flat().sort((a, b) => a - b),
    };
  }

  it('cancelled while its room is live tells those inside when the room opens next', async () => {
    const hub = newHub();
    const first = now - 5 * 60_000;
    const last = first + WEEK + HOUR;
    const slug = directory.add(series([first, first + WEEK], last));
    const host = await join(hub, slug, 'Hana', HOST_PIN);
    directory.rooms.set(slug, {
      ...(directory.rooms.get(slug) as RoomInfo),
      ...series([first + WEEK], last),
    });
    expect(await hub.recheckRoom(slug)).toBe(1);
    expect(host.socket.all('closed')).toEqual([
      { type: 'closed', reason: 'moved', opensAt: new Date(first + WEEK - HOUR).toISOString() },
    ]);
  });

  it('that simply ends has ended, even though the next one is another day', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const hub = newHub();
    const first = now - 5 * 60_000;
    // The room's saved closing time is this occurrence's (its window ends with the rule's end here).
    const slug = directory.add(series([first, first + WEEK], first + HOUR));
    const host = await join(hub, slug, 'Hana', HOST_PIN);
    await advance(first + 2 * HOUR - now);
    expect(host.socket.all('closed')).toEqual([{ type: 'closed', reason: 'ended' }]);
  });
});

describe('chat over the rate limit', () => {
  it('is refused with its text, to the sender only, and now and then never disconnects', async () => {
    const hub = newHub();
    const slug = directory.add();
    const ada = await join(hub, slug, 'Ada', HOST_PIN);
    const bob = await join(hub, slug, 'Bob', '');
    // 15 at once every 15 seconds: 10 go (the burst, refilled meanwhile), 5 are refused: 150 refused
    // in all, more than the 100 tolerated at once.
    for (let round = 0; round < 30; round++) {
      for (let i = 0; i < 15; i++) ada.socket.message({ type: 'chat', text: `r${round} m${i}` });
      now += 15_000;
    }
    expect(bob.socket.all('chat')).toHaveLength(300);
    const refused = ada.socket.all('error');
    expect(refused).toHaveLength(150);
    expect(refused[0]).toEqual({ type: 'error', code: 'chat_rate_limited', text: 'r0 m10' });
    expect(refused.every((e) => e.code === 'chat_rate_limited')).toBe(true);
    expect(bob.socket.all('error')).toEqual([]);
    expect(ada.socket.closedWith).toBeNull();
  });

  it('still disconnects a client that keeps pushing past it', async () => {
    const hub = newHub();
    const slug = directory.add();
    const ada = await join(hub, slug, 'Ada', HOST_PIN);
    for (let i = 0; i < 150 && ada.socket.readyState === ada.socket.OPEN; i++)
      ada.socket.message({ type: 'chat', text: `m${i}` });
    expect(ada.socket.closedWith).toEqual({ code: CLOSE.policy, reason: 'too many messages' });
  });
});

describe('chat over the general message limits', () => {
  const MEDIA = { type: 'media', audio: true, video: false, screen: false };

  it("is given back to its sender with its text, over its socket's limit as over its client's", async () => {
    const hub = newHub();
    const slug = directory.add();
    const ada = await join(hub, slug, 'Ada', HOST_PIN);
    const bob = await join(hub, slug, 'Bob', '');
    // The socket's burst (200, the join included) spent on media updates: the chat line that follows
    // is over the general limit, well within the chat limit.
    for (let i = 0; i < 199; i++) ada.socket.message(MEDIA);
    ada.socket.message({ type: 'chat', text: 'still there?' });
    expect(ada.socket.all('error')).toEqual([
      { type: 'error', code: 'chat_rate_limited', text: 'still there?' },
    ]);
    expect(bob.socket.all('chat')).toEqual([]);

    // The byte budget of their client (address) over all its sockets, 2 MiB, spent on 64 frames of
    // 32 KiB that each parse to nothing, from four sockets (each closes past 20 invalid ones): Bob's
    // next chat line is over it.
    const senders = [ada, await join(hub, slug, 'Cy', ''), await join(hub, slug, 'Di', '')];
    senders.push(await join(hub, slug, 'Ed', ''));
    now += 60_000;
    const big = Buffer.from(`{"type":"chat","text":"${'x'.repeat(32 * 1024 - 25)}"}`);
    expect(big.length).toBe(32 * 1024);
    for (let i = 0; i < 64; i++) senders[i % 4]?.socket.emit('message', big, false);
    expect(senders.flatMap((p) => codes(p.socket)).filter((c) => c === 'invalid_message')).toHaveLength(64);
    bob.socket.message({ type: 'chat', text: 'me too' });
    expect(bob.socket.all('error')).toEqual([{ type: 'error', code: 'chat_rate_limited', text: 'me too' }]);
    expect(ada.socket.all('chat')).toEqual([]);
  });

  it('comes back 10 times at once, then once a second: the rest of a flood is refused as before', async () => {
    const hub = newHub();
    const slug = directory.add();
    const ada = await join(hub, slug, 'Ada', HOST_PIN);
    const bob = await join(hub, slug, 'Bob', '');
    for (let i = 0; i < 199; i++) ada.socket.message(MEDIA);
    // ICE candidates refused meanwhile are not parsed for it and use up nothing.
    for (let i = 0; i < 30; i++) ada.socket.message({ type: 'signal', to: bob.id, data: OFFER });
    for (let i = 0; i < 30; i++) ada.socket.message({ type: 'chat', text: `line ${i}` });
    const answers = ada.socket.all('error');
    expect(answers.slice(0, 30).every((e) => e.code === 'rate_limited' && e.text === undefined)).toBe(true);
    expect(answers.slice(30)).toEqual([
      ...Array.from({ length: 10 }, (_, i) => ({
        type: 'error',
        code: 'chat_rate_limited',
        text: `line ${i}`,
      })),
      ...Array.from({ length: 20 }, () => ({ type: 'error', code: 'rate_limited' })),
    ]);

    // A second later: 50 more frames through the general limit (spent here), and one more bounce.
    now += 1000;
    for (let i = 0; i < 50; i++) ada.socket.message(MEDIA);
    for (let i = 0; i < 3; i++) ada.socket.message({ type: 'chat', text: `again ${i}` });
    expect(ada.socket.all('error').slice(60)).toEqual([
      { type: 'error', code: 'chat_rate_limited', text: 'again 0' },
      { type: 'error', code: 'rate_limited' },
      { type: 'error', code: 'rate_limited' },
    ]);
    expect(bob.socket.all('chat')).toEqual([]);
    expect(ada.socket.closedWith).toBeNull();
  });
});

describe('TURN credentials and the room', () => {
  const turn = { secret: 'coturn-secret', urls: ['turn:turn.example.org:3478'], ttlSeconds: 3600 };
  const expiry = (servers: readonly { username?: string }[] | undefined) =>
    Number(servers?.find((s) => s.username)?.username?.split(':')[0]);

  it('expire at the latest 5 minutes after the room closes, and follow it when it is extended', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const hub = newHub(6, turn);
    // Closes in 10 minutes: the end 50 minutes ago, plus the hub's 60 minutes of grace.
    const slug = directory.add({
      startsAt: new Date(now - 2 * 3600_000),
      endsAt: new Date(now - 50 * 60_000),
    });
    const host = await join(hub, slug, 'Hana', HOST_PIN);
    const guest = await join(hub, slug, 'Gus', '');
    const closesAt = now + 10 * 60_000;
    expect(expiry(guest.socket.all('joined')[0]?.iceServers)).toBe(
      Math.floor((closesAt + 5 * 60_000) / 1000),
    );
    // Removed: what it holds dies with the room, not an hour later.
    host.socket.message({ type: 'remove', id: guest.id });
    expect(guest.socket.closedWith?.code).toBe(CLOSE.removed);

    // Extended by two hours: renewed at 80 % of the 15 minutes given, for a full hour again.
    const info = directory.rooms.get(slug) as RoomInfo;
    directory.rooms.set(slug, { ...info, endsAt: new Date(info.endsAt.getTime() + 2 * 3600_000) });
    expect(await hub.recheckRoom(slug)).toBe(0);
    await advance(12 * 60_000);
    const renewed = host.socket.all('ice-servers');
    expect(renewed).toHaveLength(1);
    expect(expiry(renewed[0]?.iceServers)).toBe(Math.floor(now / 1000) + 3600);
  });
});

describe('checks of one room that overlap', () => {
  /** A directory whose answers the test releases one by one, each as the row was when asked. */
  class HeldDirectory implements RoomDirectory {
    readonly pending: { release(): void }[] = [];
    holding = false;
    constructor(readonly rooms: Map<string, RoomInfo>) {}
    findBySlug(slug: string): Promise<RoomInfo | null> {
      const snapshot = this.rooms.get(slug) ?? null;
      if (!this.holding) return Promise.resolve(snapshot);
      return new Promise((resolve) => this.pending.push({ release: () => resolve(snapshot) }));
    }
  }

  it('apply only the answer of the one started last, whatever order the answers come in', async () => {
    const slug = 'OverlappingChecks0001';
    const rows = new Map([[slug, roomInfo()]]);
    const held = new HeldDirectory(rows);
    const hub = newHub(6, undefined, { directory: held });
    const host = await join(hub, slug, 'Hana', HOST_PIN);
    const gus = await join(hub, slug, 'Gus', '');
    const info = rows.get(slug) as RoomInfo;
    held.holding = true;
    // A guest PIN turned on, then off again at once: two rechecks, answered newest first.
    rows.set(slug, { ...info, guestPin: GUEST_PIN });
    const first = hub.recheckRoom(slug);
    rows.set(slug, { ...info, guestPin: null });
    const second = hub.recheckRoom(slug);
    expect(held.pending).toHaveLength(2);
    held.pending[1]?.release();
    expect(await second).toBe(0);
    held.pending[0]?.release();
    expect(await first).toBe(0);
    expect(gus.socket.all('closed')).toEqual([]);
    expect(hub.counts().participants).toBe(2);
    expect(host.socket.all('peer-left')).toEqual([]);
  });
});

describe('a room’s budget of PIN tries in a ledger', () => {
  /** The in-memory ledger, whose next take the test may hold; it counts the tries given back. */
  class HeldLedger implements PinFailureLedger {
    readonly inner = new MemoryPinFailureLedger();
    readonly waiting: (() => void)[] = [];
    holdNext = false;
    refunds = 0;
    async take(meetingId: string, at: number, policy: RoomPinPolicy) {
      if (this.holdNext) {
        this.holdNext = false;
        await new Promise<void>((resolve) => this.waiting.push(resolve));
      }
      return this.inner.take(meetingId, at, policy);
    }
    async refund(meetingId: string, at: number, policy: RoomPinPolicy) {
      this.refunds += 1;
      return this.inner.refund(meetingId, at, policy);
    }
  }
  const ROOM = {
    attempts: 50,
    lockoutMs: 15 * 60_000,
    maxLockoutMs: 24 * 3_600_000,
    memoryMs: 24 * 3_600_000,
  };
  const pinsOn = (ledger: PinFailureLedger, roomAttempts = 50) =>
    new PinGuard({ attempts: 5, roomAttempts, lockoutMs: 15 * 60_000 }, () => now, ledger);

  it('refuses even the right PIN on a hub that had not heard of the lockout another hub’s wrong PINs made', async () => {
    const ledger = new HeldLedger();
    const one = newHub(6, undefined, { pins: pinsOn(ledger, 3) });
    const two = newHub(6, undefined, { pins: pinsOn(ledger, 3) });
    const slug = directory.add();
    for (const client of ['203.0.113.1', '203.0.113.2', '203.0.113.3'])
      await attempt(one, slug, 'Mallory', '000000', new FakeSocket(), client);
    const host = await attempt(two, slug, 'Hana', HOST_PIN);
    expect(host.received).toEqual([{ type: 'refused', reason: 'locked', retryAfterSeconds: 15 * 60 }]);
    // A room without a guest PIN still admits guests, who give none.
    expect((await attempt(two, slug, 'Gus')).all('joined')).toMatchObject([{ role: 'guest' }]);
  });

  it('refuses a join whose try the ledger could not take, and never checks its PIN', async () => {
    const ledger: PinFailureLedger = {
      take: async () =>
        Promise.reject(Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' })),
      refund: async () => undefined,
    };
    const hub = newHub(6, undefined, { pins: pinsOn(ledger) });
    const slug = directory.add();
    expect((await attempt(hub, slug, 'Hana', HOST_PIN)).received).toEqual([
      { type: 'refused', reason: 'unavailable' },
    ]);
  });

  it('gives a try back when the PIN was right, or when its socket went away before the PIN was checked', async () => {
    const ledger = new HeldLedger();
    const hub = newHub(6, undefined, { pins: pinsOn(ledger) });
    const slug = directory.add();
    const meetingId = (directory.rooms.get(slug) as RoomInfo).meetingId;
    await join(hub, slug, 'Hana', HOST_PIN);
    expect(ledger.refunds).toBe(1);
    ledger.holdNext = true;
    const gone = await attempt(hub, slug, 'Mallory', '000000');
    gone.hangUp();
    ledger.waiting.shift()?.();
    await settle();
    expect(gone.received).toEqual([]);
    expect(ledger.refunds).toBe(2);
    // Nothing counted: the room has its whole budget but for this try.
    expect(await ledger.inner.take(meetingId, now, { ...ROOM, attempts: 50 })).toMatchObject({
      remaining: 49,
    });
  });

  it('judges a PIN by the meeting as it is after a change made while its try was being taken', async () => {
    const ledger = new HeldLedger();
    const hub = newHub(6, undefined, { pins: pinsOn(ledger) });
    const slug = directory.add({ guestPin: GUEST_PIN });
    ledger.holdNext = true;
    const late = await attempt(hub, slug, 'Gus', GUEST_PIN);
    expect(ledger.waiting).toHaveLength(1);
    // The organizer changes the guest PIN meanwhile; the core tells the room service.
    directory.rooms.set(slug, { ...(directory.rooms.get(slug) as RoomInfo), guestPin: '551177' });
    await hub.recheckRoom(slug);
    ledger.waiting.shift()?.();
    await settle();
    expect(late.received).toEqual([{ type: 'error', code: 'wrong_pin', remainingAttempts: 4 }]);
    // The try taken for the old answer was given back; the one for the new answer was spent.
    expect(ledger.refunds).toBe(1);
  });
});

describe('host links', () => {
  const TICKET = `v1.k1.${'A'.repeat(140)}`;
  const LIFE_MS = 15 * 60_000;

  /** A directory row that vouches for TICKET (and no other), as the core does, expiring LIFE_MS from now. */
  function hostLinkRoom(overrides: Partial<RoomInfo> = {}, claimId = 'claim-1') {
    const issuedAt = new Date(now);
    const expiresAt = new Date(now + LIFE_MS);
    const checked: string[] = [];
    const slug = directory.add({
      checkHostTicket: async (ticket) => {
        checked.push(ticket);
        return ticket === TICKET ? { id: claimId, issuedAt, expiresAt } : null;
      },
      ...overrides,
    });
    return { slug, checked };
  }

  /** Sends a join with a ticket (and a PIN if given) on a new socket of `client`. */
  async function withTicket(
    hub: RoomHub,
    slug: string,
    ticket = TICKET,
    { pin, client = '198.51.100.1', name = 'Olivia' }: { pin?: string; client?: string; name?: string } = {},
  ) {
    const socket = new FakeSocket();
    hub.accept(socket as unknown as WebSocket, slug, client);
    socket.message({ type: 'join', name, ticket, ...(pin ? { pin } : {}) });
    await settle();
    return socket;
  }

  const hostLinkInvalid = [{ type: 'error', code: 'host_link_invalid' }];

  it('let the organizer in as host while the room takes no PIN (locked by wrong ones from everywhere)', async () => {
    const pins = new PinGuard({ attempts: 5, roomAttempts: 3, lockoutMs: 15 * 60_000 }, () => now);
    const hub = newHub(6, undefined, { pins });
    const { slug } = hostLinkRoom({ guestPin: GUEST_PIN });
    for (const client of ['203.0.113.1', '203.0.113.2', '203.0.113.3'])
      await attempt(hub, slug, 'Mallory', '000000', new FakeSocket(), client);
    // The room is locked: even the host PIN is refused now, from an address that guessed nothing.
    const withPin = await attempt(hub, slug, 'Olivia', HOST_PIN);
    expect(withPin.all('refused')).toMatchObject([{ reason: 'locked' }]);

    const organizer = await withTicket(hub, slug);
    expect(organizer.all('joined')).toMatchObject([{ role: 'host' }]);
    expect(organizer.all('refused')).toEqual([]);
  });

  it('let in as host a client whose address a host removed', async () => {
    const hub = newHub();
    const { slug } = hostLinkRoom();
    const host = await join(hub, slug, 'Hana', HOST_PIN);
    const troll = await join(hub, slug, 'Troll', '');
    host.socket.message({ type: 'remove', id: troll.id });
    expect((await attempt(hub, slug, 'Olivia')).all('refused')).toMatchObject([{ reason: 'removed' }]);

    const organizer = await withTicket(hub, slug);
    expect(organizer.all('joined')).toMatchObject([{ role: 'host' }]);
  });

  it('made before the hub started are refused (a restart forgot what was spent), those made since are not', async () => {
    const { slug } = hostLinkRoom();
    now += 1000; // the process restarts a second after the ticket was made
    const restarted = newHub();
    const before = await withTicket(restarted, slug);
    expect(before.received).toEqual(hostLinkInvalid);
    expect(before.closedWith).toBeNull();
    // The organizer asks Outlook for a new link: made after the start, it gets in.
    const { slug: fresh } = hostLinkRoom();
    expect((await withTicket(restarted, fresh)).all('joined')).toMatchObject([{ role: 'host' }]);
  });

  it('are refused once expired by the hub’s clock, whatever the directory says', async () => {
    const hub = newHub();
    const { slug, checked } = hostLinkRoom();
    now += LIFE_MS;
    const late = await withTicket(hub, slug);
    expect(checked).toEqual([TICKET]);
    expect(late.received).toEqual(hostLinkInvalid);
    expect(late.closedWith).toBeNull();
    // A millisecond before, it was still good.
    const { slug: other } = hostLinkRoom();
    now += LIFE_MS - 1;
    expect((await withTicket(hub, other)).all('joined')).toMatchObject([{ role: 'host' }]);
  });

  it('work once: a second join with the same ticket is refused, even after the first host left', async () => {
    const hub = newHub();
    const { slug } = hostLinkRoom();
    const first = await withTicket(hub, slug);
    expect(first.all('joined')).toMatchObject([{ role: 'host' }]);
    const second = await withTicket(hub, slug, TICKET, { client: '203.0.113.7' });
    expect(second.received).toEqual(hostLinkInvalid);
    first.message({ type: 'leave' });
    expect((await withTicket(hub, slug)).received).toEqual(hostLinkInvalid);
  });

  it('refused by the directory are answered host_link_invalid and count towards no lockout', async () => {
    const hub = newHub();
    const { slug } = hostLinkRoom({ guestPin: GUEST_PIN });
    // More bad tickets than the 5 wrong PINs that lock a client out.
    const sockets = [];
    for (let i = 0; i < 7; i++) sockets.push(await withTicket(hub, slug, `v1.k1.forged${i}`));
    for (const socket of sockets) {
      expect(socket.received).toEqual(hostLinkInvalid);
      expect(socket.closedWith).toBeNull();
    }
    // The same socket then takes PINs as if nothing happened: a wrong one leaves 4 of 5 tries.
    const last = sockets[6] as FakeSocket;
    last.message({ type: 'join', name: 'Olivia', pin: '000000' });
    await settle();
    expect(last.all('error').at(-1)).toEqual({ type: 'error', code: 'wrong_pin', remainingAttempts: 4 });
    last.message({ type: 'join', name: 'Olivia', pin: HOST_PIN });
    await settle();
    expect(last.all('joined')).toMatchObject([{ role: 'host' }]);
  });

  it('are refused by a room whose directory cannot check them', async () => {
    const hub = newHub();
    const slug = directory.add();
    const socket = await withTicket(hub, slug);
    expect(socket.received).toEqual(hostLinkInvalid);
    expect(socket.closedWith).toBeNull();
  });

  it('obey the room’s opening time, and are not spent by a refusal', async () => {
    const hub = newHub();
    // Opens (60 minutes before the start) in 10 minutes; the ticket lives 15.
    const { slug } = hostLinkRoom({
      startsAt: new Date(now + 70 * 60_000),
      endsAt: new Date(now + 130 * 60_000),
    });
    const early = await withTicket(hub, slug);
    expect(early.all('refused')).toMatchObject([{ reason: 'not_yet_open' }]);
    expect(early.closedWith?.code).toBe(CLOSE.refused);
    now += 11 * 60_000;
    expect((await withTicket(hub, slug)).all('joined')).toMatchObject([{ role: 'host' }]);
  });

  it('get the host’s seat past the cap; a full room refuses without spending the ticket', async () => {
    const hub = newHub(2);
    const { slug } = hostLinkRoom();
    await join(hub, slug, 'Ada', '');
    await join(hub, slug, 'Bob', '');
    expect((await withTicket(hub, slug)).all('joined')).toMatchObject([{ role: 'host' }]);

    // Full even for a host: two guests and a host with the PIN.
    const { slug: full } = hostLinkRoom({}, 'claim-2');
    await join(hub, full, 'Cy', '');
    await join(hub, full, 'Di', '');
    const hana = await join(hub, full, 'Hana', HOST_PIN);
    const refused = await withTicket(hub, full);
    expect(refused.all('refused')).toMatchObject([{ reason: 'room_full' }]);
    hana.socket.message({ type: 'leave' });
    expect((await withTicket(hub, full)).all('joined')).toMatchObject([{ role: 'host' }]);
  });

  it('and a PIN in the same join are refused as an invalid message', async () => {
    const hub = newHub();
    const { slug, checked } = hostLinkRoom();
    const both = await withTicket(hub, slug, TICKET, { pin: HOST_PIN });
    expect(both.received).toEqual([{ type: 'error', code: 'invalid_message' }]);
    expect(both.closedWith).toBeNull();
    expect(checked).toEqual([]);
    // An empty PIN is no PIN.
    const emptyPin = new FakeSocket();
    hub.accept(emptyPin as unknown as WebSocket, slug, '198.51.100.1');
    emptyPin.message({ type: 'join', name: 'Olivia', pin: '', ticket: TICKET });
    await settle();
    expect(emptyPin.all('joined')).toMatchObject([{ role: 'host' }]);
  });

  it('longer than 256 characters, or with other characters, are refused by the schema, unchecked', async () => {
    const hub = newHub();
    const { slug, checked } = hostLinkRoom();
    for (const ticket of ['A'.repeat(LIMITS.ticketLength + 1), '', 'v1.k1.a+b/c=', 'v1 k1'])
      expect((await withTicket(hub, slug, ticket)).received, ticket).toEqual([
        { type: 'error', code: 'invalid_message' },
      ]);
    expect(checked).toEqual([]);
    // The longest one is the directory's to judge.
    expect((await withTicket(hub, slug, 'A'.repeat(LIMITS.ticketLength))).received).toEqual(hostLinkInvalid);
    expect(checked).toHaveLength(1);
  });

  describe('and the rejoin token a host gets', () => {
    const TOKEN = new RegExp(HOST_TICKET);
    /** The rejoin token in a socket's `joined`, which must have one. */
    function rejoinOf(socket: FakeSocket): string {
      const rejoin = socket.all('joined')[0]?.rejoin;
      if (rejoin === undefined) throw new Error(`no rejoin token: ${JSON.stringify(socket.received)}`);
      return rejoin;
    }
    /** A host who came in by host link and lost their connection: the rejoin token they hold. */
    async function hostWhoLeft(hub: RoomHub, slug: string): Promise<string> {
      const host = await withTicket(hub, slug);
      const token = rejoinOf(host);
      host.terminate();
      return token;
    }
    /** Locks `client` out of the room's PINs: 5 wrong ones. */
    async function lockOut(hub: RoomHub, slug: string, client: string) {
      for (let i = 0; i < 5; i++) await attempt(hub, slug, 'Olivia', '000000', new FakeSocket(), client);
      const locked = await attempt(hub, slug, 'Olivia', HOST_PIN, new FakeSocket(), client);
      expect(locked.all('refused')).toMatchObject([{ reason: 'locked' }]);
    }

    it('gets a host by host link back in as host after a lost connection, past the PIN lockout, again and again', async () => {
      const hub = newHub();
      const { slug, checked } = hostLinkRoom({ guestPin: GUEST_PIN });
      const client = '198.51.100.9';
      const first = await withTicket(hub, slug, TICKET, { client });
      const token = rejoinOf(first);
      expect(token).toMatch(TOKEN);
      expect(token).toHaveLength(22);
      expect(token).not.toBe(TICKET);
      await lockOut(hub, slug, client);

      first.terminate();
      const second = await withTicket(hub, slug, token, { client });
      expect(second.all('joined')).toMatchObject([{ role: 'host', rejoin: token }]);
      second.terminate();
      const third = await withTicket(hub, slug, token, { client });
      expect(third.all('joined')).toMatchObject([{ role: 'host', rejoin: token }]);
      // The hub's own token: the directory was asked about the host link only.
      expect(checked).toEqual([TICKET]);
      // The host link itself stays spent.
      expect((await withTicket(hub, slug, TICKET, { client: '203.0.113.8' })).received).toEqual(
        hostLinkInvalid,
      );
    });

    it('is given to a host by PIN too; a guest gets a guest ticket of its own, which never makes a host', async () => {
      const hub = newHub();
      const slug = directory.add({ guestPin: GUEST_PIN, lobby: true });
      const host = await join(hub, slug, 'Hana', HOST_PIN);
      const token = rejoinOf(host.socket);
      expect(token).toMatch(TOKEN);
      const guest = await attempt(hub, slug, 'Gus', GUEST_PIN);
      expect(guest.all('waiting')).toHaveLength(1);
      host.socket.message({ type: 'admit', id: host.socket.all('lobby').at(-1)?.waiting[0]?.id });
      await settle();
      expect(guest.all('joined')).toMatchObject([{ role: 'guest' }]);
      const guestTicket = rejoinOf(guest);
      expect(guestTicket).toMatch(TOKEN);
      expect(guestTicket).not.toBe(token);
      const noLobby = directory.add();
      const walkIn = await join(hub, noLobby, 'Wes', '');
      expect(rejoinOf(walkIn.socket)).toMatch(TOKEN);

      host.socket.terminate();
      const back = await withTicket(hub, slug, token, { name: 'Hana' });
      expect(back.all('joined')).toMatchObject([{ role: 'host', rejoin: token }]);
      expect(back.all('joined')[0]?.peers.map((p) => p.name)).toEqual(['Gus']);
      // The guest's ticket gets a guest back, as a guest: never a host, not even under a host's name.
      guest.terminate();
      const gus = await withTicket(hub, slug, guestTicket, { name: 'Hana' });
      expect(gus.all('joined')).toMatchObject([{ role: 'guest', rejoin: guestTicket }]);
      expect(gus.all('joined')[0]).not.toHaveProperty('waiting');
    });

    it('made for the host PIN stops working when the host PIN changes; one from a host link does not', async () => {
      const hub = newHub();
      const { slug } = hostLinkRoom();
      const byLink = await withTicket(hub, slug);
      const byPin = await join(hub, slug, 'Hana', HOST_PIN);
      const [linkToken, pinToken] = [rejoinOf(byLink), rejoinOf(byPin.socket)];
      byLink.terminate();
      byPin.socket.terminate();
      // The host PIN leaked, say: the organizer gives the meeting a new one.
      const info = directory.rooms.get(slug) as RoomInfo;
      directory.rooms.set(slug, { ...info, hostPin: '907151' });
      expect((await withTicket(hub, slug, pinToken)).received).toEqual(hostLinkInvalid);
      expect((await withTicket(hub, slug, linkToken)).all('joined')).toMatchObject([{ role: 'host' }]);
    });

    it('is refused by another room, as an invalid host link its directory is not asked about', async () => {
      const hub = newHub();
      const { slug } = hostLinkRoom();
      const token = rejoinOf(await withTicket(hub, slug));
      const { slug: other, checked } = hostLinkRoom({}, 'claim-2');
      const elsewhere = await withTicket(hub, other, token);
      expect(elsewhere.received).toEqual(hostLinkInvalid);
      expect(elsewhere.closedWith).toBeNull();
      expect(checked).toEqual([]);
      // Still good in its own room.
      expect((await withTicket(hub, slug, token)).all('joined')).toMatchObject([{ role: 'host' }]);
    });

    it('ends with the room: past its closing time the room is refused as closed', async () => {
      const hub = newHub();
      const { slug } = hostLinkRoom();
      const token = await hostWhoLeft(hub, slug);
      // The room closes 60 minutes after the meeting's end, 55 minutes from now (the rooms here are timed
      // from the real clock, a few milliseconds after `now`: a minute more to be past it).
      now += 116 * 60_000;
      const late = await withTicket(hub, slug, token);
      expect(late.all('refused')).toMatchObject([{ reason: 'closed' }]);
    });

    it('obeys the room: a cancelled meeting refuses it', async () => {
      const hub = newHub();
      const { slug } = hostLinkRoom();
      const token = await hostWhoLeft(hub, slug);
      const info = directory.rooms.get(slug) as RoomInfo;
      directory.rooms.set(slug, { ...info, status: 'cancelled' });
      expect((await withTicket(hub, slug, token)).all('refused')).toMatchObject([{ reason: 'cancelled' }]);
    });

    it('gets the host’s one seat past the cap, and no more', async () => {
      const hub = newHub(2);
      const slug = directory.add();
      const host = await join(hub, slug, 'Hana', HOST_PIN);
      const token = rejoinOf(host.socket);
      host.socket.terminate();
      await join(hub, slug, 'Ada', '');
      await join(hub, slug, 'Bob', '');
      expect((await attempt(hub, slug, 'Cy', '')).all('refused')).toMatchObject([{ reason: 'room_full' }]);
      const first = await withTicket(hub, slug, token);
      expect(first.all('joined')).toMatchObject([{ role: 'host' }]);
      // The same token on a second socket (another tab) moves the host there: still one seat.
      expect((await withTicket(hub, slug, token)).all('joined')).toMatchObject([{ role: 'host' }]);
      expect(first.all('replaced')).toHaveLength(1);
      expect(hub.counts().participants).toBe(3);
      expect((await attempt(hub, slug, 'Hugo', HOST_PIN)).all('refused')).toMatchObject([
        { reason: 'room_full' },
      ]);
    });

    describe('while the participant it was handed to is still in the room', () => {
      /** Who a participant sees in the room, from what its socket received: names by id. */
      function roster(socket: FakeSocket): Map<string, string> {
        const seen = new Map<string, string>();
        for (const message of socket.received) {
          if (message.type === 'joined') for (const peer of message.peers) seen.set(peer.id, peer.name);
          if (message.type === 'peer-joined') seen.set(message.peer.id, message.peer.name);
          if (message.type === 'peer-left') seen.delete(message.id);
        }
        return seen;
      }
      function countingMetrics() {
        const counted = { joined: 0, left: 0 };
        const metrics = metricsWith({
          joined: () => void counted.joined++,
          left: () => void counted.left++,
        });
        return { counted, metrics };
      }

      it('replaces that old connection in a full room: one leave, one join, the host once', async () => {
        const { counted, metrics } = countingMetrics();
        const hub = newHub(2, undefined, { metrics });
        const { slug } = hostLinkRoom();
        const ada = await join(hub, slug, 'Ada', '');
        const bob = await join(hub, slug, 'Bob', '');
        // The host takes the seat past the cap.
        const ghost = await withTicket(hub, slug);
        const token = rejoinOf(ghost);
        const ghostId = ghost.all('joined')[0]?.id;
        expect((await attempt(hub, slug, 'Cy', '')).all('refused')).toMatchObject([{ reason: 'room_full' }]);
        // The network is gone: the old socket never answers the close handshake (nor the next ping).
        ghost.lingering = true;
        const [adaBefore, bobBefore] = [ada.socket.received.length, bob.socket.received.length];
        const joinedBefore = counted.joined;

        const back = await withTicket(hub, slug, token);
        const joined = back.all('joined');
        expect(joined).toMatchObject([{ role: 'host', rejoin: token }]);
        const backId = joined[0]?.id;
        expect(backId).not.toBe(ghostId);
        expect(joined[0]?.peers.map((p) => p.name).sort()).toEqual(['Ada', 'Bob']);
        expect(back.all('refused')).toEqual([]);
        // The old socket: told why as its last frame, and closed.
        expect(ghost.received.at(-1)).toEqual({ type: 'replaced' });
        expect(ghost.all('replaced')).toHaveLength(1);
        expect(ghost.closedWith).toEqual({ code: CLOSE.replaced, reason: 'replaced' });
        // The others: exactly one leave of the old participant, then one join, as on a leave.
        const host = { id: backId, name: 'Olivia', role: 'host', audio: false, video: false, screen: false };
        for (const [socket, before] of [
          [ada.socket, adaBefore],
          [bob.socket, bobBefore],
        ] as const)
          expect(socket.received.slice(before)).toEqual([
            { type: 'peer-left', id: ghostId },
            { type: 'peer-joined', peer: host },
          ]);
        expect([...roster(ada.socket).values()].sort()).toEqual(['Bob', 'Olivia']);
        expect([...roster(bob.socket).values()].sort()).toEqual(['Ada', 'Olivia']);
        expect(hub.counts().participants).toBe(3);
        expect(counted).toEqual({ joined: joinedBefore + 1, left: 1 });
        // Nothing more the old socket sends counts: it is out of the room.
        ghost.message({ type: 'chat', text: 'still here?' });
        expect(ada.socket.all('chat')).toEqual([]);
      });

      it('follows the host to each new connection: the next join with it replaces that one', async () => {
        const hub = newHub(2);
        const slug = directory.add();
        const ada = await join(hub, slug, 'Ada', '');
        await join(hub, slug, 'Bob', '');
        const first = await join(hub, slug, 'Hana', HOST_PIN);
        const token = rejoinOf(first.socket);
        const second = await withTicket(hub, slug, token, { name: 'Hana' });
        expect(first.socket.all('replaced')).toHaveLength(1);
        const third = await withTicket(hub, slug, token, { name: 'Hana' });
        expect(third.all('joined')).toMatchObject([{ role: 'host', rejoin: token }]);
        expect(second.all('replaced')).toHaveLength(1);
        expect(second.closedWith?.code).toBe(CLOSE.replaced);
        expect(first.socket.all('replaced')).toHaveLength(1);
        expect(third.all('replaced')).toEqual([]);
        const ids = [first.id, second.all('joined')[0]?.id, third.all('joined')[0]?.id];
        expect(ada.socket.all('peer-left').map((m) => m.id)).toEqual(ids.slice(0, 2));
        expect(hub.counts().participants).toBe(3);
      });

      it('is not taken for its host when that participant already left: nobody is replaced', async () => {
        const hub = newHub();
        const { slug } = hostLinkRoom();
        const olivia = await withTicket(hub, slug);
        const token = rejoinOf(olivia);
        const oliviaId = olivia.all('joined')[0]?.id;
        const hana = await join(hub, slug, 'Hana', HOST_PIN);
        const ada = await join(hub, slug, 'Ada', '');
        olivia.message({ type: 'leave' });
        expect(ada.socket.all('peer-left')).toEqual([{ type: 'peer-left', id: oliviaId }]);

        const back = await withTicket(hub, slug, token);
        expect(back.all('joined')).toMatchObject([{ role: 'host', rejoin: token }]);
        for (const socket of [hana.socket, ada.socket]) {
          expect(socket.all('replaced')).toEqual([]);
          expect(socket.closedWith).toBeNull();
        }
        expect(ada.socket.all('peer-left')).toEqual([{ type: 'peer-left', id: oliviaId }]);
        expect([...roster(ada.socket).values()].sort()).toEqual(['Hana', 'Olivia']);
        expect(hub.counts().participants).toBe(3);
        // The participant it now belongs to is the one it replaces next.
        const again = await withTicket(hub, slug, token);
        expect(again.all('joined')).toMatchObject([{ role: 'host' }]);
        expect(back.all('replaced')).toHaveLength(1);
        expect(hana.socket.closedWith).toBeNull();
      });

      it('is the only key that replaces anyone: a host link, the host PIN or the guest PIN never does', async () => {
        const hub = newHub(2);
        const { slug } = hostLinkRoom({ guestPin: GUEST_PIN });
        const ada = await join(hub, slug, 'Ada', GUEST_PIN);
        const bob = await join(hub, slug, 'Bob', GUEST_PIN);
        const hana = await join(hub, slug, 'Hana', HOST_PIN);
        const token = rejoinOf(hana.socket);
        const keys = [
          () => withTicket(hub, slug, TICKET, { name: 'Hana' }),
          () => attempt(hub, slug, 'Hana', HOST_PIN),
          () => attempt(hub, slug, 'Gus', GUEST_PIN),
        ];
        for (const key of keys) expect((await key()).all('refused')).toMatchObject([{ reason: 'room_full' }]);
        for (const socket of [hana.socket, ada.socket, bob.socket]) {
          expect(socket.all('replaced')).toEqual([]);
          expect(socket.all('peer-left')).toEqual([]);
          expect(socket.closedWith).toBeNull();
        }
        // The same full room, Hana's own rejoin token: that one does.
        expect((await withTicket(hub, slug, token, { name: 'Hana' })).all('joined')).toMatchObject([
          { role: 'host' },
        ]);
        expect(hana.socket.all('replaced')).toHaveLength(1);
        // The refused host link was not spent: it gets its host in once a seat frees.
        bob.socket.message({ type: 'leave' });
        expect((await withTicket(hub, slug)).all('joined')).toMatchObject([{ role: 'host' }]);
      });
    });

    it('is good until the closing time the hub knew: a meeting extended while the room stood empty takes the PIN', async () => {
      const hub = newHub();
      const { slug } = hostLinkRoom();
      const token = await hostWhoLeft(hub, slug);
      const info = directory.rooms.get(slug) as RoomInfo;
      directory.rooms.set(slug, { ...info, endsAt: new Date(info.endsAt.getTime() + 60 * 60_000) });
      now += 116 * 60_000;
      expect((await withTicket(hub, slug, token)).received).toEqual(hostLinkInvalid);
      expect((await join(hub, slug, 'Hana', HOST_PIN)).socket.all('joined')).toMatchObject([
        { role: 'host' },
      ]);
    });

    it('is good until the room’s latest closing time once its host came back after an extension', async () => {
      const hub = newHub();
      const { slug } = hostLinkRoom();
      const token = await hostWhoLeft(hub, slug);
      const info = directory.rooms.get(slug) as RoomInfo;
      directory.rooms.set(slug, { ...info, endsAt: new Date(info.endsAt.getTime() + 60 * 60_000) });
      const back = await withTicket(hub, slug, token);
      expect(back.all('joined')).toMatchObject([{ role: 'host', rejoin: token }]);
      // Left with the page still open (a page gone keeps it for a grace only: see 'whose page went away').
      back.message({ type: 'leave' });
      now += 116 * 60_000;
      expect((await withTicket(hub, slug, token)).all('joined')).toMatchObject([{ role: 'host' }]);
    });

    it('follows the closing time of the room while its host is in it', async () => {
      const hub = newHub();
      const { slug } = hostLinkRoom();
      const host = await withTicket(hub, slug);
      const token = rejoinOf(host);
      const info = directory.rooms.get(slug) as RoomInfo;
      directory.rooms.set(slug, { ...info, endsAt: new Date(info.endsAt.getTime() + 60 * 60_000) });
      await hub.recheckRoom(slug);
      host.message({ type: 'leave' });
      now += 116 * 60_000;
      expect((await withTicket(hub, slug, token)).all('joined')).toMatchObject([{ role: 'host' }]);
    });

    it('whose page went away is good for the grace only: a reload gets back in, a tab reopened later takes the PIN', async () => {
      const hub = newHub();
      const { slug } = hostLinkRoom({ guestPin: GUEST_PIN });
      const host = await withTicket(hub, slug);
      const token = rejoinOf(host);
      // A reload: the page closes its socket without a leave, and joins again with the tab's token.
      host.hangUp();
      now += REJOIN_GRACE_MS - 1000;
      const back = await withTicket(hub, slug, token);
      expect(back.all('joined')).toMatchObject([{ role: 'host', rejoin: token }]);
      // Back in, the token is the new connection's, with no grace running: the meeting goes on.
      now += 30 * 60_000;
      back.hangUp();
      // The tab closed, then reopened (its sessionStorage restored) after the grace: refused, and
      // forgotten; the host PIN still works.
      now += REJOIN_GRACE_MS;
      expect((await withTicket(hub, slug, token)).received).toEqual(hostLinkInvalid);
      expect((await join(hub, slug, 'Hana', HOST_PIN)).socket.all('joined')).toMatchObject([
        { role: 'host' },
      ]);
      // A guest's ticket the same way.
      const gus = await join(hub, slug, 'Gus', GUEST_PIN);
      const ticket = rejoinOf(gus.socket);
      gus.socket.hangUp();
      now += REJOIN_GRACE_MS;
      const guestBack = await withTicket(hub, slug, ticket, { client: '203.0.113.9', name: 'Gus' });
      expect(guestBack.received).toEqual(hostLinkInvalid);
    });

    it('is kept until the closing time while its page stays open: after Leave, or a connection the hub found dead', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
      const hub = newHub();
      const { slug } = hostLinkRoom();
      const host = await withTicket(hub, slug);
      const token = rejoinOf(host);
      host.message({ type: 'leave' });
      now += 30 * 60_000;
      const back = await withTicket(hub, slug, token);
      expect(back.all('joined')).toMatchObject([{ role: 'host', rejoin: token }]);
      // The network dies: the heartbeat gives up on the connection, the page says it was lost.
      back.deaf = true;
      await advance(60_000);
      expect(back.terminated).toBe(true);
      expect(hub.counts().participants).toBe(0);
      now += 30 * 60_000;
      expect((await withTicket(hub, slug, token)).all('joined')).toMatchObject([{ role: 'host' }]);
    });

    it('is revoked when another host removes its holder; the other host keeps theirs', async () => {
      const hub = newHub();
      const { slug } = hostLinkRoom();
      const olivia = await withTicket(hub, slug, TICKET, { client: '203.0.113.20' });
      const hana = await join(hub, slug, 'Hana', HOST_PIN);
      const hanaToken = rejoinOf(hana.socket);
      hana.socket.message({ type: 'remove', id: olivia.all('joined')[0]?.id });
      await settle();
      expect(olivia.all('removed')).toHaveLength(1);
      expect(olivia.closedWith?.code).toBe(CLOSE.removed);
      const back = await withTicket(hub, slug, rejoinOf(olivia), { client: '203.0.113.20' });
      expect(back.received).toEqual(hostLinkInvalid);
      // Hosts can remove hosts both ways: Hana's token was not Olivia's.
      hana.socket.terminate();
      expect((await withTicket(hub, slug, hanaToken)).all('joined')).toMatchObject([{ role: 'host' }]);
    });

    it('is revoked when the room is closed', async () => {
      const hub = newHub();
      const { slug } = hostLinkRoom();
      const token = await hostWhoLeft(hub, slug);
      // Nobody is in the room: it is closed all the same (by slug or meeting id).
      hub.closeRoom(slug, 'ended');
      expect((await withTicket(hub, slug, token)).received).toEqual(hostLinkInvalid);
      const pinHost = await join(hub, slug, 'Hana', HOST_PIN);
      const pinToken = rejoinOf(pinHost.socket);
      expect(hub.closeRoom((directory.rooms.get(slug) as RoomInfo).meetingId, 'ended')).toBe(1);
      expect((await withTicket(hub, slug, pinToken)).received).toEqual(hostLinkInvalid);
    });

    it('is not made past the cap: the host gets in without one; a token revoked or expired makes room', async () => {
      const hub = newHub(6, undefined, { rejoinCapacity: 1 });
      const first = await join(hub, directory.add(), 'Hana', HOST_PIN);
      expect(rejoinOf(first.socket)).toMatch(TOKEN);
      const slug = directory.add();
      const second = await join(hub, slug, 'Hugo', HOST_PIN);
      expect(second.socket.all('joined')).toMatchObject([{ role: 'host' }]);
      expect(second.socket.all('joined')[0]).not.toHaveProperty('rejoin');
      // Past the first room's closing time the first token is good for nothing: it makes room.
      now += 116 * 60_000;
      const later = directory.add({ startsAt: new Date(now), endsAt: new Date(now + 60 * 60_000) });
      expect(rejoinOf((await join(hub, later, 'Hana', HOST_PIN)).socket)).toMatch(TOKEN);
    });
  });
});

describe('a guest’s rejoin ticket', () => {
  const TOKEN = new RegExp(HOST_TICKET);
  const HOST = '192.0.2.10';
  const GUEST = '198.51.100.20';
  const hostLinkInvalid = [{ type: 'error', code: 'host_link_invalid' }];

  /** The ticket in a socket's `joined`, which must have one. */
  function ticketOf(socket: FakeSocket): string {
    const rejoin = socket.all('joined')[0]?.rejoin;
    if (rejoin === undefined) throw new Error(`no rejoin ticket: ${JSON.stringify(socket.received)}`);
    return rejoin;
  }

  /** Sends a join with `ticket` (no PIN) on a new socket of `client`. */
  async function withTicket(hub: RoomHub, slug: string, ticket: string, name = 'Gus', client = GUEST) {
    const socket = new FakeSocket();
    hub.accept(socket as unknown as WebSocket, slug, client);
    socket.message({ type: 'join', name, ticket });
    await settle();
    return socket;
  }

  /** Who a participant sees in the room, from what its socket received: names by id. */
  function roster(socket: FakeSocket): Map<string, string> {
    const seen = new Map<string, string>();
    for (const message of socket.received) {
      if (message.type === 'joined') for (const peer of message.peers) seen.set(peer.id, peer.name);
      if (message.type === 'peer-joined') seen.set(message.peer.id, message.peer.name);
      if (message.type === 'peer-left') seen.delete(message.id);
    }
    return seen;
  }

  /** The id the host's latest lobby list gives the guest waiting as `name`. */
  function waitingId(host: FakeSocket, name: string): string {
    const id = host
      .all('lobby')
      .at(-1)
      ?.waiting.find((w) => w.name === name)?.id;
    if (id === undefined) throw new Error(`${name} is not waiting`);
    return id;
  }

  /** A lobby room with a host in it and Gus, whom the host let in: Gus's socket and ticket. */
  async function admittedGuest(hub: RoomHub, overrides: Partial<RoomInfo> = {}) {
    const slug = directory.add({ lobby: true, guestPin: GUEST_PIN, ...overrides });
    const host = await attempt(hub, slug, 'Hana', HOST_PIN, new FakeSocket(), HOST);
    const gus = await attempt(hub, slug, 'Gus', GUEST_PIN, new FakeSocket(), GUEST);
    expect(gus.all('waiting')).toHaveLength(1);
    host.message({ type: 'admit', id: waitingId(host, 'Gus') });
    expect(gus.all('joined')).toMatchObject([{ role: 'guest' }]);
    return { slug, host, gus, ticket: ticketOf(gus), gusId: gus.all('joined')[0]?.id };
  }

  it('replaces the guest’s ghost in a full room at once: one leave, one join, the guest seen once', async () => {
    const hub = newHub(2);
    const slug = directory.add({ guestPin: GUEST_PIN });
    const ada = await join(hub, slug, 'Ada', GUEST_PIN);
    const ghost = await attempt(hub, slug, 'Gus', GUEST_PIN, new FakeSocket(), GUEST);
    const ticket = ticketOf(ghost);
    expect(ticket).toMatch(TOKEN);
    expect(ticket).toHaveLength(22);
    const ghostId = ghost.all('joined')[0]?.id;
    // The network is gone, unnoticed: the old socket answers neither the close nor the next ping.
    ghost.lingering = true;
    // With the PIN alone, its own ghost keeps the guest out of the full room.
    const withPin = await attempt(hub, slug, 'Gus', GUEST_PIN, new FakeSocket(), GUEST);
    expect(withPin.all('refused')).toMatchObject([{ reason: 'room_full' }]);
    expect(ghost.all('replaced')).toEqual([]);
    const adaBefore = ada.socket.received.length;

    const back = await withTicket(hub, slug, ticket);
    const joined = back.all('joined');
    expect(joined).toMatchObject([{ role: 'guest', rejoin: ticket }]);
    const backId = joined[0]?.id;
    expect(backId).not.toBe(ghostId);
    expect(joined[0]?.peers.map((p) => p.name)).toEqual(['Ada']);
    expect(ghost.received.at(-1)).toEqual({ type: 'replaced' });
    expect(ghost.closedWith).toEqual({ code: CLOSE.replaced, reason: 'replaced' });
    const gus = { id: backId, name: 'Gus', role: 'guest', audio: false, video: false, screen: false };
    expect(ada.socket.received.slice(adaBefore)).toEqual([
      { type: 'peer-left', id: ghostId },
      { type: 'peer-joined', peer: gus },
    ]);
    expect([...roster(ada.socket).values()]).toEqual(['Gus']);
    expect(hub.counts().participants).toBe(2);
    // Nothing the old socket sends counts any more.
    ghost.message({ type: 'chat', text: 'still here?' });
    expect(ada.socket.all('chat')).toEqual([]);
    // From another network too (the laptop moved to a hotspot), again and again: the ticket follows.
    const again = await withTicket(hub, slug, ticket, 'Gus', '203.0.113.77');
    expect(again.all('joined')).toMatchObject([{ role: 'guest', rejoin: ticket }]);
    expect(back.all('replaced')).toHaveLength(1);
    expect(hub.counts().participants).toBe(2);
  });

  it('brings a guest a host let in back past the lobby, replacing the ghost; the host sees them once', async () => {
    const hub = newHub();
    const { slug, host, gus: ghost, ticket, gusId } = await admittedGuest(hub);
    ghost.lingering = true;
    const lobbiesBefore = host.all('lobby').length;
    const hostBefore = host.received.length;

    const back = await withTicket(hub, slug, ticket);
    expect(back.all('waiting')).toEqual([]);
    expect(back.all('joined')).toMatchObject([{ role: 'guest', rejoin: ticket }]);
    expect(back.all('joined')[0]?.peers.map((p) => p.name)).toEqual(['Hana']);
    expect(ghost.all('replaced')).toHaveLength(1);
    const backId = back.all('joined')[0]?.id;
    expect(host.received.slice(hostBefore)).toMatchObject([
      { type: 'peer-left', id: gusId },
      { type: 'peer-joined', peer: { id: backId, name: 'Gus', role: 'guest' } },
    ]);
    // The host was never asked again.
    expect(host.all('lobby')).toHaveLength(lobbiesBefore);
    expect([...roster(host).values()]).toEqual(['Gus']);
    expect(hub.counts()).toMatchObject({ participants: 2, waiting: 0 });
    // Back in as one the host let in: the lobby stays on, and a recheck leaves the guest in.
    expect(await hub.recheckRoom(slug)).toBe(0);
    expect(back.closedWith).toBeNull();

    // After a proper leave (a reload) too: nobody to replace, and no lobby.
    back.message({ type: 'leave' });
    const reloaded = await withTicket(hub, slug, ticket);
    expect(reloaded.all('joined')).toMatchObject([{ role: 'guest', rejoin: ticket }]);
    expect(host.all('lobby')).toHaveLength(lobbiesBefore);
    // Without it (a PIN join, a new tab), a guest waits for the host as before.
    const newTab = await attempt(hub, slug, 'Gus', GUEST_PIN, new FakeSocket(), GUEST);
    expect(newTab.all('waiting')).toHaveLength(1);
    expect(newTab.all('joined')).toEqual([]);
  });

  it('is revoked when a host removes its guest, from any address; the address is refused as removed', async () => {
    const hub = newHub();
    const { slug, host, gus, ticket, gusId } = await admittedGuest(hub);
    // The host removes the ghost (or the guest) from the call.
    gus.lingering = true;
    host.message({ type: 'remove', id: gusId });
    expect(gus.all('removed')).toHaveLength(1);
    const elsewhere = await withTicket(hub, slug, ticket, 'Gus', '203.0.113.77');
    expect(elsewhere.received).toEqual(hostLinkInvalid);
    expect(elsewhere.all('joined')).toEqual([]);
    const sameAddress = await withTicket(hub, slug, ticket);
    expect(sameAddress.received).toEqual(hostLinkInvalid);
    // The page then shows the form: with the PIN, that address is refused as removed, as before.
    sameAddress.message({ type: 'join', name: 'Gus', pin: GUEST_PIN });
    await settle();
    expect(sameAddress.all('refused')).toMatchObject([{ reason: 'removed' }]);
    expect(sameAddress.all('joined')).toEqual([]);
    // Still revoked once the address's 10 minutes are over.
    now += REMOVED_MS + 1000;
    expect((await withTicket(hub, slug, ticket)).received).toEqual(hostLinkInvalid);
    expect(hub.counts()).toMatchObject({ participants: 1, waiting: 0 });
  });

  it('does not get a client a host denied back in, nor replace its ghost', async () => {
    const hub = newHub();
    const { slug, host, gus: ghost, ticket } = await admittedGuest(hub);
    ghost.lingering = true;
    // The same client asks again in another tab, under another name, and is turned away.
    const alice = await attempt(hub, slug, 'Alice', GUEST_PIN, new FakeSocket(), GUEST);
    expect(alice.all('waiting')).toHaveLength(1);
    expect(alice.all('joined')[0]).toBeUndefined();
    host.message({ type: 'deny', id: waitingId(host, 'Alice') });
    expect(alice.all('denied')).toHaveLength(1);

    const back = await withTicket(hub, slug, ticket);
    expect(back.all('refused')).toMatchObject([{ reason: 'denied' }]);
    expect(back.all('joined')).toEqual([]);
    expect(ghost.all('replaced')).toEqual([]);
    expect(hub.counts()).toMatchObject({ participants: 2, waiting: 0 });
  });

  it('stops working when the guest PIN changes, and a change back does not revive it', async () => {
    const hub = newHub();
    const { slug, gus, ticket } = await admittedGuest(hub);
    gus.terminate();
    const info = directory.rooms.get(slug) as RoomInfo;
    directory.rooms.set(slug, { ...info, guestPin: '305517' });
    const refused = await withTicket(hub, slug, ticket);
    expect(refused.received).toEqual(hostLinkInvalid);
    // Nothing counted: the same socket then joins with the new PIN (to the lobby, as a newcomer).
    expect(refused.closedWith).toBeNull();
    refused.message({ type: 'join', name: 'Gus', pin: '305517' });
    await settle();
    expect(refused.all('waiting')).toHaveLength(1);
    directory.rooms.set(slug, info);
    expect((await withTicket(hub, slug, ticket)).received).toEqual(hostLinkInvalid);

    // A guest inside when the PIN changes is sent out, and the ticket stops with it.
    const second = await admittedGuest(hub);
    const secondInfo = directory.rooms.get(second.slug) as RoomInfo;
    directory.rooms.set(second.slug, { ...secondInfo, guestPin: '305517' });
    expect(await hub.recheckRoom(second.slug)).toBe(1);
    expect(second.gus.all('closed')).toEqual([{ type: 'closed', reason: 'changed' }]);
    directory.rooms.set(second.slug, secondInfo);
    expect((await withTicket(hub, second.slug, second.ticket)).received).toEqual(hostLinkInvalid);
  });

  it('stops working when a lobby is turned on that its guest did not pass', async () => {
    const hub = newHub();
    const slug = directory.add();
    const host = await join(hub, slug, 'Hana', HOST_PIN);
    const wes = await attempt(hub, slug, 'Wes', undefined, new FakeSocket(), GUEST);
    const ticket = ticketOf(wes);
    wes.terminate();
    directory.rooms.set(slug, { ...(directory.rooms.get(slug) as RoomInfo), lobby: true });
    expect((await withTicket(hub, slug, ticket, 'Wes')).received).toEqual(hostLinkInvalid);
    expect(host.socket.all('peer-joined')).toHaveLength(1);
    expect(hub.counts()).toMatchObject({ participants: 1, waiting: 0 });
  });

  it('is refused by another room, whose directory is not asked about it; it still works in its own', async () => {
    const hub = newHub();
    const { slug, gus, ticket } = await admittedGuest(hub);
    const checked: string[] = [];
    const other = directory.add({
      guestPin: GUEST_PIN,
      checkHostTicket: async (given) => {
        checked.push(given);
        return null;
      },
    });
    const elsewhere = await withTicket(hub, other, ticket);
    expect(elsewhere.received).toEqual(hostLinkInvalid);
    expect(checked).toEqual([]);
    gus.terminate();
    expect((await withTicket(hub, slug, ticket)).all('joined')).toMatchObject([{ role: 'guest' }]);
  });

  it('does not outlive the room’s window: refused once it is past, even when the meeting opens again', async () => {
    const hub = newHub();
    const slug = directory.add();
    const wes = await attempt(hub, slug, 'Wes', undefined, new FakeSocket(), GUEST);
    const ticket = ticketOf(wes);
    // The guest leaves; the room stands empty (nothing closes it).
    wes.message({ type: 'leave' });
    expect(hub.counts().rooms).toBe(0);
    // Past the closing time (55 minutes to the end, 60 more).
    now += 116 * 60_000;
    expect((await withTicket(hub, slug, ticket, 'Wes')).all('refused')).toMatchObject([{ reason: 'closed' }]);
    // The meeting is moved to now: its room opens again, but the ticket was for the window that is over.
    const info = directory.rooms.get(slug) as RoomInfo;
    directory.rooms.set(slug, { ...info, startsAt: new Date(now), endsAt: new Date(now + 60 * 60_000) });
    expect((await withTicket(hub, slug, ticket, 'Wes')).received).toEqual(hostLinkInvalid);

    // A room that ends while its guest is in it takes the ticket with it.
    const live = directory.add({ startsAt: new Date(now - 5 * 60_000), endsAt: new Date(now + 55 * 60_000) });
    const ida = await attempt(hub, live, 'Ida', undefined, new FakeSocket(), GUEST);
    const idaTicket = ticketOf(ida);
    expect(hub.closeRoom(live, 'ended')).toBe(1);
    expect((await withTicket(hub, live, idaTicket, 'Ida')).received).toEqual(hostLinkInvalid);
  });

  it('is kept apart from the hosts’ tokens: a guest joining over and over never costs a host theirs', async () => {
    const hub = newHub(6, undefined, { rejoinCapacity: 1, guestTicketCapacity: 1 });
    const slug = directory.add();
    const host = await join(hub, slug, 'Hana', HOST_PIN);
    const hostToken = (host.socket.all('joined')[0] as { rejoin?: string }).rejoin as string;
    const first = await attempt(hub, slug, 'Wes', undefined, new FakeSocket(), GUEST);
    expect(ticketOf(first)).toMatch(TOKEN);
    // The guests' memory is full (capacity 1): the next guest gets in without a ticket, hosts keep theirs.
    const second = await attempt(hub, slug, 'Wyn', undefined, new FakeSocket(), GUEST);
    expect(second.all('joined')).toMatchObject([{ role: 'guest' }]);
    expect(second.all('joined')[0]).not.toHaveProperty('rejoin');
    host.socket.terminate();
    expect((await withTicket(hub, slug, hostToken, 'Hana')).all('joined')).toMatchObject([{ role: 'host' }]);
  });

  describe('given to a guest waiting in the lobby', () => {
    /** The ticket in a socket's first `waiting`, which must have one. */
    function lobbyTicketOf(socket: FakeSocket): string {
      const rejoin = socket.all('waiting')[0]?.rejoin;
      if (rejoin === undefined) throw new Error(`no lobby ticket: ${JSON.stringify(socket.received)}`);
      return rejoin;
    }

    const lobbyNames = (host: FakeSocket) =>
      host
        .all('lobby')
        .at(-1)
        ?.waiting.map((w) => w.name);

    /** A lobby room with a guest PIN and a host in it: the host's socket. */
    async function lobbyRoom(hub: RoomHub, overrides: Partial<RoomInfo> = {}) {
      const slug = directory.add({ lobby: true, guestPin: GUEST_PIN, ...overrides });
      const host = await attempt(hub, slug, 'Hana', HOST_PIN, new FakeSocket(), HOST);
      expect(host.all('joined')).toMatchObject([{ role: 'host' }]);
      return { slug, host };
    }

    it('brings the guest back to their place in a full lobby, replacing the ghost, never past it', async () => {
      const hub = newHub(3);
      const { slug, host } = await lobbyRoom(hub);
      const wes = await attempt(hub, slug, 'Wes', GUEST_PIN, new FakeSocket(), '203.0.113.1');
      const ghost = await attempt(hub, slug, 'Gus', GUEST_PIN, new FakeSocket(), GUEST);
      const wyn = await attempt(hub, slug, 'Wyn', GUEST_PIN, new FakeSocket(), '203.0.113.3');
      const ticket = lobbyTicketOf(ghost);
      expect(ticket).toMatch(TOKEN);
      expect(lobbyTicketOf(wes)).not.toBe(ticket);
      // The network is gone, unnoticed: the lobby is full, and with the PIN alone Gus would be turned away.
      ghost.lingering = true;
      const withPin = await attempt(hub, slug, 'Gus', GUEST_PIN, new FakeSocket(), GUEST);
      expect(withPin.all('refused')).toMatchObject([{ reason: 'lobby_full' }]);
      const ghostId = waitingId(host, 'Gus');
      const hostBefore = host.received.length;

      const back = await withTicket(hub, slug, ticket);
      expect(back.all('waiting')).toEqual([{ type: 'waiting', hostPresent: true, rejoin: ticket }]);
      expect(back.all('joined')).toEqual([]);
      expect(ghost.all('replaced')).toHaveLength(1);
      expect(ghost.closedWith).toEqual({ code: CLOSE.replaced, reason: 'replaced' });
      // Gus is where he was, under the id the host knows, never missing or twice: the host hears
      // nothing (see 'under the name the hosts know'), and nobody else either.
      expect(host.received.slice(hostBefore)).toEqual([]);
      expect(lobbyNames(host)).toEqual(['Wes', 'Gus', 'Wyn']);
      expect(hub.counts()).toMatchObject({ participants: 1, waiting: 3 });
      for (const w of [wes, wyn]) expect(w.all('replaced')).toEqual([]);
      // Nothing the old socket sends counts any more, nor takes out the guest who has its id now.
      ghost.message({ type: 'leave' });
      ghost.emit('close');
      expect(host.received.slice(hostBefore)).toEqual([]);
      expect(hub.counts()).toMatchObject({ participants: 1, waiting: 3 });

      // The host lets the guest in: the same ticket now goes as far as the call.
      host.message({ type: 'admit', id: ghostId });
      expect(back.all('joined')).toMatchObject([{ id: ghostId, role: 'guest', rejoin: ticket }]);
      back.terminate();
      const again = await withTicket(hub, slug, ticket);
      expect(again.all('waiting')).toEqual([]);
      expect(again.all('joined')).toMatchObject([{ role: 'guest', rejoin: ticket }]);
    });

    it('under the name the hosts know, brings the guest back unseen: the same id and place, no news', async () => {
      const hub = newHub();
      const { slug, host } = await lobbyRoom(hub);
      const ghost = await attempt(hub, slug, 'Gus', GUEST_PIN, new FakeSocket(), GUEST);
      await attempt(hub, slug, 'Wes', GUEST_PIN, new FakeSocket(), '203.0.113.1');
      const ticket = lobbyTicketOf(ghost);
      const gusId = waitingId(host, 'Gus');
      ghost.lingering = true;
      const hostBefore = host.received.length;
      const back = await withTicket(hub, slug, ticket);
      expect(back.all('waiting')).toEqual([{ type: 'waiting', hostPresent: true, rejoin: ticket }]);
      expect(ghost.all('replaced')).toHaveLength(1);
      // No second "Gus is waiting": the host's list is as it was, and an Admit pressed on it lets
      // the guest in.
      expect(host.received.slice(hostBefore)).toEqual([]);
      expect(hub.counts()).toMatchObject({ participants: 1, waiting: 2 });

      // Under another name, the guest is news to the hosts, in the same place.
      back.lingering = true;
      const renamed = await withTicket(hub, slug, ticket, 'Gustave');
      expect(renamed.all('waiting')).toHaveLength(1);
      expect(host.received.slice(hostBefore)).toMatchObject([{ type: 'lobby' }]);
      expect(lobbyNames(host)).toEqual(['Gustave', 'Wes']);
      expect(waitingId(host, 'Gustave')).not.toBe(gusId);
      host.message({ type: 'admit', id: waitingId(host, 'Gustave') });
      expect(renamed.all('joined')).toMatchObject([{ role: 'guest', rejoin: ticket }]);
    });

    it('keeps the place of a guest whose page went away (a reload): the join takes it back; Leave does not', async () => {
      const hub = newHub();
      const { slug, host } = await lobbyRoom(hub);
      const gus = await attempt(hub, slug, 'Gus', GUEST_PIN, new FakeSocket(), GUEST);
      const wes = await attempt(hub, slug, 'Wes', GUEST_PIN, new FakeSocket(), '203.0.113.1');
      const ticket = lobbyTicketOf(gus);
      const gusId = waitingId(host, 'Gus');
      const hostBefore = host.received.length;
      // The page reloads: its socket closes without a leave. Gus stays in line, as after a dead network.
      gus.hangUp();
      expect(host.received.slice(hostBefore)).toEqual([]);
      expect(hub.counts()).toMatchObject({ participants: 1, waiting: 2 });
      now += REJOIN_GRACE_MS - 1000;
      const back = await withTicket(hub, slug, ticket);
      expect(back.all('waiting')).toEqual([{ type: 'waiting', hostPresent: true, rejoin: ticket }]);
      // In his place, under his id, unseen by the host.
      expect(host.received.slice(hostBefore)).toEqual([]);
      expect(lobbyNames(host)).toEqual(['Gus', 'Wes']);
      expect(hub.counts()).toMatchObject({ participants: 1, waiting: 2 });
      // Leave is for good: out of the line at once.
      wes.message({ type: 'leave' });
      expect(lobbyNames(host)).toEqual(['Gus']);
      host.message({ type: 'admit', id: gusId });
      expect(back.all('joined')).toMatchObject([{ id: gusId, role: 'guest', rejoin: ticket }]);
    });

    it('whose page went away for good (a closed tab) leaves the lobby after the grace, and the ticket stops', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      const hub = newHub();
      const { slug, host } = await lobbyRoom(hub);
      const gus = await attempt(hub, slug, 'Gus', GUEST_PIN, new FakeSocket(), GUEST);
      const ticket = lobbyTicketOf(gus);
      gus.hangUp();
      await advance(REJOIN_GRACE_MS - 1000);
      expect(lobbyNames(host)).toEqual(['Gus']);
      await advance(1000);
      expect(lobbyNames(host)).toEqual([]);
      expect(hub.counts()).toMatchObject({ participants: 1, waiting: 0 });
      expect((await withTicket(hub, slug, ticket)).received).toEqual(hostLinkInvalid);
      // Held, a guest still goes as a waiter does: let in, the host sees them leave at the same time.
      const ida = await attempt(hub, slug, 'Ida', GUEST_PIN, new FakeSocket(), '203.0.113.4');
      ida.hangUp();
      host.message({ type: 'admit', id: waitingId(host, 'Ida') });
      expect(hub.counts()).toMatchObject({ participants: 2, waiting: 0 });
      await advance(REJOIN_GRACE_MS);
      expect(host.all('peer-left')).toHaveLength(1);
      expect(hub.counts()).toMatchObject({ participants: 1, waiting: 0 });
      hub.close();
      expect(vi.getTimerCount()).toBe(0);
    });

    it('gets no grace on top of a connection the hub found dead: it leaves the lobby then; its ticket still works', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
      const hub = newHub();
      const { slug, host } = await lobbyRoom(hub);
      const gus = await attempt(hub, slug, 'Gus', GUEST_PIN, new FakeSocket(), GUEST);
      await attempt(hub, slug, 'Wes', GUEST_PIN, new FakeSocket(), '203.0.113.1');
      const ticket = lobbyTicketOf(gus);
      gus.deaf = true;
      await advance(60_000);
      expect(gus.terminated).toBe(true);
      expect(lobbyNames(host)).toEqual(['Wes']);
      // The page stayed open (Join again): the ticket brings Gus back, at the end of the line.
      now += 30 * 60_000;
      expect((await withTicket(hub, slug, ticket)).all('waiting')).toHaveLength(1);
      expect(lobbyNames(host)).toEqual(['Wes', 'Gus']);
    });

    it('after a proper leave, brings the guest back to the end of the line, as a waiter only', async () => {
      const hub = newHub();
      const { slug, host } = await lobbyRoom(hub);
      const gus = await attempt(hub, slug, 'Gus', GUEST_PIN, new FakeSocket(), GUEST);
      const ticket = lobbyTicketOf(gus);
      gus.message({ type: 'leave' });
      await attempt(hub, slug, 'Wes', GUEST_PIN, new FakeSocket(), '203.0.113.1');
      const back = await withTicket(hub, slug, ticket);
      expect(back.all('waiting')).toEqual([{ type: 'waiting', hostPresent: true, rejoin: ticket }]);
      expect(back.all('joined')).toEqual([]);
      expect(lobbyNames(host)).toEqual(['Wes', 'Gus']);
      // Without a host inside either: still the lobby, never the call.
      host.message({ type: 'leave' });
      back.message({ type: 'leave' });
      const alone = await withTicket(hub, slug, ticket);
      expect(alone.all('waiting')).toMatchObject([{ hostPresent: false, rejoin: ticket }]);
      expect(hub.counts()).toMatchObject({ participants: 0, waiting: 2 });
    });

    it('gets the guest in when a host let their ghost in meanwhile; the ghost leaves the call', async () => {
      const hub = newHub();
      const { slug, host } = await lobbyRoom(hub);
      const ghost = await attempt(hub, slug, 'Gus', GUEST_PIN, new FakeSocket(), GUEST);
      const ticket = lobbyTicketOf(ghost);
      ghost.lingering = true;
      host.message({ type: 'admit', id: waitingId(host, 'Gus') });
      const ghostId = ghost.all('joined')[0]?.id;
      const hostBefore = host.received.length;

      const back = await withTicket(hub, slug, ticket);
      expect(back.all('waiting')).toEqual([]);
      expect(back.all('joined')).toMatchObject([
        { role: 'guest', rejoin: ticket, peers: [{ name: 'Hana' }] },
      ]);
      expect(ghost.all('replaced')).toHaveLength(1);
      expect(host.received.slice(hostBefore)).toMatchObject([
        { type: 'peer-left', id: ghostId },
        { type: 'peer-joined', peer: { id: back.all('joined')[0]?.id, name: 'Gus' } },
      ]);
      expect([...roster(host).values()]).toEqual(['Gus']);
      // Let in by a host: the lobby still on leaves them in.
      expect(await hub.recheckRoom(slug)).toBe(0);
      expect(hub.counts()).toMatchObject({ participants: 2, waiting: 0 });
    });

    it('with the lobby turned off, gets the guest in as the PIN would, and no further than that', async () => {
      const hub = newHub();
      const { slug, host } = await lobbyRoom(hub);
      const gus = await attempt(hub, slug, 'Gus', GUEST_PIN, new FakeSocket(), GUEST);
      const ticket = lobbyTicketOf(gus);
      gus.terminate();
      const info = directory.rooms.get(slug) as RoomInfo;
      directory.rooms.set(slug, { ...info, lobby: false });
      const back = await withTicket(hub, slug, ticket);
      expect(back.all('joined')).toMatchObject([{ role: 'guest', rejoin: ticket }]);
      // Walked in, not let in: the lobby turned on again sends the guest out, and the ticket stops.
      directory.rooms.set(slug, info);
      expect(await hub.recheckRoom(slug)).toBe(1);
      expect((await withTicket(hub, slug, ticket)).received).toEqual(hostLinkInvalid);
      expect(host.all('closed')).toEqual([]);
    });

    it('is revoked when a host denies or removes the waiter (with the client’s other waiting tabs)', async () => {
      const hub = newHub();
      const { slug, host } = await lobbyRoom(hub);
      const gus = await attempt(hub, slug, 'Gus', GUEST_PIN, new FakeSocket(), GUEST);
      const otherTab = await attempt(hub, slug, 'Gus 2', GUEST_PIN, new FakeSocket(), GUEST);
      const ida = await attempt(hub, slug, 'Ida', GUEST_PIN, new FakeSocket(), '203.0.113.4');
      const [gusTicket, otherTicket, idaTicket] = [gus, otherTab, ida].map(lobbyTicketOf);
      host.message({ type: 'deny', id: waitingId(host, 'Gus') });
      expect(gus.all('denied')).toHaveLength(1);
      expect(otherTab.all('refused')).toMatchObject([{ reason: 'denied' }]);
      // From another address, past the 10 minutes of the client's: it gets nobody back in the lobby.
      now += REMOVED_MS + 1000;
      for (const ticket of [gusTicket, otherTicket])
        expect((await withTicket(hub, slug, ticket as string, 'Gus', '203.0.113.77')).received).toEqual(
          hostLinkInvalid,
        );
      host.message({ type: 'remove', id: waitingId(host, 'Ida') });
      expect(ida.all('removed')).toHaveLength(1);
      expect((await withTicket(hub, slug, idaTicket as string, 'Ida', '203.0.113.78')).received).toEqual(
        hostLinkInvalid,
      );
      expect(hub.counts()).toMatchObject({ participants: 1, waiting: 0 });
    });

    it('stops working when the guest PIN changes or the room ends; follows the room’s closing time', async () => {
      const hub = newHub();
      const { slug } = await lobbyRoom(hub);
      const gus = await attempt(hub, slug, 'Gus', GUEST_PIN, new FakeSocket(), GUEST);
      const ticket = lobbyTicketOf(gus);
      const info = directory.rooms.get(slug) as RoomInfo;
      directory.rooms.set(slug, { ...info, guestPin: '305517' });
      expect(await hub.recheckRoom(slug)).toBe(1);
      expect(gus.all('closed')).toEqual([{ type: 'closed', reason: 'changed' }]);
      directory.rooms.set(slug, info);
      expect((await withTicket(hub, slug, ticket)).received).toEqual(hostLinkInvalid);

      // Extended while the guest waits: the ticket is good until the new end, then the room's end takes it.
      const second = await lobbyRoom(hub);
      const wes = await attempt(hub, second.slug, 'Wes', GUEST_PIN, new FakeSocket(), GUEST);
      const wesTicket = lobbyTicketOf(wes);
      const secondInfo = directory.rooms.get(second.slug) as RoomInfo;
      const endsAt = new Date(secondInfo.endsAt.getTime() + 60 * 60_000);
      directory.rooms.set(second.slug, { ...secondInfo, endsAt });
      await hub.recheckRoom(second.slug);
      wes.message({ type: 'leave' });
      now += 116 * 60_000;
      expect((await withTicket(hub, second.slug, wesTicket, 'Wes')).all('waiting')).toHaveLength(1);
      expect(hub.closeRoom(second.slug, 'ended')).toBe(2);
      expect((await withTicket(hub, second.slug, wesTicket, 'Wes')).received).toEqual(hostLinkInvalid);
    });
  });
});

describe('the waiting tabs of a client a host removes or denies', () => {
  const HOST = '192.0.2.10';
  const TROLL = '198.51.100.66';
  const OTHER = '203.0.113.9';

  /** The id the host's latest lobby list gives the guest waiting as `name`. */
  function waitingId(host: FakeSocket, name: string): string {
    const id = host
      .all('lobby')
      .at(-1)
      ?.waiting.find((w) => w.name === name)?.id;
    if (id === undefined) throw new Error(`${name} is not waiting`);
    return id;
  }

  const lobbyNames = (host: FakeSocket) =>
    host
      .all('lobby')
      .at(-1)
      ?.waiting.map((w) => w.name);

  /**
   * A lobby room: a host (at its own address), a troll the host let in as "Bob", and the troll's
   * second tab (same address) waiting in the lobby as "Alice".
   */
  async function trollInTwoTabs(hub: RoomHub) {
    const slug = directory.add({ lobby: true });
    const host = await attempt(hub, slug, 'Hana', HOST_PIN, new FakeSocket(), HOST);
    const bob = await attempt(hub, slug, 'Bob', undefined, new FakeSocket(), TROLL);
    host.message({ type: 'admit', id: waitingId(host, 'Bob') });
    const bobId = bob.all('joined')[0]?.id;
    if (bobId === undefined) throw new Error('Bob was not admitted');
    const alice = await attempt(hub, slug, 'Alice', undefined, new FakeSocket(), TROLL);
    expect(lobbyNames(host)).toEqual(['Alice']);
    return { slug, host, bobId, alice, aliceId: waitingId(host, 'Alice') };
  }

  const REFUSED_AS_REMOVED = { type: 'refused', reason: 'removed', retryAfterSeconds: REMOVED_MS / 1000 };

  it('are refused as removed when a host removes one of its tabs from the call, and leave the lobby', async () => {
    const hub = newHub();
    const { host, bobId, alice } = await trollInTwoTabs(hub);
    host.message({ type: 'remove', id: bobId });
    expect(alice.all('refused')).toEqual([REFUSED_AS_REMOVED]);
    expect(alice.closedWith?.code).toBe(CLOSE.refused);
    expect(alice.all('joined')).toEqual([]);
    expect(lobbyNames(host)).toEqual([]);
    expect(hub.counts()).toMatchObject({ participants: 1, waiting: 0 });
  });

  it('are not let in by a host admitting one right after the removal', async () => {
    const hub = newHub();
    const { host, bobId, alice, aliceId } = await trollInTwoTabs(hub);
    host.message({ type: 'remove', id: bobId });
    host.message({ type: 'admit', id: aliceId });
    expect(alice.all('joined')).toEqual([]);
    expect(alice.all('refused')).toEqual([REFUSED_AS_REMOVED]);
    expect(host.all('peer-joined').map((p) => p.peer.name)).toEqual(['Bob']);
    expect(host.all('error').at(-1)).toEqual({ type: 'error', code: 'unknown_participant' });
    expect(hub.counts()).toMatchObject({ participants: 1, waiting: 0 });
  });

  it('are not let in when the lobby is turned off after the removal', async () => {
    const hub = newHub();
    const { slug, host, bobId, alice } = await trollInTwoTabs(hub);
    host.message({ type: 'remove', id: bobId });
    directory.rooms.set(slug, { ...(directory.rooms.get(slug) as RoomInfo), lobby: false });
    await hub.recheckRoom(slug);
    expect(alice.all('joined')).toEqual([]);
    expect(alice.all('refused')).toEqual([REFUSED_AS_REMOVED]);
    expect(host.all('peer-joined').map((p) => p.peer.name)).toEqual(['Bob']);
    expect(hub.counts()).toMatchObject({ participants: 1, waiting: 0 });
  });

  it('go, and those of other clients stay: the host may still let them in', async () => {
    const hub = newHub();
    const { slug, host, bobId, alice } = await trollInTwoTabs(hub);
    const olga = await attempt(hub, slug, 'Olga', undefined, new FakeSocket(), OTHER);
    expect(lobbyNames(host)).toEqual(['Alice', 'Olga']);
    host.message({ type: 'remove', id: bobId });
    expect(alice.all('refused')).toEqual([REFUSED_AS_REMOVED]);
    expect(olga.all('refused')).toEqual([]);
    expect(olga.closedWith).toBeNull();
    expect(lobbyNames(host)).toEqual(['Olga']);
    host.message({ type: 'admit', id: waitingId(host, 'Olga') });
    expect(olga.all('joined')).toHaveLength(1);
    expect(hub.counts()).toMatchObject({ participants: 2, waiting: 0 });
  });

  it('are refused as denied when a host denies one of them; other clients wait on', async () => {
    const hub = newHub();
    const slug = directory.add({ lobby: true });
    const host = await attempt(hub, slug, 'Hana', HOST_PIN, new FakeSocket(), HOST);
    await attempt(hub, slug, 'Bob', undefined, new FakeSocket(), TROLL);
    const alice = await attempt(hub, slug, 'Alice', undefined, new FakeSocket(), TROLL);
    const olga = await attempt(hub, slug, 'Olga', undefined, new FakeSocket(), OTHER);
    const aliceId = waitingId(host, 'Alice');
    host.message({ type: 'deny', id: waitingId(host, 'Bob') });
    // The host admits the other tab at once, seeing another name.
    host.message({ type: 'admit', id: aliceId });
    expect(alice.all('joined')).toEqual([]);
    expect(alice.all('refused')).toEqual([
      { type: 'refused', reason: 'denied', retryAfterSeconds: REMOVED_MS / 1000 },
    ]);
    expect(olga.all('refused')).toEqual([]);
    expect(lobbyNames(host)).toEqual(['Olga']);
    expect(hub.counts()).toMatchObject({ participants: 1, waiting: 1 });
  });
});

describe('rooms on an external engine', () => {
  type HandOff = NonNullable<RoomInfo['handOff']>;
  /** A room whose engine answers with an address naming the participant's role and name. */
  function engineRoom(overrides: Partial<RoomInfo> = {}, handOff?: HandOff) {
    const asked: Parameters<HandOff>[0][] = [];
    const slug = directory.add({
      handOff:
        handOff ??
        (async (participant) => {
          asked.push(participant);
          return `https://engine.example/join?role=${participant.role}&name=${encodeURIComponent(participant.name)}`;
        }),
      ...overrides,
    });
    return { slug, asked };
  }

  it('hand each participant the engine address made for the role their PIN gives, then close', async () => {
    const handedOff: string[] = [];
    const hub = newHub(6, undefined, {
      metrics: metricsWith({ handedOff: (role) => handedOff.push(role) }),
    });
    const { slug, asked } = engineRoom({ guestPin: GUEST_PIN });

    const host = await attempt(hub, slug, 'Hana', HOST_PIN);
    const guest = await attempt(hub, slug, 'Gus', GUEST_PIN);

    expect(host.received).toEqual([
      { type: 'handoff', url: 'https://engine.example/join?role=host&name=Hana' },
    ]);
    expect(guest.received).toEqual([
      { type: 'handoff', url: 'https://engine.example/join?role=guest&name=Gus' },
    ]);
    expect(host.closedWith?.code).toBe(CLOSE.normal);
    expect(guest.closedWith?.code).toBe(CLOSE.normal);
    // The window's end goes to the engine, so that it ends the meeting when the room would close.
    const room = directory.rooms.get(slug);
    expect(asked[0]?.closesAt?.getTime()).toBe((room?.endsAt.getTime() ?? 0) + 60 * 60_000);
    expect(handedOff).toEqual(['host', 'guest']);
    // The hub holds no live room for it.
    expect(hub.counts()).toMatchObject({ participants: 0, waiting: 0 });
    // Nobody chose a language on the page: the engine's follows their browser's.
    expect(asked.map((p) => p.language)).toEqual([undefined, undefined]);
  });

  it('pass on the language a participant chose on the join page', async () => {
    const hub = newHub();
    const { slug, asked } = engineRoom();
    const socket = new FakeSocket();
    hub.accept(socket as unknown as WebSocket, slug, '198.51.100.1');
    socket.message({ type: 'join', name: 'Hélène', pin: HOST_PIN, language: 'fr' });
    await settle();
    expect(socket.all('handoff')).toHaveLength(1);
    expect(asked).toMatchObject([{ role: 'host', name: 'Hélène', language: 'fr' }]);
  });

  it('ask the engine nothing for a wrong PIN, a room not open yet or a cancelled one', async () => {
    const hub = newHub();
    const open = engineRoom({ guestPin: GUEST_PIN });
    const wrong = await attempt(hub, open.slug, 'Mallory', '000000');
    expect(wrong.all('error')).toMatchObject([{ code: 'wrong_pin' }]);
    expect(wrong.all('handoff')).toEqual([]);

    const later = engineRoom({
      startsAt: new Date(now + 3 * 60 * 60_000),
      endsAt: new Date(now + 4 * 60 * 60_000),
    });
    const early = await attempt(hub, later.slug, 'Hana', HOST_PIN);
    expect(early.all('refused')).toMatchObject([{ reason: 'not_yet_open' }]);

    const cancelled = engineRoom({ status: 'cancelled' });
    const gone = await attempt(hub, cancelled.slug, 'Hana', HOST_PIN);
    expect(gone.all('refused')).toMatchObject([{ reason: 'cancelled' }]);

    expect([...open.asked, ...later.asked, ...cancelled.asked]).toEqual([]);
  });

  it('refuse as unavailable when the engine fails, leaving a host link usable', async () => {
    const hub = newHub();
    const TICKET = `v1.k1.${'B'.repeat(140)}`;
    let failing = true;
    const { slug } = engineRoom(
      {
        checkHostTicket: async (ticket) =>
          ticket === TICKET
            ? { id: 'claim-engine', issuedAt: new Date(now), expiresAt: new Date(now + 15 * 60_000) }
            : null,
      },
      async () => {
        if (failing) throw new Error('engine down');
        return 'https://engine.example/join?role=host';
      },
    );
    const withTicket = async () => {
      const socket = new FakeSocket();
      hub.accept(socket as unknown as WebSocket, slug, '198.51.100.1');
      socket.message({ type: 'join', name: 'Olivia', ticket: TICKET });
      await settle();
      return socket;
    };

    const first = await withTicket();
    expect(first.all('refused')).toMatchObject([{ reason: 'unavailable' }]);
    failing = false;
    const second = await withTicket();
    expect(second.all('handoff')).toEqual([
      { type: 'handoff', url: 'https://engine.example/join?role=host' },
    ]);
    // Spent now: the same link does not make a second host.
    const third = await withTicket();
    expect(third.all('handoff')).toEqual([]);
    expect(third.all('error')).toMatchObject([{ code: 'host_link_invalid' }]);
  });

  describe('calls that outlive their room', () => {
    /** An engine room whose call ends are counted; `failing` makes the next ends throw. */
    function followedRoom(overrides: Partial<RoomInfo> = {}) {
      const ends = { asked: 0, failing: false };
      const { slug } = engineRoom({
        endEngineCall: async () => {
          ends.asked++;
          if (ends.failing) throw new Error('engine down');
        },
        ...overrides,
      });
      const info = directory.rooms.get(slug) as RoomInfo;
      const change = (patch: Partial<RoomInfo>) => directory.rooms.set(slug, { ...info, ...patch });
      return { slug, info, ends, change };
    }
    const endedFor = (reasons: string[]) =>
      newHub(6, undefined, {
        metrics: metricsWith({ engineCallEnded: (reason) => reasons.push(reason) }),
      });

    it('end the call of a room moved away or cancelled, once, and leave an open one alone', async () => {
      const reasons: string[] = [];
      const hub = endedFor(reasons);
      const moved = followedRoom();
      const cancelled = followedRoom();
      const open = followedRoom();
      for (const room of [moved, cancelled, open]) {
        expect((await attempt(hub, room.slug, 'Hana', HOST_PIN)).all('handoff')).toHaveLength(1);
      }
      // Still open: the call goes on.
      await hub.recheckRoom(open.slug);
      expect(open.ends.asked).toBe(0);

      moved.change({ startsAt: new Date(now + 24 * 60 * 60_000), endsAt: new Date(now + 25 * 60 * 60_000) });
      await hub.recheckRoom(moved.slug);
      expect(moved.ends.asked).toBe(1);
      // By meeting id too (calendar sync's key for a series' occurrences); a cancelled tenant reads so.
      cancelled.change({ status: 'cancelled' });
      await hub.recheckRoom(cancelled.info.meetingId);
      expect(cancelled.ends.asked).toBe(1);
      expect(reasons).toEqual(['moved', 'cancelled']);

      // Ended: no longer followed, so no second end.
      await hub.recheckRoom(moved.slug);
      await hub.recheckRoom(cancelled.slug);
      expect(moved.ends.asked + cancelled.ends.asked).toBe(2);
      expect(open.ends.asked).toBe(0);
    });

    it('end them on the periodic check, asking again while the engine fails', async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
      const reasons: string[] = [];
      const hub = endedFor(reasons);
      const room = followedRoom();
      expect((await attempt(hub, room.slug, 'Hana', HOST_PIN)).all('handoff')).toHaveLength(1);

      // Shortened while its call runs: over now, sooner than the engine was told.
      room.change({ startsAt: new Date(now - 3 * 60 * 60_000), endsAt: new Date(now - 2 * 60 * 60_000) });
      room.ends.failing = true;
      await advance(60_000);
      expect(room.ends.asked).toBe(1);
      expect(reasons).toEqual([]);
      room.ends.failing = false;
      await advance(60_000);
      expect(room.ends.asked).toBe(2);
      expect(reasons).toEqual(['ended']);
      await advance(60_000);
      expect(room.ends.asked).toBe(2);
    });

    it("count a series' occurrence that simply ended as ended, not moved", async () => {
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
      const reasons: string[] = [];
      const hub = endedFor(reasons);
      const start = now;
      // Open now for an hour, and again tomorrow: the next occurrence (as calendar sync's schedule
      // tells it, with nextOpenChange).
      const day = 24 * 60 * 60_000;
      const windows = [
        [start - 60_000, start + 60 * 60_000],
        [start + day, start + day + 60 * 60_000],
      ] as const;
      const edges = windows.flat();
      const isOpenAt = (at: Date) => windows.some(([from, to]) => at.getTime() >= from && at.getTime() < to);
      const room = followedRoom({
        startsAt: new Date(start - day),
        endsAt: new Date(start + 2 * day),
        isOpenAt,
        nextOpenChange: (from, wanted) =>
          edges.find((edge) => edge > from && isOpenAt(new Date(edge)) === wanted) ?? null,
      });
      expect((await attempt(hub, room.slug, 'Hana', HOST_PIN)).all('handoff')).toHaveLength(1);
      await advance(61 * 60_000);
      expect(room.ends.asked).toBe(1);
      expect(reasons).toEqual(['ended']);
    });

    describe('found running on the engine (sent there before a restart, or by another process)', () => {
      /** The shared directory, plus the engine's list of running calls; `asked` counts the lists. */
      function engineListing(running: () => RunningEngineCall[]) {
        const listing = { asked: 0, failing: false };
        const withCalls: RoomDirectory = {
          findBySlug: (slug) => directory.findBySlug(slug),
          runningEngineCalls: async () => {
            listing.asked++;
            if (listing.failing) throw new Error('engine down');
            return running();
          },
        };
        return { listing, withCalls };
      }

      it('are followed from the first periodic check, and ended once their room closes', async () => {
        vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
        const reasons: string[] = [];
        const open = followedRoom();
        const moved = followedRoom();
        const call = (room: { slug: string; info: RoomInfo }) => ({
          slug: room.slug,
          meetingId: room.info.meetingId,
        });
        const { listing, withCalls } = engineListing(() => [call(open), call(moved)]);
        // No one was sent there by this hub: without the engine's list it would follow nothing.
        newHub(6, undefined, {
          directory: withCalls,
          metrics: metricsWith({ engineCallEnded: (reason) => reasons.push(reason) }),
        });

        await advance(60_000);
        expect(listing.asked).toBe(1);
        expect(open.ends.asked + moved.ends.asked).toBe(0);

        moved.change({
          startsAt: new Date(now + 24 * 60 * 60_000),
          endsAt: new Date(now + 25 * 60 * 60_000),
        });
        await advance(60_000);
        expect(moved.ends.asked).toBe(1);
        // Seen open before the move: counted as moved, as a call this hub had sent people to.
        expect(reasons).toEqual(['moved']);
        expect(open.ends.asked).toBe(0);
      });

      it('whose room is not open when found are ended, counted as ended (what came before is unknown)', async () => {
        vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
        const reasons: string[] = [];
        const later = followedRoom({
          startsAt: new Date(now + 24 * 60 * 60_000),
          endsAt: new Date(now + 25 * 60 * 60_000),
        });
        const cancelled = followedRoom({ status: 'cancelled' });
        const { withCalls } = engineListing(() =>
          [later, cancelled].map((room) => ({ slug: room.slug, meetingId: room.info.meetingId })),
        );
        newHub(6, undefined, {
          directory: withCalls,
          metrics: metricsWith({ engineCallEnded: (reason) => reasons.push(reason) }),
        });
        await advance(60_000);
        expect(later.ends.asked).toBe(1);
        expect(cancelled.ends.asked).toBe(1);
        expect(reasons.sort()).toEqual(['cancelled', 'ended']);
      });

      it('are asked for every five minutes, and again after an engine that did not answer', async () => {
        vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
        const room = followedRoom();
        let running: RunningEngineCall[] = [];
        const { listing, withCalls } = engineListing(() => running);
        newHub(6, undefined, { directory: withCalls });
        listing.failing = true;
        await advance(60_000);
        expect(listing.asked).toBe(1);
        listing.failing = false;
        await advance(3 * 60_000);
        expect(listing.asked).toBe(1);
        // Started meanwhile by another process; this hub learns of it at the next turn.
        running = [{ slug: room.slug, meetingId: room.info.meetingId }];
        await advance(2 * 60_000);
        expect(listing.asked).toBe(2);
        room.change({ status: 'cancelled' });
        await advance(60_000);
        expect(room.ends.asked).toBe(1);
        expect(listing.asked).toBe(2);
      });
    });

    it('forget a room gone from the directory (its deletion ended the call) without asking the engine', async () => {
      const hub = newHub();
      const room = followedRoom();
      expect((await attempt(hub, room.slug, 'Hana', HOST_PIN)).all('handoff')).toHaveLength(1);
      directory.rooms.delete(room.slug);
      await hub.recheckRoom(room.slug);
      directory.rooms.set(room.slug, { ...room.info, status: 'cancelled' });
      await hub.recheckRoom(room.slug);
      expect(room.ends.asked).toBe(0);
    });
  });
});
