/**
 * SqlJobQueue's liveness (health) and halt(), on an in-memory job table: a clock the test moves, and
 * claims the test holds or lets through. No waiting on time: each step awaits what the loop does.
 */
import { describe, expect, it } from 'vitest';
import type { JobCount } from './queue.js';
import { type ClaimedJob, type JobStore, type NewJob, SqlJobQueue } from './sql-queue.js';

/** Resolves when the loop next calls claim(); `hold` keeps that claim unanswered until released. */
class MemoryJobStore implements JobStore {
  readonly jobs: (ClaimedJob & { state: 'ready' | 'running' | 'done' })[] = [];
  #claimed: (() => void)[] = [];
  #held: Promise<void> | undefined;

  nextClaim(): Promise<void> {
    return new Promise((resolve) => this.#claimed.push(resolve));
  }

  /** The next claims wait until the returned function is called. */
  hold(): () => void {
    let release!: () => void;
    this.#held = new Promise((resolve) => {
      release = () => {
        this.#held = undefined;
        resolve();
      };
    });
    return release;
  }

  async insert(jobs: readonly NewJob[]): Promise<void> {
    for (const job of jobs) {
      this.jobs.push({
        id: String(this.jobs.length + 1),
        kind: job.kind,
        payload: job.payload,
        dedupeKey: job.dedupeKey ?? null,
        attempts: 0,
        maxAttempts: job.maxAttempts,
        state: 'ready',
      });
    }
  }

  async claim(kinds: readonly string[], limit: number): Promise<ClaimedJob[]> {
    for (const resolve of this.#claimed.splice(0)) resolve();
    await this.#held;
    const due = this.jobs.filter((j) => j.state === 'ready' && kinds.includes(j.kind)).slice(0, limit);
    for (const job of due) {
      job.state = 'running';
      Object.assign(job, { attempts: job.attempts + 1 });
    }
    return due.map((j) => ({ ...j }));
  }

  async complete(id: string): Promise<void> {
    const job = this.jobs.find((j) => j.id === id);
    if (job) job.state = 'done';
  }

  async retry(job: ClaimedJob): Promise<void> {
    const row = this.jobs.find((j) => j.id === job.id);
    if (row) row.state = 'ready';
  }

  async bury(id: string): Promise<void> {
    await this.complete(id);
  }

  async requeueRunning(): Promise<number> {
    return 0;
  }

  async nextRunAt(): Promise<Date | undefined> {
    return undefined;
  }

  async counts(): Promise<JobCount[]> {
    return [];
  }
}

/** Lets pending callbacks run (promise reactions, I/O callbacks, immediates): no clock involved. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

function clock(start = Date.parse('2026-12-01T09:00:00Z')) {
  let at = start;
  return { now: () => new Date(at), advance: (ms: number) => (at += ms) };
}

describe('SqlJobQueue health()', () => {
  it('reports a poll loop that has not come round for over 30 s, and nothing once it comes round again', async () => {
    const store = new MemoryJobStore();
    const time = clock();
    const q = new SqlJobQueue({ store, kinds: { work: {} }, pollMs: 10, now: time.now });
    const release = store.hold();
    const claimed = store.nextClaim();
    await q.start({ work: async () => undefined });
    try {
      // The loop is in a claim that does not answer (a database that does not).
      await claimed;
      expect(q.health()).toBeUndefined();
      time.advance(30_000);
      expect(q.health()).toBeUndefined();
      time.advance(1);
      expect(q.health()).toBe("the job queue's poll loop has not come round for over 30 s");

      const again = store.nextClaim();
      release();
      await again;
      expect(q.health()).toBeUndefined();
    } finally {
      release();
      await q.stop();
    }
  });

  it('reports a poll loop that failed, counted as a queue error, instead of an unhandled rejection', async () => {
    const store = new MemoryJobStore();
    const errors: unknown[] = [];
    const q = new SqlJobQueue({
      store: Object.assign(store, {
        claim: async () =>
          Promise.reject(Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' })),
      }),
      kinds: { work: {} },
      observer: {
        // A bug where the loop reports a claim's failure: the loop itself fails.
        onError: (error) => {
          errors.push(error);
          if (errors.length === 1) throw new TypeError('observer bug');
        },
      },
    });
    await q.start({ work: async () => undefined });
    await settle();
    expect(q.health()).toBe("the job queue's poll loop failed (TypeError) and takes no more jobs");
    expect(errors.map((e) => (e as Error).name)).toEqual(['Error', 'TypeError']);
    await q.stop();
  });

  it('reports a queue that is not taking jobs: not started, or halted', async () => {
    const q = new SqlJobQueue({ store: new MemoryJobStore(), kinds: { work: {} }, pollMs: 10 });
    expect(q.health()).toBe('the job queue takes no jobs (not started, or halted)');
    await q.start({ work: async () => undefined });
    expect(q.health()).toBeUndefined();
    q.halt();
    expect(q.health()).toBe('the job queue takes no jobs (not started, or halted)');
    await q.stop();
  });
});

describe('SqlJobQueue halt()', () => {
  it('takes no new job while the one in flight finishes; stop() then waits for it', async () => {
    const store = new MemoryJobStore();
    const q = new SqlJobQueue({ store, kinds: { work: {} }, pollMs: 10 });
    const ran: string[] = [];
    let entered!: () => void;
    const inFlight = new Promise<void>((resolve) => {
      entered = resolve;
    });
    let finish!: () => void;
    const finishing = new Promise<void>((resolve) => {
      finish = resolve;
    });
    await q.start({
      work: async (payload) => {
        ran.push(String(payload.name));
        entered();
        await finishing;
      },
    });
    try {
      await q.enqueue([{ kind: 'work', payload: { name: 'first' } }]);
      await inFlight;

      q.halt();
      await q.enqueue([{ kind: 'work', payload: { name: 'second' } }]);
      await settle();
      let stopped = false;
      const stopping = q.stop().then(() => {
        stopped = true;
      });
      await settle();
      // The job in flight holds stop(); the new one was not taken.
      expect(stopped).toBe(false);
      expect(ran).toEqual(['first']);
      finish();
      await stopping;
      expect(ran).toEqual(['first']);
    } finally {
      finish();
      await q.stop();
    }
    expect(store.jobs.map((j) => [j.payload.name, j.state])).toEqual([
      ['first', 'done'],
      ['second', 'ready'],
    ]);
  });
});
