/**
 * The signalling server with real WebSocket clients: admission rules, relaying, host powers, limits.
 */
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE, LIMITS } from '../src/shared/protocol.js';
import {
  join,
  MapDirectory,
  refusedUpgrade,
  startServer,
  type TestServer,
  TestSocket,
  upgrade,
} from './helpers.js';

const HOST_PIN = '482913';
const GUEST_PIN = '771204';
const OFFER = { description: { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' } };

const directory = new MapDirectory();
const registry = new Registry();
let server: TestServer;

beforeAll(async () => {
  server = await startServer({
    directory,
    iceServers: [{ urls: 'stun:stun.example.org:3478' }],
    turn: { secret: 'test-secret', urls: ['turn:turn.example.org:3478'], ttlSeconds: 600 },
    maxParticipants: 3,
    pinAttempts: 3,
    lockoutMinutes: 15,
    openBeforeMinutes: 10,
    closeAfterMinutes: 0,
    metricsRegistry: registry,
  });
});

afterAll(async () => {
  await server.close();
});

describe('admission', () => {
  it('lets guests in without a PIN when the room has no guest PIN, and tells each about the others', async () => {
    const slug = directory.add();
    const a = await join(server, slug, 'Ada');
    const joinedB = await TestSocket.open(server.wsUrl(slug));
    joinedB.send({ type: 'join', name: 'Bob' });
    const joined = await joinedB.next('joined');
    expect(joined.role).toBe('guest');
    expect(joined.peers).toEqual([
      { id: a.id, name: 'Ada', role: 'guest', audio: false, video: false, screen: false },
    ]);
    expect(joined.maxParticipants).toBe(3);
    const announced = await a.socket.next('peer-joined');
    expect(announced.peer).toMatchObject({ id: joined.id, name: 'Bob', role: 'guest' });
    a.socket.close();
    joinedB.close();
  });

  it('hands out STUN and a short-lived TURN credential after admission only', async () => {
    const slug = directory.add();
    const { socket, id } = await join(server, slug, 'Ada');
    const joined = socket.all('joined')[0];
    expect(joined?.iceServers[0]).toEqual({ urls: 'stun:stun.example.org:3478' });
    const turn = joined?.iceServers[1];
    expect(turn?.urls).toEqual(['turn:turn.example.org:3478']);
    const [expiry, user] = String(turn?.username).split(':');
    expect(user).toBe(id);
    expect(Number(expiry) - Date.now() / 1000).toBeGreaterThan(590);
    expect(Number(expiry) - Date.now() / 1000).toBeLessThanOrEqual(600);
    expect(turn?.credential).toMatch(/^[A-Za-z0-9+/]{27}=$/);
    socket.close();
  });

  it('makes a host only with the host PIN, a guest with the guest PIN, and asks for a PIN otherwise', async () => {
    const slug = directory.add({ guestPin: GUEST_PIN });
    const host = await join(server, slug, 'Hana', HOST_PIN);
    expect(host.socket.all('joined')[0]?.role).toBe('host');
    const guest = await join(server, slug, 'Gus', GUEST_PIN);
    expect(guest.socket.all('joined')[0]?.role).toBe('guest');

    const noPin = await TestSocket.open(server.wsUrl(slug));
    noPin.send({ type: 'join', name: 'Nobody' });
    expect(await noPin.next('error')).toEqual({ type: 'error', code: 'pin_required' });
    // A role cannot be claimed: the schema refuses the field.
    noPin.send({ type: 'join', name: 'Nobody', role: 'host' });
    expect(await noPin.next('error')).toEqual({ type: 'error', code: 'invalid_message' });
    for (const s of [host.socket, guest.socket, noPin]) s.close();
  });

  it('refuses a wrong PIN, keeps the socket for another try, and admits the right PIN', async () => {
    const slug = directory.add({ guestPin: GUEST_PIN });
    const socket = await TestSocket.open(server.wsUrl(slug));
    socket.send({ type: 'join', name: 'Ada', pin: '000000' });
    expect(await socket.next('error')).toEqual({ type: 'error', code: 'wrong_pin', remainingAttempts: 2 });
    socket.send({ type: 'join', name: 'Ada', pin: GUEST_PIN });
    expect((await socket.next('joined')).role).toBe('guest');
    socket.close();
  });

  it('locks a client out of a room after the configured wrong PINs, even with the right PIN', async () => {
    const slug = directory.add({ guestPin: GUEST_PIN });
    const other = directory.add({ guestPin: GUEST_PIN });
    const socket = await TestSocket.open(server.wsUrl(slug));
    socket.send({ type: 'join', name: 'Mallory', pin: '111111' });
    await socket.next('error');
    socket.send({ type: 'join', name: 'Mallory', pin: '222222' });
    await socket.next('error');
    socket.send({ type: 'join', name: 'Mallory', pin: '333333' });
    const refused = await socket.next('refused');
    expect(refused.reason).toBe('locked');
    expect(refused.retryAfterSeconds).toBe(15 * 60);
    expect((await socket.closed).code).toBe(CLOSE.refused);

    const again = await TestSocket.open(server.wsUrl(slug));
    again.send({ type: 'join', name: 'Mallory', pin: HOST_PIN });
    expect((await again.next('refused')).reason).toBe('locked');

    // Another room is not affected.
    const elsewhere = await join(server, other, 'Mallory', GUEST_PIN);
    elsewhere.socket.close();
  });

  it('keeps counting wrong PINs across guest joins: only the host PIN clears a client', async () => {
    const slug = directory.add({ guestPin: GUEST_PIN });
    const guesser = await TestSocket.open(server.wsUrl(slug));
    // The answer is an error (wrong PIN) or a refusal (locked), whichever comes.
    const guess = async (pin: string) => {
      const seen = guesser.received.length;
      guesser.send({ type: 'join', name: 'Mallory', pin });
      await expect.poll(() => guesser.received.length).toBe(seen + 1);
      return guesser.received[seen];
    };
    expect(await guess('000001')).toMatchObject({ code: 'wrong_pin', remainingAttempts: 2 });
    // The host's typos are forgiven once the host gets in.
    const host = await join(server, slug, 'Hana', HOST_PIN);
    expect(await guess('000002')).toMatchObject({ code: 'wrong_pin', remainingAttempts: 2 });
    // Knowing the guest PIN forgives nothing: guesses and guest joins in turn still end in a lockout.
    for (const _ of [1, 2]) (await join(server, slug, 'Mallory', GUEST_PIN)).socket.close();
    expect(await guess('000003')).toMatchObject({ code: 'wrong_pin', remainingAttempts: 1 });
    (await join(server, slug, 'Mallory', GUEST_PIN)).socket.close();
    expect(await guess('000004')).toMatchObject({ type: 'refused', reason: 'locked' });
    host.socket.close();
  });

  it('counts guesses sent at once on many sockets: no more than the configured tries are checked', async () => {
    const slug = directory.add({ guestPin: GUEST_PIN });
    const sockets = await Promise.all(Array.from({ length: 8 }, () => TestSocket.open(server.wsUrl(slug))));
    // All eight lookups in flight together, as a fast attacker would have them.
    directory.hold();
    sockets.forEach((socket, i) => {
      socket.send({ type: 'join', name: 'Mallory', pin: i === 7 ? GUEST_PIN : `00000${i}` });
    });
    await expect.poll(() => directory.pending).toBe(8);
    directory.release();
    const answers = await Promise.all(
      sockets.map(async (socket) => {
        await Promise.race([socket.next('error').catch(() => null), socket.closed]);
        return socket.received[0];
      }),
    );
    const wrong = answers.filter((a) => a?.type === 'error' && a.code === 'wrong_pin');
    const locked = answers.filter((a) => a?.type === 'refused' && a.reason === 'locked');
    expect(wrong).toHaveLength(2);
    expect(locked).toHaveLength(6);
    // The right PIN came after the lockout: refused too.
    expect(answers[7]).toMatchObject({ type: 'refused', reason: 'locked' });
    for (const s of sockets) s.close();
  });

  it('refuses cancelled, closed, not-yet-open and unknown rooms with the reason', async () => {
    const now = Date.now();
    const cases = [
      [directory.add({ status: 'cancelled' }), 'cancelled'],
      [directory.add({ startsAt: new Date(now - 7200_000), endsAt: new Date(now - 60_000) }), 'closed'],
      [
        directory.add({ startsAt: new Date(now + 3600_000), endsAt: new Date(now + 7200_000) }),
        'not_yet_open',
      ],
      ['NoSuchRoomSlug123456', 'not_found'],
      ['bad', 'not_found'],
    ] as const;
    for (const [slug, reason] of cases) {
      const socket = await TestSocket.open(server.wsUrl(slug));
      socket.send({ type: 'join', name: 'Ada', pin: HOST_PIN });
      const refused = await socket.next('refused');
      expect(refused.reason).toBe(reason);
      if (reason === 'not_yet_open')
        expect(refused.opensAt).toBe(new Date(now + 3600_000 - 10 * 60_000).toISOString());
      expect((await socket.closed).code).toBe(CLOSE.refused);
    }
  });

  it('says the room is full at the cap', async () => {
    const slug = directory.add();
    const members = [
      await join(server, slug, 'A'),
      await join(server, slug, 'B'),
      await join(server, slug, 'C'),
    ];
    const fourth = await TestSocket.open(server.wsUrl(slug));
    fourth.send({ type: 'join', name: 'D' });
    expect(await fourth.next('refused')).toEqual({
      type: 'refused',
      reason: 'room_full',
      maxParticipants: 3,
    });
    // Someone leaves: there is room again.
    members[0]?.socket.close();
    await members[1]?.socket.next('peer-left');
    const late = await join(server, slug, 'D');
    for (const m of [...members, late]) m.socket.close();
  });
});

describe('a full room', () => {
  it('still lets a host in, one past the cap, so that a crowd of guests cannot keep the host out', async () => {
    const slug = directory.add();
    // maxParticipants is 3 on this server; all three seats go to one client's guest sockets.
    const guests = [];
    for (const name of ['Sq1', 'Sq2', 'Sq3']) guests.push(await join(server, slug, name));
    const guest = await TestSocket.open(server.wsUrl(slug));
    guest.send({ type: 'join', name: 'Gwen' });
    expect((await guest.next('refused')).reason).toBe('room_full');

    const host = await join(server, slug, 'Hana', HOST_PIN);
    expect(server.rooms.counts().participants).toBe(4);
    // The seat past the cap is the host PIN's only one.
    const second = await TestSocket.open(server.wsUrl(slug));
    second.send({ type: 'join', name: 'Hal', pin: HOST_PIN });
    expect((await second.next('refused')).reason).toBe('room_full');
    // The host can now make room: the removed squatter cannot take the seat back.
    host.socket.send({ type: 'remove', id: guests[0]?.id });
    await guests[0]?.socket.closed;
    const back = await TestSocket.open(server.wsUrl(slug));
    back.send({ type: 'join', name: 'Sq1' });
    expect((await back.next('refused')).reason).toBe('removed');
    for (const g of [...guests, host]) g.socket.close();
  });
});

describe('relaying', () => {
  it('stamps the sender and relays only to participants of the same room', async () => {
    const slug = directory.add();
    const a = await join(server, slug, 'Ada');
    const b = await join(server, slug, 'Bob');
    const elsewhere = await join(server, directory.add(), 'Eve');

    a.socket.send({ type: 'signal', to: b.id, data: OFFER });
    expect(await b.socket.next('signal')).toEqual({ type: 'signal', from: a.id, data: OFFER });

    a.socket.send({ type: 'signal', to: elsewhere.id, data: OFFER });
    expect(await a.socket.next('error')).toEqual({ type: 'error', code: 'unknown_participant' });

    // A forged sender is not part of the schema.
    a.socket.send({ type: 'signal', to: b.id, from: elsewhere.id, data: OFFER });
    expect(await a.socket.next('error')).toEqual({ type: 'error', code: 'invalid_message' });

    b.socket.send({ type: 'chat', text: 'end' });
    await b.socket.next('chat');
    expect(elsewhere.socket.all('signal')).toEqual([]);
    expect(b.socket.all('signal')).toHaveLength(1);
    for (const s of [a.socket, b.socket, elsewhere.socket]) s.close();
  });

  it('relays a whole negotiation: offer, answer and bursts of ICE candidates', async () => {
    const slug = directory.add();
    const a = await join(server, slug, 'Ada');
    const b = await join(server, slug, 'Bob');
    const sdp = (type: 'offer' | 'answer') => ({ description: { type, sdp: `v=0\r\n${'a'.repeat(8000)}` } });
    const candidate = (i: number) => ({
      candidate: { candidate: `candidate:${i} 1 udp 2122260223 192.0.2.${i} 5${i} typ host`, sdpMid: '0' },
    });
    a.socket.send({ type: 'signal', to: b.id, data: sdp('offer') });
    for (let i = 0; i < 30; i++) a.socket.send({ type: 'signal', to: b.id, data: candidate(i) });
    b.socket.send({ type: 'signal', to: a.id, data: sdp('answer') });
    for (let i = 0; i < 30; i++) b.socket.send({ type: 'signal', to: a.id, data: candidate(i) });
    // An ICE restart: a second offer and answer.
    a.socket.send({ type: 'signal', to: b.id, data: sdp('offer') });
    b.socket.send({ type: 'signal', to: a.id, data: sdp('answer') });
    for (const s of [a.socket, b.socket]) s.send({ type: 'chat', text: 'end' });
    for (const s of [a.socket, b.socket]) for (const _ of [1, 2]) await s.next('chat');
    expect(a.socket.all('signal')).toHaveLength(32);
    expect(b.socket.all('signal')).toHaveLength(32);
    expect([...a.socket.all('error'), ...b.socket.all('error')]).toEqual([]);
    a.socket.close();
    b.socket.close();
  });

  it('delivers chat to everyone in the room with the server-known name, never to the lobby', async () => {
    const slug = directory.add({ guestPin: GUEST_PIN, lobby: true });
    const host = await join(server, slug, 'Hana', HOST_PIN);
    const other = await join(server, slug, 'Hugo', HOST_PIN);
    const waiting = await TestSocket.open(server.wsUrl(slug));
    waiting.send({ type: 'join', name: 'Walt', pin: GUEST_PIN });
    await waiting.next('waiting');

    host.socket.send({ type: 'chat', text: '  Hello\u202E there  ' });
    for (const s of [host.socket, other.socket]) {
      const chat = await s.next('chat');
      expect(chat).toMatchObject({ from: host.id, name: 'Hana', text: 'Hello there' });
      expect(Number.isNaN(Date.parse(chat.at))).toBe(false);
    }
    waiting.send({ type: 'chat', text: 'let me in' });
    expect(await waiting.next('error')).toEqual({ type: 'error', code: 'not_joined' });
    expect(waiting.all('chat')).toEqual([]);
    for (const s of [host.socket, other.socket, waiting]) s.close();
  });

  it('stamps chat with the sender’s role: a guest who takes the host’s name stays a guest', async () => {
    const slug = directory.add();
    const host = await join(server, slug, 'Adele Vance', HOST_PIN);
    const guest = await join(server, slug, 'Adele Vance');
    guest.socket.send({ type: 'chat', text: 'New link for this meeting: https://evil.example/m/x' });
    await host.socket.next('chat');
    host.socket.send({ type: 'chat', text: 'hello' });
    await guest.socket.next('chat');
    for (const s of [host.socket, guest.socket]) {
      await expect.poll(() => s.all('chat').length).toBe(2);
      expect(s.all('chat').map(({ from, name, role, text }) => ({ from, name, role, text }))).toEqual([
        {
          from: guest.id,
          name: 'Adele Vance',
          role: 'guest',
          text: 'New link for this meeting: https://evil.example/m/x',
        },
        { from: host.id, name: 'Adele Vance', role: 'host', text: 'hello' },
      ]);
    }
    host.socket.close();
    guest.socket.close();
  });

  it('broadcasts media state changes to the others', async () => {
    const slug = directory.add();
    const a = await join(server, slug, 'Ada');
    const b = await join(server, slug, 'Bob');
    a.socket.send({ type: 'media', audio: false, video: true, screen: true });
    expect(await b.socket.next('peer-media')).toEqual({
      type: 'peer-media',
      id: a.id,
      audio: false,
      video: true,
      screen: true,
    });
    a.socket.close();
    b.socket.close();
  });
});

describe('host powers', () => {
  it('guests cannot admit, mute or remove', async () => {
    const slug = directory.add({ guestPin: GUEST_PIN });
    const host = await join(server, slug, 'Hana', HOST_PIN);
    const guest = await join(server, slug, 'Gus', GUEST_PIN);
    for (const type of ['admit', 'deny', 'mute', 'remove'] as const) {
      guest.socket.send({ type, id: host.id });
      expect(await guest.socket.next('error')).toEqual({ type: 'error', code: 'forbidden' });
    }
    expect(host.socket.all('mute-request')).toEqual([]);
    host.socket.close();
    guest.socket.close();
  });

  it('hosts admit and deny from the lobby', async () => {
    const slug = directory.add({ guestPin: GUEST_PIN, lobby: true });
    const host = await join(server, slug, 'Hana', HOST_PIN);
    const gus = await TestSocket.open(server.wsUrl(slug));
    gus.send({ type: 'join', name: 'Gus', pin: GUEST_PIN });
    await gus.next('waiting');
    const lobby = await host.socket.next('lobby');
    expect(lobby.waiting).toHaveLength(1);
    const gusId = lobby.waiting[0]?.id as string;
    expect(lobby.waiting[0]?.name).toBe('Gus');

    host.socket.send({ type: 'admit', id: gusId });
    const joined = await gus.next('joined');
    expect(joined.id).toBe(gusId);
    expect(joined.peers.map((p) => p.id)).toEqual([host.id]);
    expect((await host.socket.next('peer-joined')).peer.id).toBe(gusId);
    expect((await host.socket.next('lobby')).waiting).toEqual([]);

    const dora = await TestSocket.open(server.wsUrl(slug));
    dora.send({ type: 'join', name: 'Dora', pin: GUEST_PIN });
    await dora.next('waiting');
    const doraId = (await host.socket.next('lobby')).waiting[0]?.id as string;
    host.socket.send({ type: 'deny', id: doraId });
    await dora.next('denied');
    expect((await dora.closed).code).toBe(CLOSE.denied);
    expect(dora.all('joined')).toEqual([]);
    host.socket.close();
    gus.close();
  });

  it('a host joining later sees who is waiting; hosts skip the lobby', async () => {
    const slug = directory.add({ guestPin: GUEST_PIN, lobby: true });
    const gus = await TestSocket.open(server.wsUrl(slug));
    gus.send({ type: 'join', name: 'Gus', pin: GUEST_PIN });
    await gus.next('waiting');
    const host = await join(server, slug, 'Hana', HOST_PIN);
    expect(host.socket.all('joined')[0]?.waiting?.map((w) => w.name)).toEqual(['Gus']);
    host.socket.close();
    gus.close();
  });

  it('hosts ask to mute and remove; the removed participant is disconnected and the others told', async () => {
    const slug = directory.add({ guestPin: GUEST_PIN });
    const host = await join(server, slug, 'Hana', HOST_PIN);
    const gus = await join(server, slug, 'Gus', GUEST_PIN);
    const ida = await join(server, slug, 'Ida', GUEST_PIN);

    host.socket.send({ type: 'mute', id: gus.id });
    expect(await gus.socket.next('mute-request')).toEqual({ type: 'mute-request' });
    expect(ida.socket.all('mute-request')).toEqual([]);

    host.socket.send({ type: 'remove', id: gus.id });
    await gus.socket.next('removed');
    expect((await gus.socket.closed).code).toBe(CLOSE.removed);
    expect((await ida.socket.next('peer-left')).id).toBe(gus.id);

    host.socket.send({ type: 'remove', id: gus.id });
    expect(await host.socket.next('error')).toEqual({ type: 'error', code: 'unknown_participant' });
    host.socket.close();
    ida.socket.close();
  });
});

describe('removed and denied clients', () => {
  // This server's clock moves only when the test moves it, so the 10 minutes are counted exactly.
  let clock = Date.now();
  let timed: TestServer;
  beforeAll(async () => {
    timed = await startServer({ directory, now: () => new Date(clock) });
  });
  afterAll(async () => {
    await timed.close();
  });

  it('are refused by that room for a while, unless they come with the host PIN', async () => {
    const slug = directory.add({ guestPin: GUEST_PIN });
    const host = await join(timed, slug, 'Hana', HOST_PIN);
    const troll = await join(timed, slug, 'Troll', GUEST_PIN);
    host.socket.send({ type: 'remove', id: troll.id });
    expect((await troll.socket.closed).code).toBe(CLOSE.removed);

    const again = await TestSocket.open(timed.wsUrl(slug));
    again.send({ type: 'join', name: 'Troll', pin: GUEST_PIN });
    const refused = await again.next('refused');
    expect(refused).toEqual({ type: 'refused', reason: 'removed', retryAfterSeconds: 10 * 60 });
    expect((await again.closed).code).toBe(CLOSE.refused);
    // Without a PIN too, and before the directory is asked.
    const noPin = await TestSocket.open(timed.wsUrl(slug));
    noPin.send({ type: 'join', name: 'Troll' });
    expect((await noPin.next('refused')).reason).toBe('removed');
    expect(host.socket.all('peer-joined')).toHaveLength(1);
    // A host removed by another host (or by mistake) is not kept out of their own meeting.
    const hal = await join(timed, slug, 'Hal', HOST_PIN);
    expect(hal.id).toMatch(/^[0-9a-f]{16}$/);
    // Only that room: the same client joins another meeting.
    const other = await join(timed, directory.add(), 'Troll');
    // Until the 10 minutes are over, to the second; then Troll is a guest like any other.
    clock += 10 * 60_000 - 1000;
    const late = await TestSocket.open(timed.wsUrl(slug));
    late.send({ type: 'join', name: 'Troll', pin: GUEST_PIN });
    expect(await late.next('refused')).toEqual({ type: 'refused', reason: 'removed', retryAfterSeconds: 1 });
    clock += 1000;
    const back = await join(timed, slug, 'Troll', GUEST_PIN);
    expect(back.id).toMatch(/^[0-9a-f]{16}$/);
    for (const s of [host.socket, hal.socket, other.socket, back.socket]) s.close();
  });

  it('denied from the lobby cannot wait at the door again at once', async () => {
    const slug = directory.add({ lobby: true });
    const host = await join(timed, slug, 'Hana', HOST_PIN);
    const knock = await TestSocket.open(timed.wsUrl(slug));
    knock.send({ type: 'join', name: 'Knock' });
    await knock.next('waiting');
    const lobby = await host.socket.next('lobby');
    host.socket.send({ type: 'deny', id: lobby.waiting[0]?.id });
    await knock.closed;
    const again = await TestSocket.open(timed.wsUrl(slug));
    again.send({ type: 'join', name: 'Knock' });
    // Refused as denied (never in the call), not as removed, for 10 minutes.
    expect(await again.next('refused')).toEqual({
      type: 'refused',
      reason: 'denied',
      retryAfterSeconds: 10 * 60,
    });
    expect(timed.rooms.counts().waiting).toBe(0);
    // Then the door is open again: the guest may wait in the lobby once more.
    clock += 10 * 60_000;
    const later = await TestSocket.open(timed.wsUrl(slug));
    later.send({ type: 'join', name: 'Knock' });
    await later.next('waiting');
    // (The host was told of the lobby emptied by the deny first.)
    let lobbyNow = await host.socket.next('lobby');
    while (lobbyNow.waiting.length === 0) lobbyNow = await host.socket.next('lobby');
    expect(lobbyNow.waiting.map((w) => w.name)).toEqual(['Knock']);
    later.close();
    host.socket.close();
  });
});

describe('room lifecycle', () => {
  it('closeRoom disconnects everyone with the reason, and refuses joins while the directory catches up', async () => {
    const slug = directory.add({ lobby: true, guestPin: GUEST_PIN });
    const host = await join(server, slug, 'Hana', HOST_PIN);
    const waiting = await TestSocket.open(server.wsUrl(slug));
    waiting.send({ type: 'join', name: 'Walt', pin: GUEST_PIN });
    await waiting.next('waiting');

    expect(server.rooms.closeRoom(slug)).toBe(2);
    for (const s of [host.socket, waiting]) {
      expect(await s.next('closed')).toEqual({ type: 'closed', reason: 'cancelled' });
      expect((await s.closed).code).toBe(CLOSE.roomClosed);
    }
    // The directory still says "scheduled" (the core cancels the room before it commits).
    const late = await TestSocket.open(server.wsUrl(slug));
    late.send({ type: 'join', name: 'Late', pin: HOST_PIN });
    expect((await late.next('refused')).reason).toBe('cancelled');
  });

  it('closeRoom also takes the meeting id', async () => {
    const slug = directory.add();
    const meetingId = directory.rooms.get(slug)?.meetingId as string;
    const a = await join(server, slug, 'Ada');
    expect(server.rooms.closeRoom(meetingId)).toBe(1);
    await a.socket.next('closed');
  });

  describe('a join whose directory lookup started before the meeting changed', () => {
    afterAll(() => {
      directory.snapshotAtStart = false;
    });

    /** Gus asks to join without a PIN; his lookup reads the room now and answers once released. */
    async function straddlingJoin(slug: string, change: () => void) {
      directory.snapshotAtStart = true;
      directory.hold();
      const gus = await TestSocket.open(server.wsUrl(slug));
      gus.send({ type: 'join', name: 'Gus' });
      await expect.poll(() => directory.pending).toBe(1);
      change();
      // The recheck's own lookup waits at the same gate (and reads the changed row).
      const recheck = server.rooms.recheckRoom(slug);
      directory.release();
      await recheck;
      return gus;
    }

    it('does not let a guest in without the guest PIN turned on meanwhile', async () => {
      const slug = directory.add();
      const host = await join(server, slug, 'Hana', HOST_PIN);
      const info = directory.rooms.get(slug);
      if (!info) throw new Error('no room');
      const gus = await straddlingJoin(slug, () =>
        directory.rooms.set(slug, { ...info, guestPin: GUEST_PIN }),
      );
      expect(await gus.next('error')).toMatchObject({ code: 'pin_required' });
      expect(gus.all('joined')).toEqual([]);
      host.socket.close();
      gus.close();
    });

    it('does not bring back a room the meeting moved away from', async () => {
      const slug = directory.add();
      const host = await join(server, slug, 'Hana', HOST_PIN);
      const info = directory.rooms.get(slug);
      if (!info) throw new Error('no room');
      const later = Date.now() + 24 * 3_600_000;
      const gus = await straddlingJoin(slug, () =>
        directory.rooms.set(slug, {
          ...info,
          startsAt: new Date(later),
          endsAt: new Date(later + 3_600_000),
        }),
      );
      expect(await gus.next('refused')).toMatchObject({ reason: 'not_yet_open' });
      await host.socket.closed;
      gus.close();
    });
  });

  it('recheckRoom ends a room whose meeting moved out of its window: moved later, or over', async () => {
    for (const hours of [24, -24]) {
      const slug = directory.add();
      const info = directory.rooms.get(slug);
      if (!info) throw new Error('no room');
      const host = await join(server, slug, 'Hana', HOST_PIN);
      const guest = await join(server, slug, 'Gus');
      const at = Date.now() + hours * 3600_000;
      directory.rooms.set(slug, { ...info, startsAt: new Date(at), endsAt: new Date(at + 3600_000) });
      // By meeting id, as by slug.
      expect(await server.rooms.recheckRoom(info.meetingId)).toBe(2);
      // Moved later: not "ended", but when the room opens now (openBeforeMinutes is 10 here).
      const closed =
        hours > 0
          ? { type: 'closed', reason: 'moved', opensAt: new Date(at - 10 * 60_000).toISOString() }
          : { type: 'closed', reason: 'ended' };
      for (const s of [host.socket, guest.socket]) {
        expect(await s.next('closed')).toEqual(closed);
        expect((await s.closed).code).toBe(CLOSE.roomClosed);
      }
    }
    expect(await server.rooms.recheckRoom(directory.add())).toBe(0);
  });

  it('recheckRoom sends guests who no longer qualify to join again, never the host', async () => {
    const slug = directory.add();
    const info = directory.rooms.get(slug);
    if (!info) throw new Error('no room');
    const host = await join(server, slug, 'Hana', HOST_PIN);
    const gus = await join(server, slug, 'Gus');
    expect(await server.rooms.recheckRoom(slug)).toBe(0);

    // A guest PIN now: Gus came without one.
    directory.rooms.set(slug, { ...info, guestPin: GUEST_PIN });
    expect(await server.rooms.recheckRoom(slug)).toBe(1);
    expect(await gus.socket.next('closed')).toEqual({ type: 'closed', reason: 'changed' });
    expect((await gus.socket.closed).code).toBe(CLOSE.roomClosed);
    expect((await host.socket.next('peer-left')).id).toBe(gus.id);
    const ida = await join(server, slug, 'Ida', GUEST_PIN);
    expect(await server.rooms.recheckRoom(slug)).toBe(0);

    // The lobby turned on: Ida never passed it. A guest a host admits afterwards stays.
    directory.rooms.set(slug, { ...info, guestPin: GUEST_PIN, lobby: true });
    expect(await server.rooms.recheckRoom(slug)).toBe(1);
    expect(await ida.socket.next('closed')).toEqual({ type: 'closed', reason: 'changed' });
    const back = await TestSocket.open(server.wsUrl(slug));
    back.send({ type: 'join', name: 'Ida', pin: GUEST_PIN });
    await back.next('waiting');
    host.socket.send({ type: 'admit', id: (await host.socket.next('lobby')).waiting[0]?.id });
    await back.next('joined');
    expect(await server.rooms.recheckRoom(slug)).toBe(0);

    // A new guest PIN: the old one no longer lets anyone stay.
    directory.rooms.set(slug, { ...info, guestPin: '550134', lobby: true });
    expect(await server.rooms.recheckRoom(slug)).toBe(1);
    expect(await back.next('closed')).toEqual({ type: 'closed', reason: 'changed' });
    expect(host.socket.all('closed')).toEqual([]);
    expect(host.socket.ws.readyState).toBe(host.socket.ws.OPEN);
    host.socket.close();
  });

  it('ends the room at its end plus grace', async () => {
    // The room's clock stands still until Ada is in, however slow the join: the room cannot end first.
    let clock = Date.now();
    // No grace here: the room closes when the meeting ends.
    const timed = await startServer({ directory, closeAfterMinutes: 0, now: () => new Date(clock) });
    try {
      const slug = directory.add({ startsAt: new Date(clock - 60_000), endsAt: new Date(clock + 500) });
      const a = await join(timed, slug, 'Ada');
      // The closing timer fires every 0.5 s and finds the meeting running until the clock passes its end.
      clock += 1_000;
      expect(await a.socket.next('closed', 6000)).toEqual({ type: 'closed', reason: 'ended' });
      expect((await a.socket.closed).code).toBe(CLOSE.roomClosed);
    } finally {
      await timed.close();
    }
  });
});

describe('limits', () => {
  it('closes the connection on a frame over the size limit', async () => {
    const slug = directory.add();
    const a = await join(server, slug, 'Ada');
    a.socket.send({ type: 'chat', text: 'x'.repeat(LIMITS.messageBytes) });
    expect((await a.socket.closed).code).toBe(CLOSE.tooBig);
  });

  it('answers malformed JSON with an error and binary frames with a close', async () => {
    const slug = directory.add();
    const socket = await TestSocket.open(server.wsUrl(slug));
    socket.send('{"type":');
    expect(await socket.next('error')).toEqual({ type: 'error', code: 'invalid_message' });
    socket.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await socket.closed).code).toBe(CLOSE.unsupported);
  });

  it('refuses a flood of signals at one participant to its sender, and keeps the target', async () => {
    // The budgets' clock stands still while the flood is sent, however slowly: no refill in between.
    let clock = Date.now();
    const timed = await startServer({ directory, now: () => new Date(clock) });
    try {
      const slug = directory.add({ guestPin: GUEST_PIN });
      const host = await join(timed, slug, 'Hana', HOST_PIN);
      const guest = await join(timed, slug, 'Gus', GUEST_PIN);
      const offer = { description: { type: 'offer', sdp: `v=0\r\n${'a'.repeat(LIMITS.sdpLength - 5)}` } };
      // 40 max-size offers (~1.3 MB) is within the message rate limits.
      for (let i = 0; i < 40; i++) guest.socket.send({ type: 'signal', to: host.id, data: offer });
      guest.socket.send({ type: 'chat', text: 'done' });
      await guest.socket.next('chat');
      expect((await host.socket.next('chat')).text).toBe('done');
      // 128 KiB per sender and target at once: three of these.
      expect(host.socket.all('signal')).toHaveLength(3);
      expect(guest.socket.all('error')).toEqual(
        Array.from({ length: 37 }, () => ({ type: 'error', code: 'rate_limited' })),
      );
      // Then 16 KiB/s: three seconds later, one more goes through.
      clock += 3_000;
      guest.socket.send({ type: 'signal', to: host.id, data: offer });
      await host.socket.next('signal');
      expect(host.socket.all('signal')).toHaveLength(4);
      // Both still talk: the host answers.
      host.socket.send({ type: 'signal', to: guest.id, data: OFFER });
      expect((await guest.socket.next('signal')).from).toBe(host.id);
      host.socket.close();
      guest.socket.close();
    } finally {
      await timed.close();
    }
  });

  it('caps the signalling sockets one client holds open, and frees a place when one closes', async () => {
    const capped = await startServer({
      directory,
      maxSocketsPerClient: 2,
      // All test sockets come from 127.0.0.1: `?as=` stands for another address.
      clientAddress: (request) => (request.query as { as?: string }).as ?? request.ip,
    });
    try {
      const slug = directory.add();
      const url = capped.wsUrl(slug);
      const first = await TestSocket.open(url);
      const second = await join(capped, slug, 'Bob');
      // Refused before the handshake (the details: socket-cap.test.ts).
      expect(await upgrade(url, {})).toBe(429);
      // Another client is not affected.
      const other = await TestSocket.open(`${url}?as=198.51.100.7`);
      other.send({ type: 'join', name: 'Olga' });
      await other.next('joined');

      first.close();
      await first.closed;
      await expect.poll(() => capped.rooms.counts().sockets).toBe(2);
      const again = await join(capped, slug, 'Cy');
      for (const s of [second.socket, other, again.socket]) s.close();
    } finally {
      await capped.close();
    }
  });

  it('refuses a client connecting too often with 429, before any socket exists; others are not affected', async () => {
    let clock = Date.now();
    // maxSocketsPerClient 1: 2 new connections at once, then one every 10 s.
    const churned = await startServer({
      directory,
      maxSocketsPerClient: 1,
      now: () => new Date(clock),
      clientAddress: (request) => (request.query as { as?: string }).as ?? request.ip,
    });
    try {
      const url = churned.wsUrl(directory.add());
      // Each socket gone on the server before the next: at the socket cap (1) that is refused too.
      const closed = () => expect.poll(() => churned.rooms.counts().sockets).toBe(0);
      expect(await upgrade(url, {})).toBe('open');
      await closed();
      expect(await upgrade(url, {})).toBe('open');
      await closed();
      const refused = await refusedUpgrade(url);
      expect(refused.status).toBe(429);
      expect(refused.headers['retry-after']).toBe('10');
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      // Another address has its own budget.
      expect(await upgrade(`${url}?as=198.51.100.7`, {})).toBe('open');
      clock += 10_000;
      expect(await upgrade(url, {})).toBe('open');
      await closed();
      expect(await upgrade(url, {})).toBe(429);
    } finally {
      await churned.close();
    }
  });

  it('rate-limits chat floods, and gives each refused line back to its sender', async () => {
    // A clock that stands still: the chat budget cannot refill in the middle of the flood.
    const frozen = Date.now();
    const still = await startServer({ directory, now: () => new Date(frozen) });
    try {
      const slug = directory.add();
      const a = await join(still, slug, 'Ada');
      const texts = Array.from({ length: 30 }, (_, i) => `message ${i}`);
      for (const text of texts) a.socket.send({ type: 'chat', text });
      a.socket.send({ type: 'leave' });
      await a.socket.closed;
      // The burst of 10 goes through, in order; each of the other 20 comes back with its text.
      expect(a.socket.all('chat').map((c) => c.text)).toEqual(texts.slice(0, LIMITS.chatBurst));
      expect(a.socket.all('error')).toEqual(
        texts.slice(LIMITS.chatBurst).map((text) => ({ type: 'error', code: 'chat_rate_limited', text })),
      );
    } finally {
      await still.close();
    }
  });
});

describe('cross-site upgrades', () => {
  it('refuses a browser page from another origin with 403, before any socket exists', async () => {
    const other = await startServer({ directory, publicUrl: 'https://rooms.example.org/' });
    try {
      const url = other.wsUrl(directory.add());
      expect(await upgrade(url, { Origin: 'https://evil.example' })).toBe(403);
      expect(await upgrade(url, { Origin: 'null' })).toBe(403);
      // Same host, other scheme or port: another origin all the same.
      expect(await upgrade(url, { Origin: 'http://rooms.example.org' })).toBe(403);
      expect(await upgrade(url, { Origin: 'https://rooms.example.org:8443' })).toBe(403);
      expect(await upgrade(url, { Origin: 'https://rooms.example.org' })).toBe('open');
      // Not a browser (a gateway, a script): it could send any Origin, so none is no reason to refuse.
      expect(await upgrade(url, {})).toBe('open');
    } finally {
      await other.close();
    }
  });

  it('without a public URL, takes the page to be from the host the browser asked', async () => {
    const url = server.wsUrl(directory.add());
    const host = new URL(server.baseUrl).host;
    expect(await upgrade(url, { Origin: `http://${host}` })).toBe('open');
    expect(await upgrade(url, { Origin: 'https://evil.example' })).toBe(403);
  });
});

describe('mounting', () => {
  it('works in an app that registered @fastify/websocket itself', async () => {
    const { default: websocket } = await import('@fastify/websocket');
    const other = await startServer({ directory }, async (app) => {
      await app.register(websocket);
    });
    try {
      const slug = directory.add();
      const a = await join(other, slug, 'Ada');
      const b = await join(other, slug, 'Bob');
      b.socket.send({ type: 'chat', text: 'hi' });
      expect((await a.socket.next('chat')).text).toBe('hi');
      a.socket.close();
      b.socket.close();
    } finally {
      await other.close();
    }
  });
});

describe('metrics', () => {
  it('counts joins, leaves and refusals, and holds no names, slugs or chat', async () => {
    const slug = directory.add({ guestPin: GUEST_PIN });
    const guesser = await TestSocket.open(server.wsUrl(slug));
    guesser.send({ type: 'join', name: 'Guesser', pin: '000000' });
    await guesser.next('error');
    guesser.close();
    const a = await join(server, slug, 'Zelda Secretname', GUEST_PIN);
    a.socket.send({ type: 'chat', text: 'very private words' });
    await a.socket.next('chat');
    a.socket.close();
    await a.socket.closed;
    await expect.poll(() => server.rooms.counts().participants, { timeout: 2000 }).toBe(0);
    const text = await registry.metrics();
    expect(text).toMatch(/roomlink_rooms_joins_total\{role="guest"\} [1-9]/);
    expect(text).toMatch(/roomlink_rooms_leaves_total [1-9]/);
    expect(text).toMatch(/roomlink_rooms_refusals_total\{reason="wrong_pin"\} [1-9]/);
    expect(text).toMatch(/roomlink_rooms_participants 0/);
    expect(text).not.toContain('Secretname');
    expect(text).not.toContain('private');
    expect(text).not.toContain(slug);
  });
});
