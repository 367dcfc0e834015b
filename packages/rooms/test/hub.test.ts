/**
 * The hub with fake sockets and a fake clock: send queues of clients that read nothing, and budgets
 * that refill over time. Real sockets on loopback cannot show either deterministically (the kernel
 * buffers megabytes before a send queue grows).
 */
import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { RoomHub } from '../src/server/hub.js';
import { PinGuard } from '../src/server/lockout.js';
import { LIMITS, type ServerMessage } from '../src/shared/protocol.js';
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
});

function newHub(): RoomHub {
  const clock = () => now;
  const hub = new RoomHub({
    directory,
    window: { openBeforeMinutes: 60, closeAfterMinutes: 60 },
    maxParticipants: 6,
    iceServers: [],
    turn: undefined,
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

async function join(hub: RoomHub, slug: string, name: string, pin: string) {
  const socket = new FakeSocket();
  hub.accept(socket as unknown as WebSocket, slug, '198.51.100.1');
  socket.message({ type: 'join', name, pin });
  // The directory answers in microtasks: they have all run by the next macrotask.
  await new Promise((resolve) => setImmediate(resolve));
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
