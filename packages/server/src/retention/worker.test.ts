/**
 * The retention worker's liveness (health): a run the test holds, the schedule's timers fired by the
 * test, and a clock it moves. Nothing here waits on time.
 */
import { describe, expect, it } from 'vitest';
import type { RetentionJob, RetentionReport } from './job.js';
import { RETENTION_INTERVAL_MS, type RetentionTimers, RetentionWorker } from './worker.js';

/** Lets pending callbacks run (promise reactions, I/O callbacks, immediates): no clock involved. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

function manualTimers(): RetentionTimers & { due: (() => void)[] } {
  const due: (() => void)[] = [];
  return {
    due,
    set: (callback) => {
      due.push(callback);
      return due.length;
    },
    clear: () => undefined,
  };
}

describe('RetentionWorker health()', () => {
  it('reports a run under way for over three intervals, and nothing once it has ended', async () => {
    let at = Date.parse('2026-12-01T09:00:00Z');
    let finish!: () => void;
    let runs = 0;
    const job: Pick<RetentionJob, 'run'> = {
      run: () => {
        runs++;
        return new Promise<RetentionReport>((resolve) => {
          finish = () => resolve({ completed: true } as RetentionReport);
        });
      },
    };
    const timers = manualTimers();
    let wall = Date.parse('2026-12-02T09:00:00Z');
    const worker = new RetentionWorker(job, {
      now: () => new Date(wall),
      monotonicMs: () => at,
      timers,
      firstRunDelayMs: 0,
    });
    worker.start();
    expect(worker.health()).toBeUndefined();
    timers.due[0]?.();
    expect(runs).toBe(1);
    // The wall clock stepped a day on (NTP, a resumed VM): no time passed for the run.
    wall += 24 * 3600_000;
    expect(worker.health()).toBeUndefined();
    // Runs take seconds or minutes; one still under way after three hours has stalled.
    at += 3 * RETENTION_INTERVAL_MS;
    expect(worker.health()).toBeUndefined();
    at += 1;
    expect(worker.health()).toBe('retention: a run has been under way for over 3 h without ending');

    finish();
    await settle();
    // Ended: the next run is scheduled, and nothing is reported.
    expect(timers.due).toHaveLength(2);
    expect(worker.health()).toBeUndefined();
    await worker.stop();
  });

  it('reports a schedule that is not running', async () => {
    const job: Pick<RetentionJob, 'run'> = { run: async () => ({ completed: true }) as RetentionReport };
    const worker = new RetentionWorker(job, { timers: manualTimers() });
    expect(worker.health()).toBe('retention: its schedule is not running');
    worker.start();
    expect(worker.health()).toBeUndefined();
    worker.halt();
    expect(worker.health()).toBe('retention: its schedule is not running');
  });
});
