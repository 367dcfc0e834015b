import { describe, expect, it } from 'vitest';
import { purgeAfterDay, roomWindow } from './window.js';

const policy = { openBeforeMinutes: 15, closeAfterMinutes: 30 };

describe('room window and purge day', () => {
  it('opens before the start and closes after the end plus grace', () => {
    const w = roomWindow(new Date('2026-12-01T09:00:00Z'), new Date('2026-12-01T10:00:00Z'), null, policy);
    expect(w.validFrom.toISOString()).toBe('2026-12-01T08:45:00.000Z');
    expect(w.validUntil.toISOString()).toBe('2026-12-01T10:30:00.000Z');
  });

  it('a series with an end date stays open until its last day', () => {
    const recurrence = { pattern: { type: 'weekly' }, range: { type: 'endDate', endDate: '2027-03-31' } };
    const w = roomWindow(
      new Date('2026-12-01T09:00:00Z'),
      new Date('2026-12-01T10:00:00Z'),
      recurrence,
      policy,
    );
    expect(w.validUntil.toISOString()).toBe('2027-04-01T00:29:59.999Z');
  });

  it('purges 3 calendar months after the end by default, or after the tenant’s shorter period', () => {
    expect(purgeAfterDay(new Date('2026-11-30T10:00:00Z'), null, null)).toBe('2027-02-28');
    expect(purgeAfterDay(new Date('2026-12-01T10:00:00Z'), null, null)).toBe('2027-03-01');
    expect(purgeAfterDay(new Date('2026-12-01T10:00:00Z'), null, 30)).toBe('2026-12-31');
    expect(purgeAfterDay(new Date('2028-11-30T23:00:00Z'), null, null)).toBe('2029-02-28');
    expect(purgeAfterDay(new Date('2027-11-30T23:00:00Z'), null, null)).toBe('2028-02-29');
  });
});
