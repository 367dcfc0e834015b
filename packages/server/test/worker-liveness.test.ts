/**
 * The server's background workers after their start (operations.md, Probes): a worker that stops
 * working turns /readyz into 503 with its reason, logged once and counted in /metrics, and /readyz is
 * ready again once the worker works; at the start of shutdown calendar sync schedules nothing more.
 * serve() runs in this process, with the product's features where the wiring is under test. Runs
 * and claims are held on promises the tests settle, clocks are the tests' own: nothing waits on time.
 */
import http from 'node:http';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../src/config/config.js';
import { productFeatures } from '../src/features.js';
import { PgBossJobQueue } from '../src/jobs/pg-boss-queue.js';
import { createRetention } from '../src/retention/index.js';
import { type RunningServer, serve } from '../src/server.js';
import { KyselyJobStore } from '../src/store/repositories/jobs-sql.js';
import { KyselySyncUserRepository } from '../src/store/repositories/sync-state.js';
import { SILENT } from './support/admin.js';
import { createTestDatabase, DIALECTS, dialectAvailability } from './support/databases.js';
import { deferred } from './support/deferred.js';
import { serverTestEnv } from './support/harness.js';

// Every pg-boss the server makes, so that a test can stop one behind the queue's back.
const bosses = vi.hoisted(() => [] as { stop(options?: { graceful?: boolean }): Promise<void> }[]);
vi.mock('pg-boss', async (importOriginal) => {
  // pg-boss is CommonJS (`export =`): imported, its class is the module's default.
  const { default: PgBoss } = await importOriginal<{ default: typeof import('pg-boss') }>();
  class RecordedPgBoss extends PgBoss {
    constructor(...args: ConstructorParameters<typeof PgBoss>) {
      super(...args);
      bosses.push(this);
    }
  }
  return { default: RecordedPgBoss };
});

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  vi.restoreAllMocks();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Lets pending callbacks run (promise reactions, I/O callbacks, immediates): no clock involved. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

type Features = NonNullable<Parameters<typeof serve>[1]>['features'];

/** serve() on a fresh database of `dialect`; `log` sees the server's error and info lines. */
async function start(dialect: (typeof DIALECTS)[number], features: NonNullable<Features>) {
  const database = await createTestDatabase(dialect);
  cleanups.push(() => database.drop());
  const env = await serverTestEnv(database);
  const log = { error: [] as [unknown, string][], info: [] as [unknown, string][] };
  const running: RunningServer = await serve(loadConfig(env), {
    exitOnSignal: false,
    features: async (runtime, logger: Logger) => {
      vi.spyOn(logger, 'error').mockImplementation(((obj: unknown, msg: string) => {
        log.error.push([obj, msg]);
      }) as Logger['error']);
      vi.spyOn(logger, 'info').mockImplementation(((obj: unknown, msg: string) => {
        log.info.push([obj, msg]);
      }) as Logger['info']);
      return features(runtime, logger);
    },
  });
  cleanups.push(() => running.shutdown('test finished'));
  const base = `http://127.0.0.1:${env.PORT}`;
  return {
    running,
    env,
    log,
    /** GET /readyz: its status, content type and problem detail. */
    readyz: async () => {
      const response = await fetch(`${base}/readyz`);
      const body = (await response.json()) as { detail?: string };
      return { status: response.status, type: response.headers.get('content-type'), detail: body.detail };
    },
    failing: async () =>
      /^roomlink_workers_failing (\d+)$/m.exec(await (await fetch(`${base}/metrics`)).text())?.[1],
    /** The problems the server logged as they began, and as they ended. */
    began: () => log.error.filter(([, msg]) => msg.startsWith('a background worker does not work')),
    ended: () => log.info.filter(([, msg]) => msg === 'a background worker works again'),
  };
}

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`background workers after the start (${label})`, () => {
    it('/readyz answers 503 with the reason while a retention run stalls, logged once and counted; 200 once it ends', async () => {
      let at = Date.parse('2026-12-01T09:00:00Z');
      const entered = deferred();
      const release = deferred();
      const ended = deferred();
      const server = await start(dialect, async (runtime) => {
        const retention = createRetention(runtime, {
          logger: SILENT,
          extraSweeps: [
            {
              name: 'held',
              run: async () => {
                entered.resolve();
                await release.promise;
                await sql`select 1`.execute(runtime.store.db);
                return { rows: 0, ms: 1 };
              },
            },
          ],
          worker: {
            firstRunDelayMs: 0,
            now: () => new Date(at),
            monotonicMs: () => at,
            onRun: () => ended.resolve(),
          },
        });
        return { plugins: [], workers: [retention.worker] };
      });
      // Should the test fail first, the run ends (before the server stops: cleanups run last first).
      cleanups.push(async () => release.resolve());
      await entered.promise;
      expect((await server.readyz()).status).toBe(200);

      at += 3 * 3600_000 + 1;
      const reason = 'retention: a run has been under way for over 3 h without ending';
      expect(await server.readyz()).toEqual({
        status: 503,
        type: 'application/problem+json; charset=utf-8',
        detail: reason,
      });
      expect((await server.readyz()).status).toBe(503);
      expect(await server.failing()).toBe('1');
      // Once, however often it is asked.
      expect(server.began()).toEqual([
        [{ reason }, 'a background worker does not work: /readyz answers 503'],
      ]);

      release.resolve();
      await ended.promise;
      expect((await server.readyz()).status).toBe(200);
      expect(await server.failing()).toBe('0');
      expect(server.ended()).toEqual([[{ was: reason }, 'a background worker works again']]);
    });

    it('at the start of shutdown calendar sync clears its maintenance schedule, while a request in flight finishes', async () => {
      // Only intervals are the test's: the maintenance schedule (every 5 minutes) fires when it says.
      vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      const maintenance = vi.spyOn(KyselySyncUserRepository.prototype, 'listActive');
      const arrived = deferred();
      const answer = deferred();
      const server = await start(dialect, async (runtime, logger) => {
        const features = await productFeatures(runtime, logger);
        const held = async (app: Parameters<(typeof features.plugins)[number]>[0]) => {
          app.get('/held', async () => {
            arrived.resolve();
            await answer.promise;
            return { ok: true };
          });
        };
        return { ...features, plugins: [...features.plugins, held] };
      });
      cleanups.push(async () => answer.resolve());
      // The pass at start, then the schedule's.
      expect(maintenance).toHaveBeenCalledTimes(1);
      vi.advanceTimersByTime(300_000);
      expect(maintenance).toHaveBeenCalledTimes(2);
      // PostgreSQL: the pg-boss job queue is halted, its work loops fetch no more (SQLite:
      // sync-liveness.test.ts; what halt() does: jobs-pg-boss-stop.test.ts).
      const halt = vi.spyOn(PgBossJobQueue.prototype, 'halt');

      // Connection: close (an agent of its own), so that the drain waits for this request only.
      const request = new Promise<number | undefined>((resolve, reject) => {
        http
          .get(`http://127.0.0.1:${server.env.PORT}/held`, { agent: false }, (response) => {
            response.resume();
            response.on('end', () => resolve(response.statusCode));
          })
          .on('error', reject);
      });
      await arrived.promise;
      const shutdown = server.running.shutdown('test');
      await settle();
      vi.advanceTimersByTime(300_000);
      // No maintenance pass during the drain.
      expect(maintenance).toHaveBeenCalledTimes(2);
      if (dialect === 'postgres') expect(halt).toHaveBeenCalledTimes(1);
      answer.resolve();
      expect(await request).toBe(200);
      await shutdown;
    });

    it.skipIf(dialect !== 'sqlite')(
      "/readyz answers 503 with calendar sync's reason while its job queue's poll loop is stuck, 200 once it comes round",
      async () => {
        // Date and performance.now() are the test's (moving on as usual until the test moves them);
        // timers stay real.
        vi.useFakeTimers({ toFake: ['Date', 'performance'], shouldAdvanceTime: true });
        const claim = KyselyJobStore.prototype.claim;
        let gate: Promise<void> | undefined;
        let onClaim: (() => void) | undefined;
        vi.spyOn(KyselyJobStore.prototype, 'claim').mockImplementation(async function (
          this: KyselyJobStore,
          ...args: Parameters<KyselyJobStore['claim']>
        ) {
          onClaim?.();
          await gate;
          return claim.apply(this, args);
        });
        const server = await start(dialect, productFeatures);
        const release = deferred();
        cleanups.push(async () => release.resolve());
        expect((await server.readyz()).status).toBe(200);

        // The next claim does not answer (a database that does not).
        gate = release.promise;
        await new Promise<void>((resolve) => {
          onClaim = resolve;
        });
        expect((await server.readyz()).status).toBe(200);
        // A step of the wall clock alone is no stall: only time that passed counts.
        vi.setSystemTime(Date.now() + 3_600_000);
        expect((await server.readyz()).status).toBe(200);
        vi.advanceTimersByTime(31_000);
        const reason = "calendar sync: the job queue's poll loop has not come round for over 30 s";
        expect(await server.readyz()).toMatchObject({ status: 503, detail: reason });
        expect(await server.failing()).toBe('1');
        expect(server.began()).toEqual([
          [{ reason }, 'a background worker does not work: /readyz answers 503'],
        ]);

        const cameRound = new Promise<void>((resolve) => {
          onClaim = resolve;
        });
        gate = undefined;
        release.resolve();
        await cameRound;
        expect((await server.readyz()).status).toBe(200);
        expect(server.ended()).toEqual([[{ was: reason }, 'a background worker works again']]);
      },
    );

    it.skipIf(dialect !== 'postgres')(
      "/readyz answers 503 with calendar sync's reason once pg-boss stopped without being asked to",
      async () => {
        const before = bosses.length;
        const server = await start(dialect, productFeatures);
        expect((await server.readyz()).status).toBe(200);
        const boss = bosses.slice(before).at(-1);
        expect(boss).toBeDefined();

        await boss?.stop({ graceful: false });
        const reason = 'calendar sync: pg-boss stopped, so the job queue takes no more jobs';
        expect(await server.readyz()).toMatchObject({ status: 503, detail: reason });
        expect(await server.failing()).toBe('1');
        expect(server.began()).toEqual([
          [{ reason }, 'a background worker does not work: /readyz answers 503'],
        ]);
      },
    );
  });
}
