/** Room codes for the built-in provider, all from the CSPRNG. */
import { randomBytes, randomInt } from 'node:crypto';

/**
 * Random bytes from a CSPRNG pool refilled 4 KiB at a time: one getrandom call per ~100 rooms
 * instead of four per room (the technique Node uses for randomUUID). Every byte is handed out once.
 */
let pool = Buffer.alloc(0);
let offset = 0;
function poolBytes(n: number): Buffer {
  if (offset + n > pool.length) {
    pool = randomBytes(Math.max(4096, n));
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + n);
  offset += n;
  return bytes;
}

/** 128 random bits, URL-safe: unguessable, so the link alone does not enumerate rooms. */
export function newSlug(): string {
  return poolBytes(16).toString('base64url');
}

/**
 * A 10-digit conference id for SIP and dial-in, uniformly random (never sequential) with a
 * non-zero first digit so that keypads and SIP dial plans never drop a leading zero.
 * Uniqueness is enforced by the database; the caller retries on a collision.
 */
export function newConferenceId(): string {
  return String(randomInt(1, 10)) + randomDigits(9);
}

export function newPin(length: number, avoid?: string): string {
  if (!Number.isInteger(length) || length < 4 || length > 10)
    throw new RangeError('PIN length must be 4 to 10');
  for (;;) {
    const pin = randomDigits(length);
    if (pin !== avoid && !isTrivial(pin)) return pin;
  }
}

/** Uniform digits from one CSPRNG read: bytes of 250 or more are dropped so that each digit is unbiased. */
function randomDigits(n: number): string {
  let out = '';
  while (out.length < n) {
    for (const byte of poolBytes(n * 2)) {
      if (byte < 250) out += String(byte % 10);
      if (out.length === n) break;
    }
  }
  return out;
}

/** All one digit, or a run up or down (1234, 9876): the first PINs anyone tries. */
function isTrivial(pin: string): boolean {
  const digits = [...pin].map(Number);
  const step = (digits[1] as number) - (digits[0] as number);
  return Math.abs(step) <= 1 && digits.every((d, i) => i === 0 || d - (digits[i - 1] as number) === step);
}
