/** Which role a PIN grants. Only the host PIN makes a host; comparisons take constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Role } from '../shared/protocol.js';
import type { RoomInfo } from './directory.js';

export type PinVerdict = Role | 'pin_required' | 'wrong_pin';

export function verifyPin(room: Pick<RoomInfo, 'hostPin' | 'guestPin'>, pin: string): PinVerdict {
  if (pin === '') return room.guestPin === null ? 'guest' : 'pin_required';
  // Both comparisons always run so that timing says nothing about which PIN was close.
  const isHost = pinsEqual(pin, room.hostPin);
  const isGuest = room.guestPin !== null && pinsEqual(pin, room.guestPin);
  if (isHost) return 'host';
  if (isGuest) return 'guest';
  return 'wrong_pin';
}

/** Digests first: timingSafeEqual needs equal lengths, and the length must not leak either. */
export function pinsEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b) && expected !== '';
}
