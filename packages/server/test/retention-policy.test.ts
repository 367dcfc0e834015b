/** Retention's arithmetic and its batch sizing, without a database. */
import { describe, expect, it } from 'vitest';
import { addMonthsClamped, purgeAfterDay } from '../src/domain/meetings/window.js';
import { Batcher } from '../src/retention/batches.js';
import {
  accountPurgeDay,
  isValidRetentionDays,
  MAX_TENANT_RETENTION_DAYS,
  parseDay,
  utcDay,
} from '../src/retention/index.js';

const DAY = 86_400_000;

describe('retention policy', () => {
  it('the longest retention a tenant may choose never outlasts 3 months, and one day more would', async () => {
    let longerSomewhere = false;
    for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2030, 0, 1); t += DAY) {
      const end = new Date(t + 10 * 3600_000);
      const chosen = purgeAfterDay(
        { start: end, end, timeZone: null, recurrence: null },
        MAX_TENANT_RETENTION_DAYS,
      );
      const byDefault = purgeAfterDay({ start: end, end, timeZone: null, recurrence: null }, null);
      expect(chosen <= byDefault, utcDay(end)).toBe(true);
      if (
        purgeAfterDay({ start: end, end, timeZone: null, recurrence: null }, MAX_TENANT_RETENTION_DAYS + 1) >
        byDefault
      )
        longerSomewhere = true;
    }
    expect(longerSomewhere).toBe(true);
    expect([null, 2, 30, 89].every(isValidRetentionDays)).toBe(true);
    // 1 day could delete a meeting while its room is still open (window.ts, MIN_RETENTION_DAYS).
    expect([0, 1, 90, 1.5, -3].some(isValidRetentionDays)).toBe(false);
  });

  it('deletes account data 6 calendar months after the contract end', () => {
    expect(accountPurgeDay('2027-01-10')).toBe('2027-07-10');
    expect(accountPurgeDay('2026-08-31')).toBe('2027-02-28');
    expect(accountPurgeDay('2027-08-31')).toBe('2028-02-29');
    expect(() => accountPurgeDay('2027-02-30')).toThrow(RangeError);
    expect(parseDay('2027-02-30')).toBeUndefined();
    expect(parseDay('2027-2-3')).toBeUndefined();
    expect(parseDay('2028-02-29')?.toISOString()).toBe('2028-02-29T00:00:00.000Z');
    expect(utcDay(addMonthsClamped(new Date('2027-05-31T12:00:00Z'), -3))).toBe('2027-02-28');
  });
});

describe('batch sizing', () => {
  const policy = { targetMs: 20, initialSize: 50, minSize: 10, maxSize: 400 };

  it('grows while transactions are short, shrinks when one is long, stays within bounds', async () => {
    const sizes: number[] = [];
    const msFor = [2, 2, 2, 2, 2, 80, 2, 400, 2];
    const batcher = new Batcher(policy);
    let i = 0;
    const handled = await batcher.drain('step', async (limit) => {
      sizes.push(limit);
      const ms = msFor[i++] ?? 2;
      // The last call handles fewer rows than asked: the step is done.
      return { handled: i === msFor.length ? 1 : limit, ms };
    });
    expect(sizes).toEqual([50, 100, 200, 400, 400, 400, 100, 200, 10]);
    expect(handled).toBe(sizes.slice(0, -1).reduce((a, b) => a + b, 0) + 1);
  });

  it('remembers each step’s size for the next run, and stops when aborted', async () => {
    const batcher = new Batcher(policy);
    await batcher.drain('remembered', async (limit) => ({ handled: limit === 100 ? 0 : limit, ms: 1 }));
    const seen: number[] = [];
    await batcher.drain('remembered', async (limit) => {
      seen.push(limit);
      return { handled: 0, ms: 1 };
    });
    expect(seen).toEqual([100]);

    const controller = new AbortController();
    let calls = 0;
    const run = batcher.drain(
      'aborted',
      async (limit) => {
        calls++;
        controller.abort();
        return { handled: limit, ms: 1 };
      },
      controller.signal,
    );
    await expect(run).rejects.toThrow('retention run stopped');
    expect(calls).toBe(1);
  });
});
