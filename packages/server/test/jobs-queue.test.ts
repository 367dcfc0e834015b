/** The durable job queue: retries with backoff, dead letters with a reason, coalescing, draining stop. */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { PgBossJobQueue } from '../src/jobs/pg-boss-queue.js';
import { type JobPayload, type JobQueue, PermanentJobError } from '../src/jobs/queue.js';
import { SqlJobQueue } from '../src/jobs/sql-queue.js';
import { openStore } from '../src/store/kysely-store.js';
import { KyselyJobStore } from '../src/store/repositories/jobs-sql.js';
import { createTestDatabase, DIALECTS, dialectAvailability, type TestDatabase } from './support/databases.js';
import { deferred } from './support/deferred.js';
import { eventually } from './sync-harness.js';

/** Lets pending callbacks run (promise reactions, I/O callbacks, immediates): no clock involved. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

const KINDS = { work: { maxAttempts: 3 }, tick: { coalesce: true, maxAttempts: 3 } };

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`job queue (${label}: ${dialect === 'sqlite' ? 'SqlJobQueue' : 'pg-boss'})`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c();
    });

    /** `nextRun`: when the earliest waiting job of a kind is due. */
    async function queue(): Promise<{
      q: JobQueue;
      outcomes: string[];
      nextRun: (kind: string) => Promise<Date | undefined>;
    }> {
      const database: TestDatabase = await createTestDatabase(dialect);
      const outcomes: string[] = [];
      const observer = {
        onOutcome: (kind: string, outcome: string, reason?: string) =>
          outcomes.push(`${kind}:${outcome}:${reason ?? ''}`),
      };
      if (dialect === 'sqlite') {
        const store = await openStore(database.url);
        const q = new SqlJobQueue({
          store: new KyselyJobStore(store.db),
          kinds: KINDS,
          pollMs: 20,
          retry: { baseMs: 20, capMs: 40 },
          observer,
        });
        cleanups.push(async () => {
          await q.stop();
          await store.close();
          await database.drop();
        });
        const jobs = new KyselyJobStore(store.db);
        return { q, outcomes, nextRun: (kind) => jobs.nextRunAt([kind]) };
      }
      const schema = `boss_${randomBytes(4).toString('hex')}`;
      const q = new PgBossJobQueue({
        connectionString: database.url,
        schema,
        kinds: KINDS,
        observer,
        retryDelaySeconds: 1,
      });
      cleanups.push(async () => {
        await q.stop();
        const client = new pg.Client({ connectionString: database.url });
        await client.connect();
        await client.query(`drop schema if exists ${schema} cascade`);
        await client.end();
        await database.drop();
      });
      const nextRun = async (kind: string): Promise<Date | undefined> => {
        const client = new pg.Client({ connectionString: database.url });
        await client.connect();
        try {
          const { rows } = await client.query<{ at: Date | null }>(
            `select min(start_after) as at from ${schema}.job where name = $1 and state in ('created', 'retry')`,
            [kind],
          );
          return rows[0]?.at ?? undefined;
        } finally {
          await client.end();
        }
      };
      return { q, outcomes, nextRun };
    }

    it('runs jobs at least once, retries failures and dead-letters them with a reason', async () => {
      const { q, outcomes } = await queue();
      const runs = new Map<string, number>();
      await q.start({
        work: async (payload: JobPayload) => {
          const n = (runs.get(String(payload.name)) ?? 0) + 1;
          runs.set(String(payload.name), n);
          if (payload.name === 'flaky' && n < 2) throw Object.assign(new Error('boom'), { code: 'E_FLAKY' });
          if (payload.name === 'broken') throw new PermanentJobError('cannot_work');
        },
      });
      await q.enqueue([
        { kind: 'work', payload: { name: 'ok' } },
        { kind: 'work', payload: { name: 'flaky' } },
        { kind: 'work', payload: { name: 'broken' } },
      ]);
      await eventually(
        () => outcomes.filter((o) => o.includes('completed')).length === 2,
        15_000,
        'two completions',
      );
      await eventually(
        async () => (await q.counts()).some((c) => c.state === 'dead' && c.count === 1),
        15_000,
        'a dead letter',
      );
      expect(runs.get('flaky')).toBe(2);
      expect(runs.get('broken')).toBe(1);
      expect(outcomes).toContain('work:retried:Error:E_FLAKY');
      expect(outcomes).toContain('work:dead:cannot_work');
    });

    it("retries a failure no sooner than the error's retryAfterMs (Graph's Retry-After)", async () => {
      const { q, outcomes, nextRun } = await queue();
      let runs = 0;
      await q.start({
        work: async () => {
          runs++;
          throw Object.assign(new Error('throttled'), {
            name: 'GraphError',
            status: 429,
            retryAfterMs: 3_600_000,
          });
        },
      });
      const before = Date.now();
      await q.enqueue([{ kind: 'work', payload: { name: 'throttled' } }]);
      await eventually(() => outcomes.length === 1, 15_000, 'the first run to fail');
      expect(outcomes).toEqual(['work:retried:GraphError:429']);
      // Without the hint the retry would be due within seconds (backoff); with it, in an hour.
      const due = await nextRun('work');
      expect(due?.getTime()).toBeGreaterThanOrEqual(before + 3_600_000 - 5_000);
      expect(runs).toBe(1);
      expect((await q.counts()).filter((c) => c.kind === 'work' && c.state === 'ready')).toEqual([
        { kind: 'work', state: 'ready', count: 1 },
      ]);
    });

    it('coalesces waiting jobs with the same key', async () => {
      const { q } = await queue();
      await q.enqueue([
        { kind: 'tick', payload: { n: 1 }, dedupeKey: 'user-1' },
        { kind: 'tick', payload: { n: 2 }, dedupeKey: 'user-1' },
      ]);
      await q.enqueue([
        { kind: 'tick', payload: { n: 3 }, dedupeKey: 'user-1' },
        { kind: 'tick', payload: { n: 4 }, dedupeKey: 'user-2' },
      ]);
      const ready = (await q.counts()).filter((c) => c.kind === 'tick' && c.state === 'ready');
      expect(ready.reduce((n, c) => n + c.count, 0)).toBe(2);
    });

    it.skipIf(dialect !== 'sqlite')(
      'does not spin when every slot is busy and more jobs are due',
      async () => {
        const { q } = await queue();
        let release: () => void = () => undefined;
        const blocked = new Promise<void>((resolve) => {
          release = resolve;
        });
        let started = 0;
        await q.start({
          work: async () => {
            started++;
            await blocked;
          },
        });
        // More due jobs than slots (SqlJobQueue runs 8 at once): a queue that polls with a zero
        // wait loops on promise callbacks only, and this macrotask would never run.
        await q.enqueue(
          Array.from({ length: 12 }, (_, n) => ({ kind: 'work', payload: { name: `job ${n}` } })),
        );
        await eventually(() => started >= 8, 10_000, 'every slot to be busy');
        for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
        release();
        await eventually(() => started === 12, 10_000, 'the remaining jobs to run');
      },
    );

    it('halt() takes no new job while the one in flight finishes; stop() then waits for it', async () => {
      const { q, outcomes } = await queue();
      const ran: string[] = [];
      const entered = deferred();
      const finish = deferred();
      const finished = deferred();
      // Should the test fail first, the job ends (before the queue stops: cleanups run last first).
      cleanups.push(async () => finish.resolve());
      await q.start({
        work: async (payload: JobPayload) => {
          ran.push(String(payload.name));
          entered.resolve();
          await finish.promise;
          finished.resolve();
        },
      });
      await q.enqueue([{ kind: 'work', payload: { name: 'first' } }]);
      await entered.promise;

      (q as SqlJobQueue | PgBossJobQueue).halt();
      // Written durably (a webhook during the drain), for the next start to take.
      await q.enqueue([{ kind: 'work', payload: { name: 'second' } }]);
      finish.resolve();
      await finished.promise;
      // The finished job frees a slot (SqlJobQueue looks at the table again at once): nothing is taken.
      await settle();
      expect(ran).toEqual(['first']);
      await q.stop();
      expect(ran).toEqual(['first']);
      // Completed, not failed by the stop.
      expect(outcomes).toEqual(['work:completed:']);
    });

    it('stop() waits for jobs in flight', async () => {
      const { q } = await queue();
      let finished = false;
      let started = false;
      await q.start({
        work: async () => {
          started = true;
          await new Promise((resolve) => setTimeout(resolve, 300));
          finished = true;
        },
      });
      await q.enqueue([{ kind: 'work', payload: { name: 'slow' } }]);
      await eventually(() => started, 10_000, 'the job to start');
      await q.stop();
      expect(finished).toBe(true);
    });
  });
}

describe('KyselyJobStore (SQLite)', () => {
  it('SqlJobQueue tries a completion that SQLite refused (a trigger) again, and the job runs once', async () => {
    const database = await createTestDatabase('sqlite');
    const store = await openStore(database.url);
    const errors: unknown[] = [];
    const outcomes: string[] = [];
    const refused = deferred<void>();
    // Ten minutes between tries: stop() must cut that wait short for the test to end.
    const q = new SqlJobQueue({
      store: new KyselyJobStore(store.db),
      kinds: KINDS,
      pollMs: 20,
      outcomeRetryDelaysMs: [600_000],
      observer: {
        onError: (error) => {
          errors.push(error);
          refused.resolve();
        },
        onOutcome: (kind, outcome) => outcomes.push(`${kind}:${outcome}`),
      },
    });
    let runs = 0;
    let left: unknown;
    try {
      await sql`CREATE TRIGGER refuse_done BEFORE DELETE ON jobs BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`.execute(
        store.db,
      );
      await q.start({
        work: async () => {
          runs++;
        },
      });
      await q.enqueue([{ kind: 'work', payload: {} }]);
      await refused.promise;
      await sql`DROP TRIGGER refuse_done`.execute(store.db);
      await q.stop();
      left = (await sql<{ n: number }>`SELECT count(*) AS n FROM jobs`.execute(store.db)).rows[0]?.n;
    } finally {
      await q.stop();
      await store.close();
      await database.drop();
    }
    expect(String(errors[0])).toContain('refused by the test');
    expect(errors).toHaveLength(1);
    expect(runs).toBe(1);
    expect(outcomes).toEqual(['work:completed']);
    expect(left).toBe(0);
  });

  it('makes a job due at once, or after its delay', async () => {
    const database = await createTestDatabase('sqlite');
    const store = await openStore(database.url);
    try {
      const jobs = new KyselyJobStore(store.db);
      const now = new Date('2026-11-29T12:00:00.000Z');
      await jobs.insert(
        [
          { kind: 'work', payload: { name: 'now' }, maxAttempts: 3 },
          { kind: 'work', payload: { name: 'later' }, maxAttempts: 3, delayMs: 60_000 },
        ],
        now,
      );
      expect(await jobs.nextRunAt(['work'])).toEqual(now);
      const due = await jobs.claim(['work'], 10, 'test', now);
      expect(due.map((j) => j.payload)).toEqual([{ name: 'now' }]);
      expect(await jobs.nextRunAt(['work'])).toEqual(new Date('2026-11-29T12:01:00.000Z'));
      expect(await jobs.claim(['work'], 10, 'test', new Date('2026-11-29T12:00:59.999Z'))).toEqual([]);
      const later = await jobs.claim(['work'], 10, 'test', new Date('2026-11-29T12:01:00.000Z'));
      expect(later.map((j) => j.payload)).toEqual([{ name: 'later' }]);
    } finally {
      await store.close();
      await database.drop();
    }
  });
});
