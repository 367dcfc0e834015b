/**
 * Sync workers as separate processes: a worker killed with SIGKILL mid-sync and restarted loses no
 * change (SQLite), and two workers sharing one PostgreSQL database apply each change once (pg-boss).
 * The parent process hosts the webhooks and the Graph emulator; children only run the worker.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import type { Meeting } from '../src/domain/meetings/meeting.js';
import { JOB_KINDS } from '../src/graph/index.js';
import { PgBossJobQueue } from '../src/jobs/pg-boss-queue.js';
import { withSyncTables } from '../src/store/repositories/sync-tables.js';
import { createTestDatabase, dialectAvailability, type TestDatabase } from './support/databases.js';
import { EMULATOR_PREFIX, eventually, type SyncEnv, type SyncUser, startSyncEnv } from './sync-harness.js';

/**
 * Each test starts worker processes that compile TypeScript as they load (tsx), then waits, step by
 * step, each wait bounded on its own: under the whole suite on two cores that took up to 31 s, past
 * the suite's 30 s default. This bounds the sum, not anyone's speed.
 */
const PROCESS_TEST_TIMEOUT_MS = 120_000;

const WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sync-worker-process.ts');

interface Worker {
  child: ChildProcess;
  applied(): number;
  output(): string;
  exited: Promise<unknown>;
}

function startWorker(env: SyncEnv, extra: Record<string, string> = {}): Promise<Worker> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: env.t.env.DATABASE_URL as string,
      ROOMLINK_MASTER_KEYS: env.t.env.ROOMLINK_MASTER_KEYS as string,
      ROOMLINK_DATA_DIR: env.t.env.ROOMLINK_DATA_DIR as string,
      ROOMLINK_BASE_URL: env.t.url,
      GRAPH_BASE_URL: `${env.t.url}${EMULATOR_PREFIX}`,
      SYNC_TEST_KEY: env.privateKeyPem,
      SYNC_TEST_USERS: JSON.stringify([...env.users.values()]),
      ...extra,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stderr?.on('data', (c: Buffer) => {
    err += c.toString();
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker did not start\n${out}\n${err}`)), 20_000);
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('READY\n')) {
        clearTimeout(timer);
        resolve({
          child,
          exited,
          output: () => out + err,
          applied: () => out.split('\n').filter((l) => l.startsWith('APPLIED')).length,
        });
      }
    });
    void exited.then(() => reject(new Error(`worker exited\n${out}\n${err}`)));
  });
}

async function linkMeetings(env: SyncEnv, user: SyncUser, count: number) {
  const items: { meeting: Meeting; eventId: string }[] = [];
  for (let i = 0; i < count; i++) {
    const meeting = await env.createMeeting(user, { subject: `Meeting ${i}` });
    items.push({ meeting, eventId: env.createEvent(user, meeting) });
  }
  await eventually(
    async () => {
      for (const { eventId } of items)
        if (!(await env.sync.service.isLinked(user.userId, eventId))) return false;
      return true;
    },
    15_000,
    'every event to be linked',
  );
  return items;
}

describe('sync worker killed mid-sync (sqlite)', () => {
  let env: SyncEnv | undefined;
  const workers: Worker[] = [];
  afterEach(async () => {
    for (const w of workers.splice(0)) {
      w.child.kill('SIGKILL');
      await w.exited;
    }
    await env?.close();
  });

  it(
    'loses no change when the worker is SIGKILLed and restarted',
    async () => {
      env = await startSyncEnv('sqlite', { start: false });
      const user = await env.addUser();
      await env.sync.startSyncForUser(user.userId, user.tenantId);
      // The first worker applies one change of the page and stops dead inside the second. Its mailbox
      // lease, left behind by the kill, runs out 3 s after its last renewal.
      const lease = { SYNC_TEST_LEASE_MS: '3000' };
      workers.push(await startWorker(env, { ...lease, SYNC_TEST_HOLD_AFTER: '1' }));
      await eventually(() => env?.emulator.subscriptions()[0], 10_000, 'a subscription');
      const items = await linkMeetings(env, user, 6);

      for (const { eventId } of items)
        env.emulator.updateEvent(user.oid, eventId, { subject: 'After the crash' });
      const first = workers[0] as Worker;
      await eventually(() => first.output().includes('HOLDING\n'), 10_000, 'the worker to be mid-sync').catch(
        async (error) => {
          throw new Error(
            `${String(error)}\n${first.output()}\n${JSON.stringify(await env?.sync.queue.counts())}\n${JSON.stringify(env?.emulator.subscriptions())}`,
          );
        },
      );
      first.child.kill('SIGKILL');
      await first.exited;
      workers.shift();
      expect(first.applied()).toBe(1);

      workers.push(await startWorker(env, lease));
      for (const { meeting } of items) {
        await eventually(
          async () => (await env?.meeting(user, meeting.id))?.subject === 'After the crash',
          10_000,
          'every change after the restart',
        ).catch(async (error) => {
          throw new Error(
            `${String(error)}\nFIRST ${first.output()}\nSECOND ${workers[0]?.output()}\n${JSON.stringify(await env?.sync.queue.counts())}`,
          );
        });
      }
      const counts = await env.sync.queue.counts();
      expect(counts.filter((c) => c.state === 'dead')).toEqual([]);
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});

const pgAvailable = dialectAvailability('postgres');
describe.skipIf(pgAvailable.skip)(`two sync workers on one database (${pgAvailable.label})`, () => {
  let env: SyncEnv | undefined;
  const workers: Worker[] = [];
  const bossSchema = `boss_${Math.random().toString(36).slice(2, 10)}`;
  const databases: TestDatabase[] = [];
  afterEach(async () => {
    for (const w of workers.splice(0)) {
      w.child.kill('SIGTERM');
      await w.exited;
    }
    await env?.close();
    for (const database of databases.splice(0)) {
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      await client.query(`drop schema if exists ${bossSchema} cascade`);
      await client.end();
      await database.drop();
    }
  });

  it(
    'applies each change once',
    async () => {
      const database = await createTestDatabase('postgres');
      databases.push(database);
      let parentQueue: PgBossJobQueue | undefined;
      env = await startSyncEnv('postgres', {
        start: false,
        database,
        queue: (observer) => {
          parentQueue = new PgBossJobQueue({
            connectionString: database.url,
            schema: bossSchema,
            kinds: JOB_KINDS,
            observer,
          });
          return parentQueue;
        },
      });
      if (!parentQueue) throw new Error('no queue');
      const u1 = await env.addUser();
      const u2 = await env.addUser();
      workers.push(await startWorker(env, { SYNC_TEST_BOSS_SCHEMA: bossSchema }));
      workers.push(await startWorker(env, { SYNC_TEST_BOSS_SCHEMA: bossSchema }));
      const store = env.sync.syncStore.users;
      for (const u of [u1, u2]) {
        await store.activate(u.userId, u.tenantId, new Date());
        await parentQueue.enqueue([
          { kind: 'graph_subscribe', payload: { userId: u.userId }, dedupeKey: u.userId },
        ]);
      }
      await eventually(() => env?.emulator.subscriptions().length === 2, 15_000, 'two subscriptions');
      const items = [...(await linkMeetings(env, u1, 4)), ...(await linkMeetings(env, u2, 4))];
      for (const { eventId, meeting } of items) {
        const owner = meeting.organizerId === u1.userId ? u1 : u2;
        env.emulator.updateEvent(owner.oid, eventId, { subject: `${meeting.subject} (changed once)` });
      }
      for (const { meeting } of items) {
        const owner = meeting.organizerId === u1.userId ? u1 : u2;
        await eventually(
          async () => (await env?.meeting(owner, meeting.id))?.subject.endsWith('(changed once)'),
          15_000,
          'every change',
        );
      }
      await parentQueue.stop();
      const db = withSyncTables(env.t.runtime.store.db);
      const updates = await db
        .selectFrom('audit_log')
        .select(['target_id', (eb) => eb.fn.countAll().as('n')])
        .where('action', '=', 'meeting.updated')
        .where(
          'target_id',
          'in',
          items.map((i) => i.meeting.id),
        )
        .groupBy('target_id')
        .execute();
      expect(updates).toHaveLength(items.length);
      for (const row of updates) expect(Number(row.n)).toBe(1);
      // A worker reports on its stdout after its write commits: the parent may see the write first.
      const reported = () => workers.reduce((n, w) => n + w.applied(), 0);
      await eventually(() => reported() >= items.length, 15_000, 'every worker report');
      expect(reported()).toBe(items.length);
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});
