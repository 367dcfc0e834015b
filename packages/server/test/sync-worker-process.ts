/**
 * A calendar sync worker as its own process (no HTTP): used by the crash and multi-process tests.
 * Env: DATABASE_URL, ROOMLINK_MASTER_KEYS, ROOMLINK_BASE_URL, GRAPH_BASE_URL (read as Roomlink would),
 * plus SYNC_TEST_KEY (PKCS8 PEM signing Graph tokens), SYNC_TEST_USERS (JSON list), optionally
 * SYNC_TEST_HOLD_AFTER and SYNC_TEST_LEASE_MS (see below) and, on PostgreSQL, SYNC_TEST_BOSS_SCHEMA.
 */
import { importPKCS8 } from 'jose';
import { Registry } from 'prom-client';
import { loadConfig } from '../src/config/config.js';
import { createCalendarSync, JOB_KINDS } from '../src/graph/index.js';
import { PgBossJobQueue } from '../src/jobs/pg-boss-queue.js';
import { createRuntime } from '../src/runtime.js';
import { ADDIN_ID, type SyncUser, tokenSource } from './sync-harness.js';

const {
  SYNC_TEST_KEY,
  SYNC_TEST_USERS,
  SYNC_TEST_BOSS_SCHEMA,
  SYNC_TEST_HOLD_AFTER,
  SYNC_TEST_LEASE_MS,
  ...rest
} = process.env;
const config = loadConfig({
  DATABASE_URL: rest.DATABASE_URL,
  ROOMLINK_MASTER_KEYS: rest.ROOMLINK_MASTER_KEYS,
  ROOMLINK_KEY_PROVIDER: 'env',
  ROOMLINK_BASE_URL: rest.ROOMLINK_BASE_URL,
  GRAPH_BASE_URL: rest.GRAPH_BASE_URL,
  ROOMLINK_DATA_DIR: rest.ROOMLINK_DATA_DIR,
});
const runtime = await createRuntime(config, { warn: () => undefined, error: () => undefined });
const users = new Map<string, SyncUser>(
  (JSON.parse(SYNC_TEST_USERS ?? '[]') as SyncUser[]).map((u) => [u.userId, u]),
);
const key = await importPKCS8(SYNC_TEST_KEY ?? '', 'RS256');
let applied = 0;
const sync = createCalendarSync({
  config,
  store: runtime.store,
  meetings: runtime.meetings,
  cipher: runtime.cipher,
  tokens: tokenSource(key, users),
  registry: new Registry(),
  addinId: ADDIN_ID,
  ...(SYNC_TEST_BOSS_SCHEMA
    ? {
        queue: (observer) =>
          new PgBossJobQueue({
            connectionString: config.databaseUrl,
            schema: SYNC_TEST_BOSS_SCHEMA,
            kinds: JOB_KINDS,
            observer,
          }),
      }
    : {}),
  tuning: {
    queuePollMs: 50,
    maintenanceEveryMs: 60_000,
    // SYNC_TEST_LEASE_MS: a killed worker's mailbox lease can run out in seconds, not the default 30 s.
    ...(SYNC_TEST_LEASE_MS ? { leaseMs: Number(SYNC_TEST_LEASE_MS) } : {}),
    graph: { backoff: { baseMs: 20, capMs: 200 } },
  },
});
sync.metrics.changes.reset();
const original = sync.service.applyItem.bind(sync.service);
// SYNC_TEST_HOLD_AFTER: once this many changes are applied, the next item never finishes, so that a
// test can kill the worker in the middle of a sync page at a point it knows, not at one the machine's
// speed decides. (A page's items are applied one after another.)
const holdAfter = Number(SYNC_TEST_HOLD_AFTER ?? Number.POSITIVE_INFINITY);
sync.service.applyItem = async (...args) => {
  if (applied >= holdAfter) {
    process.stdout.write('HOLDING\n');
    await new Promise<never>(() => undefined);
  }
  const result = await original(...args);
  if (result === 'updated') process.stdout.write(`APPLIED ${++applied}\n`);
  return result;
};
await sync.start();
process.stdout.write('READY\n');

process.once('SIGTERM', () => {
  void sync
    .stop()
    .then(() => runtime.close())
    .then(() => process.exit(0));
});
