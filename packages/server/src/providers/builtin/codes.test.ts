import { describe, expect, it } from 'vitest';
import { newConferenceId, newPin, newSlug } from './codes.js';

describe('built-in room codes', () => {
  it('slugs carry at least 96 random bits and are URL-safe', () => {
    const slugs = new Set(Array.from({ length: 2000 }, newSlug));
    expect(slugs.size).toBe(2000);
    for (const s of slugs) {
      expect(s).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(Buffer.from(s, 'base64url').length * 8).toBeGreaterThanOrEqual(96);
    }
  });

  it('conference ids are 10 digits, never start with 0 and are not sequential', () => {
    const ids = Array.from({ length: 500 }, newConferenceId);
    for (const id of ids) expect(id).toMatch(/^[1-9]\d{9}$/);
    const steps = ids.slice(1).map((id, i) => Number(id) - Number(ids[i]));
    expect(new Set(steps).size).toBeGreaterThan(490);
    // Spread over the space, not clustered: both halves are used.
    expect(ids.some((id) => Number(id) < 5e9)).toBe(true);
    expect(ids.some((id) => Number(id) >= 5e9)).toBe(true);
  });

  it('PINs have the policy length, avoid trivial runs and differ from the PIN to avoid', () => {
    for (const length of [4, 6, 10]) {
      for (let i = 0; i < 200; i++) {
        const pin = newPin(length, '1357');
        expect(pin).toMatch(new RegExp(`^\\d{${length}}$`));
        expect(pin).not.toBe('1357');
        expect(['0000', '1111', '1234', '4321', '9876']).not.toContain(pin);
      }
    }
    expect(() => newPin(3)).toThrow(RangeError);
    expect(() => newPin(11)).toThrow(RangeError);
  });
});
