/**
 * SqlJobQueue's liveness (health), halt() and outcome retries, on an in-memory job table: a clock the
 * test moves, claims the test holds or lets through, completions it refuses. No waiting on time: each
 * step awaits what the loop does.
 */
import { describe, expect, it } from 'vitest';
import type { JobCount } from './queue.js';
import { type ClaimedJob, type JobStore, type NewJob, SqlJobQueue } from './sql-queue.js';

/** Resolves when the loop next calls claim(); `hold` keeps that claim unanswered until released. */
class MemoryJobStore implements JobStore {
  readonly jobs: (ClaimedJob & { state: 'ready' | 'running' | 'done' | 'dead' })[] = [];
  /** How many of the next complete() calls the "database" refuses (Infinity: all). */
  refuseCompletes = 0;
  completeCalls = 0;
  insertCalls = 0;
  claimCalls = 0;
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
    this.insertCalls++;
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
    this.claimCalls++;
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
    this.completeCalls++;
    if (this.refuseCompletes > 0) {
      this.refuseCompletes--;
      throw new Error('SQLITE_FULL: database or disk is full');
    }
    const job = this.jobs.find((j) => j.id === id);
    if (job) job.state = 'done';
  }

  async retry(job: ClaimedJob): Promise<void> {
    const row = this.jobs.find((j) => j.id === job.id);
    if (row) row.state = 'ready';
  }

  async bury(id: string): Promise<void> {
    const job = this.jobs.find((j) => j.id === id);
    if (job) job.state = 'dead';
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

/** A wall clock and a monotonic one, both moved by the test; advance() moves both. */
function clock(start = Date.parse('2026-12-01T09:00:00Z')) {
  let wall = start;
  let elapsed = 0;
  return {
    now: () => new Date(wall),
    monotonicMs: () => elapsed,
    advance: (ms: number) => {
      wall += ms;
      elapsed += ms;
    },
    step: (ms: number) => {
      wall += ms;
    },
  };
}

describe('SqlJobQueue health()', () => {
  it('reports a poll loop that has not come round for over 30 s (a step of the wall clock is none), and nothing once it comes round again', async () => {
    const store = new MemoryJobStore();
    const time = clock();
    const q = new SqlJobQueue({
      store,
      kinds: { work: {} },
      pollMs: 10,
      now: time.now,
      monotonicMs: time.monotonicMs,
    });
    const release = store.hold();
    const claimed = store.nextClaim();
    await q.start({ work: async () => undefined });
    try {
      // The loop is in a claim that does not answer (a database that does not).
      await claimed;
      expect(q.health()).toBeUndefined();
      // NTP or a resumed VM moves the wall clock an hour on: no time passed, no stall.
      time.step(3_600_000);
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

/** Records what the queue reports; untilOutcomes(n) and untilErrors(n) resolve once there are n. */
function watch() {
  const outcomes: string[] = [];
  const errors: unknown[] = [];
  const waiters: { done: () => boolean; resolve: () => void }[] = [];
  const check = () => {
    for (const w of waiters.splice(0)) {
      if (w.done()) w.resolve();
      else waiters.push(w);
    }
  };
  const until = (done: () => boolean) =>
    new Promise<void>((resolve) => {
      waiters.push({ done, resolve });
      check();
    });
  return {
    outcomes,
    errors,
    observer: {
      onOutcome: (kind: string, outcome: string) => {
        outcomes.push(`${kind} ${outcome}`);
        check();
      },
      onError: (error: unknown) => {
        errors.push(error);
        check();
      },
    },
    untilOutcomes: (n: number) => until(() => outcomes.length >= n),
    untilErrors: (n: number) => until(() => errors.length >= n),
  };
}

function watchedQueue(
  store: JobStore,
  seen: ReturnType<typeof watch>,
  outcomeRetryDelaysMs: readonly number[],
  kinds: Record<string, { maxAttempts?: number }> = { work: {} },
): SqlJobQueue {
  return new SqlJobQueue({ store, kinds, pollMs: 10, outcomeRetryDelaysMs, observer: seen.observer });
}

describe('SqlJobQueue outcomes the database refuses', () => {
  it('tries a refused completion again: a done job is not run again, nor buried on its last attempt', async () => {
    const store = new MemoryJobStore();
    store.refuseCompletes = 2;
    const seen = watch();
    const q = watchedQueue(store, seen, [0, 0], { work: { maxAttempts: 1 } });
    let runs = 0;
    await q.start({
      work: async () => {
        runs++;
      },
    });
    try {
      await q.enqueue([{ kind: 'work', payload: {} }]);
      await seen.untilOutcomes(1);
    } finally {
      await q.stop();
    }
    expect(seen.outcomes).toEqual(['work completed']);
    expect(runs).toBe(1);
    expect(store.completeCalls).toBe(3);
    expect(seen.errors.map((e) => String(e))).toEqual([
      'Error: SQLITE_FULL: database or disk is full',
      'Error: SQLITE_FULL: database or disk is full',
    ]);
    expect(store.jobs.map((j) => j.state)).toEqual(['done']);
  });

  it('refused at every try: reports it and leaves the job running for the next start, not failed', async () => {
    const store = new MemoryJobStore();
    store.refuseCompletes = Infinity;
    const seen = watch();
    const q = watchedQueue(store, seen, [0, 0], { work: {} });
    await q.start({ work: async () => undefined });
    try {
      await q.enqueue([{ kind: 'work', payload: {} }]);
      await seen.untilErrors(3);
      await settle();
    } finally {
      await q.stop();
    }
    expect(store.completeCalls).toBe(3);
    expect(seen.outcomes).toEqual([]);
    expect(store.jobs.map((j) => [j.state, j.attempts])).toEqual([['running', 1]]);
  });

  it('stop() cuts a retry’s wait short: one more try at once', async () => {
    const store = new MemoryJobStore();
    store.refuseCompletes = 1;
    const seen = watch();
    // Ten minutes: a stop() that waited for it would time the test out.
    const q = watchedQueue(store, seen, [600_000], { work: {} });
    await q.start({ work: async () => undefined });
    try {
      await q.enqueue([{ kind: 'work', payload: {} }]);
      await seen.untilErrors(1);
    } finally {
      await q.stop();
    }
    expect(seen.outcomes).toEqual(['work completed']);
    expect(store.jobs.map((j) => j.state)).toEqual(['done']);
  });
});

describe('SqlJobQueue.enqueue', () => {
  it('writes nothing and wakes no claim for an empty list (a webhook delivery that queues nothing)', async () => {
    const store = new MemoryJobStore();
    // Idle for an hour between looks: only an enqueue wakes the loop here.
    const q = new SqlJobQueue({ store, kinds: { work: {} }, pollMs: 3_600_000 });
    const first = store.nextClaim();
    await q.start({ work: async () => undefined });
    try {
      await first;
      await settle();
      const claims = store.claimCalls;
      for (let i = 0; i < 50; i++) await q.enqueue([]);
      await settle();
      expect(store.insertCalls).toBe(0);
      expect(store.claimCalls).toBe(claims);
      // A real job does wake it: the count above could have moved.
      const woken = store.nextClaim();
      await q.enqueue([{ kind: 'work', payload: {} }]);
      await woken;
      expect(store.insertCalls).toBe(1);
      expect(store.claimCalls).toBeGreaterThan(claims);
    } finally {
      await q.stop();
    }
  });
});
