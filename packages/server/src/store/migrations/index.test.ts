import { describe, expect, it } from 'vitest';
import { retryWhileSchemasVanish } from './index.js';

/** PostgreSQL's answer when a schema a catalog scan saw was dropped before it was checked by name. */
const vanished = Object.assign(new Error('schema "t_0f3a" does not exist'), { code: '3F000' });

describe('a migration run meeting a schema dropped by another session', () => {
  it('runs again when the run reports 3F000, and stops after the third attempt', async () => {
    let runs = 0;
    const outcome = await retryWhileSchemasVanish(async () => {
      runs += 1;
      return runs < 3 ? { error: vanished } : { error: undefined, results: ['0001_initial'] };
    });
    expect(outcome).toEqual({ error: undefined, results: ['0001_initial'] });
    expect(runs).toBe(3);

    let forever = 0;
    const lastWord = await retryWhileSchemasVanish(async () => {
      forever += 1;
      return { error: vanished };
    });
    expect(lastWord.error).toBe(vanished);
    expect(forever).toBe(3);
  });

  it('runs again when the run throws 3F000 (getMigrations throws instead of reporting)', async () => {
    let runs = 0;
    const migrations = await retryWhileSchemasVanish(async () => {
      runs += 1;
      if (runs === 1) throw vanished;
      return ['0001_initial'];
    });
    expect(migrations).toEqual(['0001_initial']);
    expect(runs).toBe(2);
  });

  it('runs again when a table of a schema being dropped vanished during the scan (42P01)', async () => {
    // Seen in CI: another suite dropped its job queue's schema while this run listed every table.
    const dropped = Object.assign(new Error('relation "boss_785bc07c.job" does not exist'), {
      code: '42P01',
    });
    let runs = 0;
    const outcome = await retryWhileSchemasVanish(async () => {
      runs += 1;
      return runs === 1 ? { error: dropped } : { error: undefined, results: ['0001_initial'] };
    });
    expect(outcome).toEqual({ error: undefined, results: ['0001_initial'] });
    expect(runs).toBe(2);
  });

  it('never repeats a run that failed for another reason', async () => {
    const denied = Object.assign(new Error('permission denied for schema public'), { code: '42501' });
    let runs = 0;
    const outcome = await retryWhileSchemasVanish(async () => {
      runs += 1;
      return { error: denied };
    });
    expect(outcome.error).toBe(denied);
    expect(runs).toBe(1);
    await expect(
      retryWhileSchemasVanish(async () => {
        runs += 1;
        throw denied;
      }),
    ).rejects.toBe(denied);
    expect(runs).toBe(2);
  });
});
