import { describe, expect, it } from 'vitest';
import { HOST_TICKET } from '../shared/protocol.js';
import { GuestTickets, type NewGuestTicket } from './guest-tickets.js';

const start = Date.UTC(2025, 0, 6, 9, 0);
const MINUTE = 60_000;
const until = start + 60 * MINUTE;
const PIN = '771204';
const HOLDER = '0123456789abcdef';
const nobodyIn = () => false;
const open = { guestPin: PIN, lobby: false };
/** A room that asks no guest PIN and has no lobby. */
const free = { guestPin: null, lobby: false };

/** A ticket of `tickets` for a guest of room-a under PIN who walked in, unless `guest` says otherwise. */
function issued(
  tickets: GuestTickets,
  guest: Partial<NewGuestTicket>,
  inRoom: (participant: string) => boolean = nobodyIn,
  now = start,
): string | null {
  const defaults = { slug: 'room-a', meetingId: 'meeting-a', guestPin: PIN, standing: 'walkedIn' as const };
  return tickets.issue({ ...defaults, until, participant: HOLDER, ...guest }, now, inRoom);
}

describe('GuestTickets', () => {
  it('are random, fit the ticket pattern, and are good for their room until its closing time, reusably', () => {
    const tickets = new GuestTickets();
    const a = issued(tickets, {});
    const b = issued(tickets, {});
    expect(a).toMatch(new RegExp(HOST_TICKET));
    expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(b).not.toBe(a);
    const ticket = a as string;
    expect(tickets.has(ticket)).toBe(true);
    expect(tickets.judge(ticket, 'room-a', open, start)).toEqual({ ok: true, admittedByHost: false });
    expect(tickets.judge(ticket, 'room-a', open, until - 1)).toEqual({ ok: true, admittedByHost: false });
    expect(tickets.judge(ticket, 'room-b', open, start)).toBe('refused');
    expect(tickets.judge('v1.k1.someHostLink', 'room-a', open, start)).toBe('unknown');
    // Past its time: refused once, then forgotten.
    expect(tickets.judge(ticket, 'room-a', open, until)).toBe('refused');
    expect(tickets.judge(ticket, 'room-a', open, start)).toBe('unknown');
  });

  it('hold to the guest PIN in force: another one, or one asked now, refuses them for good', () => {
    const tickets = new GuestTickets();
    const withPin = issued(tickets, {}) as string;
    const noPin = issued(tickets, { guestPin: null }) as string;
    // A PIN dropped since is no reason to refuse anyone.
    expect(tickets.judge(withPin, 'room-a', { guestPin: null, lobby: false }, start)).toMatchObject({
      ok: true,
    });
    expect(tickets.judge(withPin, 'room-a', { guestPin: '305517', lobby: false }, start)).toBe('refused');
    expect(tickets.judge(withPin, 'room-a', open, start)).toBe('unknown');
    expect(tickets.judge(noPin, 'room-a', open, start)).toBe('refused');
  });

  it('get past a lobby only for a guest a host let in; enforce() drops those the new rules refuse', () => {
    const tickets = new GuestTickets();
    const walkedIn = issued(tickets, {}) as string;
    const letIn = issued(tickets, { standing: 'letIn' }) as string;
    const elsewhere = issued(tickets, { slug: 'room-b', meetingId: 'meeting-b' }) as string;
    const lobby = { guestPin: PIN, lobby: true };
    expect(tickets.judge(letIn, 'room-a', lobby, start)).toEqual({ ok: true, admittedByHost: true });
    tickets.enforce('room-a', lobby);
    // Forgotten: the lobby turned off again does not revive it.
    expect(tickets.judge(walkedIn, 'room-a', open, start)).toBe('unknown');
    expect(tickets.judge(letIn, 'room-a', open, start)).toEqual({ ok: true, admittedByHost: true });
    expect(tickets.judge(elsewhere, 'room-b', open, start)).toMatchObject({ ok: true });
  });

  it('from the lobby, bring their guest back to it whatever the lobby, and go further once they got in', () => {
    const tickets = new GuestTickets();
    const lobby = { guestPin: PIN, lobby: true };
    const issue = () => issued(tickets, { standing: 'lobby' }) as string;
    const waiting = issue();
    // A waiter is no guest let in: to the lobby if it is on (as with the PIN), never past it.
    expect(tickets.judge(waiting, 'room-a', lobby, start)).toEqual({ ok: true, admittedByHost: false });
    tickets.enforce('room-a', lobby);
    expect(tickets.judge(waiting, 'room-a', open, start)).toEqual({ ok: true, admittedByHost: false });
    // Let in by a host: as far as one made then; nothing takes that back.
    tickets.passed(waiting, 'letIn');
    tickets.passed(waiting, 'walkedIn');
    expect(tickets.judge(waiting, 'room-a', lobby, start)).toEqual({ ok: true, admittedByHost: true });
    // Walked in as the lobby was turned off: a lobby turned on again stops it, as for any who walked in.
    const walkedIn = issue();
    tickets.passed(walkedIn, 'walkedIn');
    tickets.enforce('room-a', lobby);
    expect(tickets.judge(walkedIn, 'room-a', open, start)).toBe('unknown');
    // A guest PIN changed stops a waiter's as any other.
    const other = issue();
    expect(tickets.judge(other, 'room-a', { guestPin: '305517', lobby: true }, start)).toBe('refused');
  });

  it('remember their holder, follow the closing time, and are revoked one by one or by room', () => {
    const tickets = new GuestTickets();
    const a = issued(tickets, { guestPin: null, participant: 'aaaaaaaaaaaaaaaa' }) as string;
    expect(tickets.holder(a)).toBe('aaaaaaaaaaaaaaaa');
    tickets.bind(a, 'bbbbbbbbbbbbbbbb');
    expect(tickets.holder(a)).toBe('bbbbbbbbbbbbbbbb');
    tickets.renew(a, until + 30 * MINUTE);
    expect(tickets.judge(a, 'room-a', free, until + MINUTE)).toMatchObject({ ok: true });
    tickets.revoke(a);
    expect(tickets.holder(a)).toBeNull();
    expect(tickets.judge(a, 'room-a', free, start)).toBe('unknown');
    const b = issued(tickets, { slug: 'room-b', meetingId: 'meeting-b', guestPin: null }) as string;
    const c = issued(tickets, { slug: 'room-c', meetingId: 'meeting-c', guestPin: null }) as string;
    tickets.revokeRoom('room-b');
    tickets.revokeRoom('meeting-c');
    expect([tickets.judge(b, 'room-b', free, start), tickets.judge(c, 'room-c', free, start)]).toEqual([
      'unknown',
      'unknown',
    ]);
    expect(tickets.size).toBe(0);
  });

  it('past a room’s own limit, forget its oldest whose guest is not in the room, never another room’s', () => {
    const tickets = new GuestTickets(10, 3);
    const inRoom = new Set(['in-1', 'in-2']);
    const present = (id: string) => inRoom.has(id);
    const other = issued(
      tickets,
      { slug: 'room-b', meetingId: 'meeting-b', guestPin: null },
      present,
    ) as string;
    const [first, second] = ['in-1', 'in-2'].map(
      (id) => issued(tickets, { guestPin: null, participant: id }, present) as string,
    );
    const gone = issued(tickets, { guestPin: null, participant: 'gone' }, present) as string;
    // Someone joining over and over: each new ticket pushes out the oldest of a guest not in the room.
    for (let i = 0; i < 20; i++) issued(tickets, { guestPin: null, participant: `churn-${i}` }, present);
    expect(tickets.judge(gone, 'room-a', free, start)).toBe('unknown');
    for (const kept of [first, second] as string[])
      expect(tickets.judge(kept, 'room-a', free, start)).toMatchObject({ ok: true });
    expect(tickets.judge(other, 'room-b', free, start)).toMatchObject({ ok: true });
    expect(tickets.size).toBe(4);
    // Everyone in the room: then the oldest goes all the same.
    inRoom.add('churn-19');
    issued(tickets, { guestPin: null, participant: 'late' }, present);
    expect(tickets.judge(first as string, 'room-a', free, start)).toBe('unknown');
  });

  it('at capacity, none is made rather than a live one forgotten; those past their time make room', () => {
    const tickets = new GuestTickets(2);
    const early = issued(tickets, { guestPin: null, until: start + 5 * MINUTE });
    issued(tickets, { guestPin: null });
    expect(issued(tickets, { slug: 'room-b', meetingId: 'meeting-b', guestPin: null })).toBeNull();
    expect(tickets.judge(early as string, 'room-a', free, start)).toMatchObject({ ok: true });
    expect(
      issued(
        tickets,
        { slug: 'room-b', meetingId: 'meeting-b', guestPin: null },
        nobodyIn,
        start + 5 * MINUTE,
      ),
    ).toMatch(/^[A-Za-z0-9_-]{22}$/);
    tickets.prune(until);
    expect(tickets.size).toBe(0);
  });
});
