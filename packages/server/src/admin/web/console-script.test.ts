/** The admin console script's pure parts, in Node (the page itself runs in test/admin-browser.test.ts). */
import { describe, expect, it } from 'vitest';
import { CONSOLE_SCRIPT, countOf, formatTime } from './console-script.js';

describe('counts in the console', () => {
  it('says "1 user" and "1 meeting", and the plural otherwise', () => {
    expect(countOf(1, 'user', 'users')).toBe('1 user');
    expect(countOf(0, 'user', 'users')).toBe('0 users');
    expect(countOf(2, 'meeting', 'meetings')).toBe('2 meetings');
    expect(countOf(1, 'day', 'days')).toBe('1 day');
  });

  it('the browser script carries the same function, working on its own', () => {
    expect(CONSOLE_SCRIPT).toContain(countOf.toString());
    const embedded = new Function(`${countOf.toString()}\nreturn countOf;`)() as typeof countOf;
    expect(embedded(1, 'meeting', 'meetings')).toBe('1 meeting');
    // No count is glued to a fixed plural any more.
    expect(CONSOLE_SCRIPT).not.toMatch(/\+ ' (users|meetings|days|months)\b/);
  });
});

describe('times in the console', () => {
  it('name their zone, so that admins in different places read the same instant alike', () => {
    const at = '2026-01-15T15:30:00.000Z';
    expect(formatTime(at, 'UTC')).toBe('15 Jan 2026, 15:30 UTC');
    expect(formatTime(at, 'America/New_York')).toMatch(/^15 Jan 2026, 10:30 (GMT-5|EST)$/);
    expect(formatTime(null)).toBe('—');
  });

  it('the browser script carries the same function', () => {
    expect(CONSOLE_SCRIPT).toContain(formatTime.toString());
    const embedded = new Function(`${formatTime.toString()}\nreturn formatTime;`)() as typeof formatTime;
    expect(embedded('2026-07-01T08:05:00.000Z', 'Europe/Paris')).toMatch(/^1 Jul 2026, 10:05 (GMT\+2|CEST)$/);
  });
});
