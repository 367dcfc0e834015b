import { describe, expect, it } from 'vitest';
import { HOST_TICKET } from '../shared/protocol.js';
import { RejoinTokens, SpentTickets } from './host-tickets.js';

const MINUTE = 60_000;
const start = 1_000_000;
const claim = (id: string, expiresAt = start + 15 * MINUTE, issuedAt = start) => ({
  id,
  issuedAt: new Date(issuedAt),
  expiresAt: new Date(expiresAt),
});

describe('SpentTickets', () => {
  it('refuses a ticket spent once, until it expires; then it is refused as expired and forgotten', () => {
    const spent = new SpentTickets(start);
    expect(spent.judge(claim('a'), start)).toBe('valid');
    spent.spend(claim('a'));
    expect(spent.judge(claim('a'), start + MINUTE)).toBe('spent');
    expect(spent.judge(claim('b'), start + MINUTE)).toBe('valid');
    expect(spent.judge(claim('a'), start + 15 * MINUTE)).toBe('expired');
    spent.prune(start + 15 * MINUTE);
    expect(spent.size).toBe(0);
  });

  it('judges an invalid expiry as expired', () => {
    expect(new SpentTickets(start).judge({ ...claim('x'), expiresAt: new Date(Number.NaN) }, start)).toBe(
      'expired',
    );
  });

  it('refuses a ticket made before it started (the process before may have spent it), or of unknown age', () => {
    const spent = new SpentTickets(start);
    expect(spent.judge(claim('a', start + 14 * MINUTE, start - 1), start)).toBe('before_start');
    expect(spent.judge(claim('b', start + 15 * MINUTE, start), start)).toBe('valid');
    expect(spent.judge(claim('c', start + 15 * MINUTE, Number.NaN), start)).toBe('before_start');
    // Expired comes first: a ticket both old and expired is simply expired.
    expect(spent.judge(claim('d', start - MINUTE, start - 16 * MINUTE), start)).toBe('expired');
    expect(spent.size).toBe(0);
  });

  it('at capacity refuses new tickets rather than forget an unexpired spent one; expired ones make room', () => {
    const spent = new SpentTickets(start, 2);
    spent.spend(claim('a', start + 5 * MINUTE));
    spent.spend(claim('b'));
    expect(spent.judge(claim('c'), start)).toBe('full');
    // Still remembered: a full memory never makes a spent ticket good again.
    expect(spent.judge(claim('a', start + 5 * MINUTE), start)).toBe('spent');
    expect(spent.judge(claim('c'), start + 5 * MINUTE)).toBe('valid');
    expect(spent.size).toBe(1);
  });
});

describe('RejoinTokens', () => {
  const until = start + 60 * MINUTE;
  const PIN = '482913';
  const HOLDER = '0123456789abcdef';

  it('made for the host PIN stop working once the room has another host PIN', () => {
    const tokens = new RejoinTokens();
    const token = tokens.issue('room-a', 'meeting-a', PIN, until, start, HOLDER) as string;
    expect(tokens.judge(token, 'room-a', PIN, start)).toBe('valid');
    expect(tokens.judge(token, 'room-a', '907151', start)).toBe('refused');
    // Forgotten: the old PIN coming back does not revive it.
    expect(tokens.judge(token, 'room-a', PIN, start)).toBe('unknown');
  });

  it('are random, fit the ticket pattern, and are good for their room until its closing time, reusably', () => {
    const tokens = new RejoinTokens();
    const a = tokens.issue('room-a', 'meeting-a', null, until, start, HOLDER);
    const b = tokens.issue('room-a', 'meeting-a', null, until, start, HOLDER);
    expect(a).toMatch(new RegExp(HOST_TICKET));
    expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(b).not.toBe(a);
    const token = a as string;
    expect(tokens.judge(token, 'room-a', PIN, start)).toBe('valid');
    expect(tokens.judge(token, 'room-a', PIN, until - 1)).toBe('valid');
    expect(tokens.judge(token, 'room-b', PIN, start)).toBe('refused');
    expect(tokens.judge('v1.k1.someHostLink', 'room-a', PIN, start)).toBe('unknown');
    // A host link's token does not depend on the host PIN.
    expect(tokens.judge(token, 'room-a', '000000', start)).toBe('valid');
    // Past its time: refused once, then forgotten.
    expect(tokens.judge(token, 'room-a', PIN, until)).toBe('refused');
    expect(tokens.judge(token, 'room-a', PIN, start)).toBe('unknown');
  });

  it('follow their room’s closing time, and are revoked one by one or by room (slug or meeting id)', () => {
    const tokens = new RejoinTokens();
    const a = tokens.issue('room-a', 'meeting-a', null, until, start, HOLDER) as string;
    tokens.renew(a, until + 30 * MINUTE);
    expect(tokens.judge(a, 'room-a', PIN, until + MINUTE)).toBe('valid');
    tokens.revoke(a);
    expect(tokens.judge(a, 'room-a', PIN, start)).toBe('unknown');
    const b = tokens.issue('room-b', 'meeting-b', null, until, start, HOLDER) as string;
    const c = tokens.issue('room-c', 'meeting-c', null, until, start, HOLDER) as string;
    tokens.revokeRoom('room-b');
    tokens.revokeRoom('meeting-c');
    expect([tokens.judge(b, 'room-b', PIN, start), tokens.judge(c, 'room-c', PIN, start)]).toEqual([
      'unknown',
      'unknown',
    ]);
    expect(tokens.size).toBe(0);
  });

  it('remember the participant they were last handed to, until they are revoked', () => {
    const tokens = new RejoinTokens();
    const token = tokens.issue('room-a', 'meeting-a', null, until, start, 'aaaaaaaaaaaaaaaa') as string;
    expect(tokens.holder(token)).toBe('aaaaaaaaaaaaaaaa');
    tokens.bind(token, 'bbbbbbbbbbbbbbbb');
    expect(tokens.holder(token)).toBe('bbbbbbbbbbbbbbbb');
    expect(tokens.judge(token, 'room-a', PIN, start)).toBe('valid');
    tokens.revoke(token);
    expect(tokens.holder(token)).toBeNull();
    // Binding a token that is gone brings nothing back.
    tokens.bind(token, 'cccccccccccccccc');
    expect(tokens.judge(token, 'room-a', PIN, start)).toBe('unknown');
    expect(tokens.holder('v1.k1.someHostLink')).toBeNull();
  });

  it('past a room’s own limit, forget that room’s oldest, never another room’s', () => {
    const tokens = new RejoinTokens(5, 3);
    const other = tokens.issue('room-b', 'meeting-b', null, until, start, HOLDER) as string;
    const mine = [1, 2, 3].map(
      () => tokens.issue('room-a', 'meeting-a', PIN, until, start, HOLDER) as string,
    );
    // A host PIN holder joining over and over: each new token pushes out room-a's oldest.
    const fourth = tokens.issue('room-a', 'meeting-a', PIN, until, start, HOLDER) as string;
    expect(fourth).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(mine.map((t) => tokens.judge(t, 'room-a', PIN, start))).toEqual(['unknown', 'valid', 'valid']);
    for (let i = 0; i < 20; i++) tokens.issue('room-a', 'meeting-a', PIN, until, start, HOLDER);
    expect(tokens.judge(other, 'room-b', PIN, start)).toBe('valid');
    expect(tokens.size).toBe(4);
    // Room-b still gets its next one: the hub's capacity (5) was never reached.
    expect(tokens.issue('room-b', 'meeting-b', null, until, start, HOLDER)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    // Closing room-a drops its three and nothing of room-b's, by slug or by meeting id alike.
    tokens.revokeRoom('meeting-a');
    expect(tokens.size).toBe(2);
    expect(tokens.judge(other, 'room-b', PIN, start)).toBe('valid');
    tokens.revokeRoom('room-b');
    expect(tokens.size).toBe(0);
  });

  it('at capacity, none is made rather than a live one forgotten; those past their time make room', () => {
    const tokens = new RejoinTokens(2);
    const early = tokens.issue('room-a', 'meeting-a', null, start + 5 * MINUTE, start, HOLDER) as string;
    tokens.issue('room-a', 'meeting-a', null, until, start, HOLDER);
    expect(tokens.issue('room-b', 'meeting-b', null, until, start, HOLDER)).toBeNull();
    expect(tokens.judge(early, 'room-a', PIN, start)).toBe('valid');
    expect(tokens.issue('room-b', 'meeting-b', null, until, start + 5 * MINUTE, HOLDER)).toMatch(
      /^[A-Za-z0-9_-]{22}$/,
    );
    expect(tokens.size).toBe(2);
    tokens.prune(until);
    expect(tokens.size).toBe(0);
  });
});
