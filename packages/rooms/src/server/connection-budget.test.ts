import { describe, expect, it } from 'vitest';
import { ConnectionBudget } from './connection-budget.js';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const takes = (budget: ConnectionBudget, client: string, n: number) =>
  Array.from({ length: n }, () => budget.take(client)).filter(Boolean).length;

describe('ConnectionBudget', () => {
  it('lets a client connect `burst` times at once, then `perSecond`; other clients have their own', () => {
    const c = clock();
    const budget = new ConnectionBudget(400, 20, c.now);
    expect(takes(budget, 'a', 1000)).toBe(400);
    expect(budget.retryAfterSeconds('a')).toBe(1);
    expect(takes(budget, 'b', 1)).toBe(1);
    // A thousand a second for ten seconds: twenty of each thousand get through.
    let through = 0;
    for (let ms = 0; ms < 10_000; ms++) {
      c.advance(1);
      if (budget.take('a')) through += 1;
    }
    expect(through).toBe(200);
    c.advance(20_000);
    expect(budget.retryAfterSeconds('a')).toBe(0);
    expect(takes(budget, 'a', 1000)).toBe(400);
  });

  it('says how long until the next connection', () => {
    const c = clock();
    const budget = new ConnectionBudget(2, 0.1, c.now);
    expect(budget.retryAfterSeconds('a')).toBe(0);
    expect(takes(budget, 'a', 3)).toBe(2);
    expect(budget.retryAfterSeconds('a')).toBe(10);
    c.advance(7_500);
    expect(budget.retryAfterSeconds('a')).toBe(3);
    c.advance(2_500);
    expect(budget.take('a')).toBe(true);
  });

  it('forgets a client once its budget has refilled: idle addresses cost no memory', () => {
    const c = clock();
    const budget = new ConnectionBudget(10, 1, c.now);
    for (let i = 0; i < 1000; i++) budget.take(`198.51.100.${i}`);
    takes(budget, 'busy', 10);
    expect(budget.size).toBe(1001);
    c.advance(9_000);
    budget.sweep();
    // Each spent one of ten and got it back within a second; the busy one is still refilling.
    expect(budget.size).toBe(1);
    c.advance(1_000);
    budget.sweep();
    expect(budget.size).toBe(0);
    // Forgetting changed nothing: a full budget again.
    expect(takes(budget, 'busy', 20)).toBe(10);
  });

  it('remembers at most `maxClients`, forgetting the one unused longest', () => {
    const c = clock();
    const budget = new ConnectionBudget(2, 0.1, c.now, 3);
    takes(budget, 'a', 2);
    takes(budget, 'b', 2);
    takes(budget, 'c', 2);
    // 'a' connects again (refused): now 'b' is the one unused longest.
    expect(budget.take('a')).toBe(false);
    expect(budget.take('d')).toBe(true);
    expect(budget.size).toBe(3);
    expect(budget.take('a')).toBe(false);
    expect(budget.take('c')).toBe(false);
    // 'b' was forgotten: a full budget again.
    expect(takes(budget, 'b', 3)).toBe(2);
    expect(budget.size).toBe(3);
  });

  it('peeks without taking: canTake says what take would, and asking a thousand times costs nothing', () => {
    const c = clock();
    const budget = new ConnectionBudget(3, 0.5, c.now);
    for (let i = 0; i < 1000; i++) expect(budget.canTake('a')).toBe(true);
    expect(takes(budget, 'a', 10)).toBe(3);
    for (let i = 0; i < 1000; i++) expect(budget.canTake('a')).toBe(false);
    // Refilling at one every 2 s: the peek turns true exactly when a take would succeed.
    c.advance(1_999);
    expect(budget.canTake('a')).toBe(false);
    expect(budget.take('a')).toBe(false);
    c.advance(1);
    expect(budget.canTake('a')).toBe(true);
    expect(budget.canTake('a')).toBe(true);
    expect(budget.take('a')).toBe(true);
    expect(budget.canTake('a')).toBe(false);
    // Peek and take agree at every step of an uneven schedule of tries.
    let seed = 7;
    const seen = { true: 0, false: 0 };
    for (let step = 0; step < 2000; step++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      c.advance(seed % 1500);
      const peeked = budget.canTake('a');
      expect(budget.take('a'), `step ${step}`).toBe(peeked);
      seen[`${peeked}`] += 1;
    }
    // Both answers came up often: the schedule tried the budget both full enough and spent.
    expect(Math.min(seen.true, seen.false)).toBeGreaterThan(500);
  });

  it('remembers nobody for a peek, and a peek does not keep a client from being forgotten', () => {
    const c = clock();
    const budget = new ConnectionBudget(2, 0.1, c.now, 2);
    for (let i = 0; i < 100; i++) budget.canTake(`198.51.100.${i}`);
    expect(budget.size).toBe(0);
    takes(budget, 'a', 2);
    takes(budget, 'b', 2);
    // 'a' is still the one unused longest, however often it asks: the next newcomer pushes it out.
    expect(budget.canTake('a')).toBe(false);
    expect(budget.take('c')).toBe(true);
    expect(budget.size).toBe(2);
    expect(budget.canTake('a')).toBe(true);
    expect(budget.canTake('b')).toBe(false);
  });
});
