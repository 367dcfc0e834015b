/** The join page's pure parts, in Node: what it says for join errors and when it asks again. */
import { describe, expect, it } from 'vitest';
import { cleanName as serverCleanName } from '../src/server/messages.js';
import { cleanName } from '../src/shared/names.js';
import { joinErrorFor } from '../src/web/join-errors.js';
import { PAST_RECHECK_MS, recheckDelay, UNKNOWN_RECHECK_MS } from '../src/web/recheck.js';
import { format } from '../src/web/texts.js';

describe('join errors', () => {
  it('every error the server can answer a join with gets a message, in English and French', () => {
    for (const code of [
      'wrong_pin',
      'pin_required',
      'invalid_message',
      'already_joined',
      'rate_limited',
    ] as const) {
      const error = joinErrorFor(code, 2);
      expect(error, code).not.toBeNull();
      if (!error) continue;
      for (const language of ['en', 'fr'] as const) {
        const text = format(language, error.key, error.vars);
        expect(text, `${code} ${language}`).toMatch(/\S/);
        expect(text, `${code} ${language}`).not.toContain('{');
      }
    }
    expect(format('fr', joinErrorFor('invalid_message')?.key ?? 'unavailable')).toContain('nom');
  });

  it('points at the field to fix', () => {
    expect(joinErrorFor('invalid_message')?.field).toBe('name');
    expect(joinErrorFor('wrong_pin', 1)).toEqual({ key: 'wrongPin', vars: { remaining: 1 }, field: 'pin' });
    expect(joinErrorFor('rate_limited')?.field).toBe('form');
    // Errors that only come during the call are not the form's business.
    expect(joinErrorFor('not_joined')).toBeNull();
  });

  it('cleans names exactly as the server does', () => {
    for (const name of ['\u200B', ' \u202E\u2066 ', 'Ada\u200B Lovelace', '  Zoë\tB  ', 'e\u0301'])
      expect(cleanName(name), JSON.stringify(name)).toBe(serverCleanName(name));
    expect(cleanName('\u200B\u200D')).toBe('');
  });
});

describe('checking again before the room opens', () => {
  const now = Date.parse('2030-01-01T10:00:00Z');

  it('waits until just after the opening time', () => {
    expect(recheckDelay(new Date(now + 60_000), now)).toBe(61_000);
    expect(recheckDelay(new Date(now + 40 * 24 * 3600_000), now)).toBe(2_147_483_647);
  });

  it('never asks every second when the opening time is already past', () => {
    expect(recheckDelay(new Date(now - 7 * 24 * 3600_000), now)).toBe(PAST_RECHECK_MS);
    expect(recheckDelay(new Date(now), now)).toBe(PAST_RECHECK_MS);
    expect(recheckDelay(new Date(Number.NaN), now)).toBe(PAST_RECHECK_MS);
    expect(PAST_RECHECK_MS).toBeGreaterThanOrEqual(30_000);
  });

  it('checks again only every few minutes when no opening time is known', () => {
    expect(recheckDelay(null, now)).toBe(UNKNOWN_RECHECK_MS);
    expect(UNKNOWN_RECHECK_MS).toBeGreaterThanOrEqual(60_000);
  });
});
