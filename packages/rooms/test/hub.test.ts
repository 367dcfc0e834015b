/**
 * The hub with fake sockets and a fake clock: send queues of clients that read nothing, and budgets
 * that refill over time. Real sockets on loopback cannot show either deterministically (the kernel
 * buffers megabytes before a send queue grows).
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { WebSocket } from 'ws';
import { REMOVED_MS, RoomHub } from '../src/server/hub.js';
import { PinGuard } from '../src/server/lockout.js';
import type { TurnOptions } from '../src/server/turn.js';
import { CLOSE, LIMITS, type ServerMessage } from '../src/shared/protocol.js';
import { MapDirectory } from './helpers.js';

const HOST_PIN = '482913';
const GUEST_PIN = '771204';
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

  ping(): void {}

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

function newHub(maxParticipants = 6, turn?: TurnOptions): RoomHub {
  const clock = () => now;
  const hub = new RoomHub({
    directory,
    window: { openBeforeMinutes: 60, closeAfterMinutes: 60 },
    maxParticipants,
    iceServers: [],
    turn,
    pins: new PinGuard({ attempts: 5, roomAttempts: 50, lockoutMs: 15 * 60_000 }, clock),
    metrics: { joined: () => undefined, left: () => undefined, refused: () => undefined },
    now: () => new Date(now),
    logger: { debug: () => undefined, warn: () => undefined },
    joinTimeoutMs: 60_000,
    heartbeatMs: 30_000,
    maxSocketsPerClient: 20,
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
    const socket = new FakeSocket();
    hub.accept(socket as unknown as WebSocket, slug, '198.51.100.1');
    // The burst (200) spent on valid messages; the invalid one that follows is over the limit.
    for (let i = 0; i < 200; i++) socket.message({ type: 'media', audio: true, video: false, screen: false });
    socket.message({ type: 'chat', text: 'x'.repeat(2000) });
    expect(socket.all('error').at(-1)).toEqual({ type: 'error', code: 'rate_limited' });
    expect(socket.all('error').filter((e) => e.code === 'invalid_message')).toEqual([]);
  });

  it('get the connection closed after a few', async () => {
    const hub = newHub();
    const slug = directory.add();
    const socket = new FakeSocket();
    hub.accept(socket as unknown as WebSocket, slug, '198.51.100.1');
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
