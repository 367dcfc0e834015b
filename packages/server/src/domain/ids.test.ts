import { describe, expect, it } from 'vitest';
import { timeOrderedId } from './ids.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('timeOrderedId', () => {
  it('is a UUID v7 whose first 48 bits are the time in milliseconds', () => {
    const at = Date.parse('2026-11-29T10:00:00.123Z');
    const id = timeOrderedId(at);
    expect(id).toMatch(V7);
    expect(Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(at);
  });

  it('gives different ids within one millisecond and orders them by time across milliseconds', () => {
    const at = Date.parse('2026-11-29T10:00:00.123Z');
    const same = Array.from({ length: 1000 }, () => timeOrderedId(at));
    expect(new Set(same).size).toBe(1000);
    const later = timeOrderedId(at + 1);
    expect(later > (same.sort().at(-1) as string)).toBe(true);
    // Back to the earlier millisecond: the cached time part must not leak across.
    expect(timeOrderedId(at).slice(0, 13)).toBe(same[0]?.slice(0, 13));
  });
});
