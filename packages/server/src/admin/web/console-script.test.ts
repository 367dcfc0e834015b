/** The admin console script's pure parts, in Node (the page itself runs in test/admin-browser.test.ts). */
import { describe, expect, it } from 'vitest';
import { CONSOLE_SCRIPT, countOf } from './console-script.js';

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
