import { describe, expect, it } from 'vitest';
import { openAt } from './occurrences.js';

const H = 3_600_000;
const margins = { openBeforeMinutes: 10, closeAfterMinutes: 10 };
const at = (ms: number) => new Date(ms);

describe('openAt', () => {
  const series = { status: 'scheduled', validFrom: at(0), validUntil: at(10 * 24 * H) };
  const moved = {
    originalStart: at(2 * 24 * H),
    originalEnd: at(2 * 24 * H + H),
    start: at(2 * 24 * H + 5 * H),
    end: at(2 * 24 * H + 6 * H),
    cancelled: false,
  };

  it('opens a moved occurrence at its new time and closes its old one, leaving others alone', () => {
    expect(openAt(series, [moved], at(2 * 24 * H + 5 * H), margins)).toBe(true);
    expect(openAt(series, [moved], at(2 * 24 * H), margins)).toBe(false);
    expect(openAt(series, [moved], at(2 * 24 * H - 5 * 60_000), margins)).toBe(false);
    expect(openAt(series, [moved], at(3 * 24 * H), margins)).toBe(true);
  });

  it('closes a cancelled occurrence and every time of a cancelled meeting', () => {
    expect(openAt(series, [{ ...moved, cancelled: true }], at(2 * 24 * H + 5 * H), margins)).toBe(true);
    expect(openAt(series, [{ ...moved, cancelled: true }], at(2 * 24 * H), margins)).toBe(false);
    expect(openAt({ ...series, status: 'cancelled' }, [], at(H), margins)).toBe(false);
  });
});
