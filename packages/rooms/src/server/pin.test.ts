import { describe, expect, it } from 'vitest';
import { pinsEqual, verifyPin } from './pin.js';

describe('verifyPin', () => {
  const withGuestPin = { hostPin: '482913', guestPin: '771204' };
  const hostOnly = { hostPin: '482913', guestPin: null };

  it('grants host only for the host PIN', () => {
    expect(verifyPin(withGuestPin, '482913')).toBe('host');
    expect(verifyPin(hostOnly, '482913')).toBe('host');
    expect(verifyPin(withGuestPin, '771204')).toBe('guest');
  });

  it('lets guests in without a PIN only when the room has no guest PIN', () => {
    expect(verifyPin(hostOnly, '')).toBe('guest');
    expect(verifyPin(withGuestPin, '')).toBe('pin_required');
  });

  it('refuses any other PIN, including prefixes and the PIN with extra digits', () => {
    expect(verifyPin(withGuestPin, '000000')).toBe('wrong_pin');
    expect(verifyPin(withGuestPin, '48291')).toBe('wrong_pin');
    expect(verifyPin(withGuestPin, '4829130')).toBe('wrong_pin');
    expect(verifyPin(hostOnly, '771204')).toBe('wrong_pin');
  });
});

describe('pinsEqual', () => {
  it('never matches an empty expected PIN', () => {
    expect(pinsEqual('', '')).toBe(false);
    expect(pinsEqual('1', '1')).toBe(true);
  });
});
