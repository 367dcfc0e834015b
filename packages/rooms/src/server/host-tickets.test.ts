import { describe, expect, it } from 'vitest';
import { SpentTickets } from './host-tickets.js';

const MINUTE = 60_000;
const start = 1_000_000;
const claim = (id: string, expiresAt = start + 15 * MINUTE) => ({ id, expiresAt: new Date(expiresAt) });

describe('SpentTickets', () => {
  it('refuses a ticket spent once, until it expires; then it is refused as expired and forgotten', () => {
    const spent = new SpentTickets();
    expect(spent.judge(claim('a'), start)).toBe('valid');
    spent.spend(claim('a'));
    expect(spent.judge(claim('a'), start + MINUTE)).toBe('spent');
    expect(spent.judge(claim('b'), start + MINUTE)).toBe('valid');
    expect(spent.judge(claim('a'), start + 15 * MINUTE)).toBe('expired');
    spent.prune(start + 15 * MINUTE);
    expect(spent.size).toBe(0);
  });

  it('judges an invalid expiry as expired', () => {
    expect(new SpentTickets().judge({ id: 'x', expiresAt: new Date(Number.NaN) }, start)).toBe('expired');
  });

  it('at capacity refuses new tickets rather than forget an unexpired spent one; expired ones make room', () => {
    const spent = new SpentTickets(2);
    spent.spend(claim('a', start + 5 * MINUTE));
    spent.spend(claim('b'));
    expect(spent.judge(claim('c'), start)).toBe('full');
    // Still remembered: a full memory never makes a spent ticket good again.
    expect(spent.judge(claim('a', start + 5 * MINUTE), start)).toBe('spent');
    expect(spent.judge(claim('c'), start + 5 * MINUTE)).toBe('valid');
    expect(spent.size).toBe(1);
  });
});
