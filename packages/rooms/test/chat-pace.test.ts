/**
 * The join page's own chat limit (web/chat-pace.ts) against the server's (hub.ts), over a simulated
 * network that delays each line by a varying amount, keeping their order (one WebSocket).
 */
import { describe, expect, it } from 'vitest';
import { LIMITS } from '../src/shared/protocol.js';
import { TokenBucket } from '../src/shared/token-bucket.js';
import { chatPace, PAGE_CHAT_HEADROOM } from '../src/web/chat-pace.js';

/** A small seeded generator (mulberry32): the same runs every time. */
function random(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Run {
  readonly sent: number;
  readonly refused: number;
}

/**
 * A visitor who types in bursts and pauses, a page that sends what `pace` lets through, a network
 * that adds 20 ms plus up to `jitterMs` to each line, and the server's limit counting arrivals.
 */
function simulate(pace: (now: () => number) => TokenBucket, jitterMs: number, seed: number): Run {
  const next = random(seed);
  let pageClock = 0;
  const page = pace(() => pageClock);
  // The visitor joins a while after the page loaded: the server counts from then.
  const joinedAt = next() * 2000;
  const arrivals: number[] = [];
  let at = joinedAt;
  for (let attempt = 0; attempt < 300; attempt++) {
    const kind = next();
    at += kind < 0.3 ? next() * 20 : kind < 0.8 ? next() * 1500 : next() * 15_000;
    pageClock = at;
    if (!page.take()) continue;
    arrivals.push(Math.max(arrivals.at(-1) ?? 0, at + 20 + next() * jitterMs));
  }
  let serverClock = joinedAt;
  const server = new TokenBucket(LIMITS.chatBurst, LIMITS.chatPerSecond, () => serverClock);
  let refused = 0;
  for (const arrival of arrivals) {
    serverClock = arrival;
    if (!server.take()) refused++;
  }
  return { sent: arrivals.length, refused };
}

function total(pace: (now: () => number) => TokenBucket, jitterMs: number): Run {
  let sent = 0;
  let refused = 0;
  for (let seed = 1; seed <= 300; seed++) {
    const run = simulate(pace, jitterMs, seed);
    sent += run.sent;
    refused += run.refused;
  }
  return { sent, refused };
}

describe('the join page’s chat limit', () => {
  it('sends nothing the server refuses while the network holds lines back up to two seconds', () => {
    for (const jitterMs of [0, 200, 1000, 1900]) {
      const run = total(chatPace, jitterMs);
      expect(run.sent, `jitter ${jitterMs} ms`).toBeGreaterThan(50_000);
      expect(run.refused, `jitter ${jitterMs} ms`).toBe(0);
    }
  });

  it('would not be enough as a copy of the server’s own limit: delayed lines arrive bunched', () => {
    const copy = (now: () => number) => new TokenBucket(LIMITS.chatBurst, LIMITS.chatPerSecond, now);
    expect(total(copy, 0).refused).toBe(0);
    expect(total(copy, 1000).refused).toBeGreaterThan(0);
    // One line in hand covers a second of such delay, not two.
    const oneInHand = (now: () => number) => new TokenBucket(LIMITS.chatBurst - 1, LIMITS.chatPerSecond, now);
    expect(total(oneInHand, 1900).refused).toBeGreaterThan(0);
  });

  it('lets a burst through at once, then one line a second', () => {
    let now = 0;
    const pace = chatPace(() => now);
    const burst = LIMITS.chatBurst - PAGE_CHAT_HEADROOM;
    for (let i = 0; i < burst; i++) expect(pace.take()).toBe(true);
    expect(pace.take()).toBe(false);
    now += 999;
    expect(pace.take()).toBe(false);
    now += 1;
    expect(pace.take()).toBe(true);
    expect(pace.take()).toBe(false);
  });
});
