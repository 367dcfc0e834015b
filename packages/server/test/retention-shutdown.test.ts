/**
 * Shutdown and the retention worker: at the start of shutdown the worker schedules nothing more,
 * a run under way stops between two batches, and the database closes only once that run has ended
 * (operations.md). The runs here are held on promises the tests settle; no timing is involved.
 */
import http from 'node:http';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { createRetention, type RetentionWorker } from '../src/retention/index.js';
import type { RetentionTimers } from '../src/retention/worker.js';
import { type RunningServer, serve } from '../src/server.js';
import { SILENT } from './support/admin.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { type Deferred, deferred } from './support/deferred.js';
import { serverTestEnv, startTestApp, type TestApp } from './support/harness.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Lets pending callbacks run (promise reactions, I/O callbacks, immediates): no clock involved. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A retention sweep whose first batch waits for `release`, then queries the database. */
function heldSweep() {
  const entered = deferred();
  const release = deferred();
  const batches: string[] = [];
  return {
    entered,
    release,
    batches,
    sweep: (query: () => Promise<unknown>) => ({
      name: 'held',
      run: async (_asOf: Date, limit: number) => {
        batches.push('started');
        entered.resolve();
        await release.promise;
        await query();
        batches.push('done');
        // A full batch: the run would go on with another one unless it was asked to stop.
        return { rows: limit, ms: 1 };
      },
    }),
  };
}

const serverEnv = (database: TestDatabase) => serverTestEnv(database);

describe('the retention worker at shutdown', () => {
  let t: TestApp;
  afterEach(async () => t?.close());

  it('stop() waits for the run under way, which stops after its current batch', async () => {
    t = await startTestApp('sqlite');
    const held = heldSweep();
    // As in production: nobody listens to the runs (no onRun).
    const retention = createRetention(t.runtime, {
      logger: SILENT,
      extraSweeps: [held.sweep(() => sql`select 1`.execute(t.runtime.store.db))],
      worker: { firstRunDelayMs: 0 },
    });
    retention.worker.start();
    await held.entered.promise;

    let stopped = false;
    const stopping = retention.worker.stop().then(() => {
      stopped = true;
    });
    await settle();
    expect(stopped).toBe(false);
    held.release.resolve();
    await stopping;
    // The batch under way finished; no other started.
    expect(held.batches).toEqual(['started', 'done']);
  });
});

describe('serve() shutdown with retention', () => {
  /** serve() with a retention worker on `timers`, and a route that answers when `hold` settles. */
  async function start(options: {
    timers?: RetentionTimers;
    hold?: { arrived: Deferred; answer: Deferred };
    held?: ReturnType<typeof heldSweep>;
  }): Promise<{ running: RunningServer; worker: RetentionWorker; env: Record<string, string> }> {
    const database = await createTestDatabase('sqlite');
    cleanups.push(() => database.drop());
    const env = await serverEnv(database);
    let worker: RetentionWorker | undefined;
    const running = await serve(loadConfig(env), {
      exitOnSignal: false,
      features: async (runtime) => {
        const retention = createRetention(runtime, {
          logger: SILENT,
          ...(options.held
            ? { extraSweeps: [options.held.sweep(() => sql`select 1`.execute(runtime.store.db))] }
            : {}),
          worker: { firstRunDelayMs: 0, ...(options.timers ? { timers: options.timers } : {}) },
        });
        worker = retention.worker;
        return {
          plugins: [
            async (app) => {
              app.get('/held', async () => {
                options.hold?.arrived.resolve();
                await options.hold?.answer.promise;
                return { ok: true };
              });
            },
          ],
          workers: [retention.worker],
        };
      },
    });
    return { running, worker: worker as RetentionWorker, env };
  }

  it('closes the database only after the retention run under way has stopped', async () => {
    const held = heldSweep();
    const { running } = await start({ held });
    await held.entered.promise;

    let done = false;
    const shutdown = running.shutdown('test').then(() => {
      done = true;
    });
    await settle();
    // The run is held in its batch: the database stays open for it.
    expect(done).toBe(false);
    await running.runtime.store.ping();
    held.release.resolve();
    await shutdown;
    // The held batch could still use the database, and the run stopped before another batch.
    expect(held.batches).toEqual(['started', 'done']);
  });

  it('clears the schedule at the start of shutdown, while requests in flight still finish', async () => {
    const scheduled: (() => void)[] = [];
    let cleared = 0;
    const timers: RetentionTimers = {
      set: (callback) => {
        scheduled.push(callback);
        return scheduled.length;
      },
      clear: () => {
        cleared++;
      },
    };
    const hold = { arrived: deferred(), answer: deferred() };
    const { running, env } = await start({ timers, hold });
    // Started: its first run is due (the test decides when timers fire; this one never does).
    expect(scheduled).toHaveLength(1);
    // Connection: close (an agent of its own), so that the drain waits for this request only.
    const request = new Promise<number | undefined>((resolve, reject) => {
      http
        .get(`http://127.0.0.1:${env.PORT}/held`, { agent: false }, (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode));
        })
        .on('error', reject);
    });
    await hold.arrived.promise;
    const shutdown = running.shutdown('test');
    await settle();
    // Cleared at once, not after the request in flight is answered.
    expect(cleared).toBe(1);
    hold.answer.resolve();
    expect(await request).toBe(200);
    await shutdown;
    // Stopping again schedules nothing either.
    expect(scheduled).toHaveLength(1);
  });
});
