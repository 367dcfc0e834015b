/**
 * One `roomlink serve` per SQLite database: a second one refuses to start (exit 69) before it
 * touches the database, so the first one's running jobs are not put back in line and its mailbox
 * leases not cleared. The lock dies with its process (SIGKILL or SIGTERM), and the commands that run
 * beside the server (migrate, doctor, retention, exports, erasures, keys rotate) never take it.
 * PostgreSQL has no such lock: several servers share one database there.
 */
import { realpath } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { EXIT } from '../src/cli/exit.js';
import { loadConfig } from '../src/config/config.js';
import { type RunningServer, serve } from '../src/server.js';
import { type KyselyStore, openStore } from '../src/store/kysely-store.js';
import { KyselyJobStore } from '../src/store/repositories/jobs-sql.js';
import { kyselySyncStore } from '../src/store/repositories/sync-state.js';
import { withSyncTables } from '../src/store/repositories/sync-tables.js';
import { SqliteServeLockHeld } from '../src/store/sqlite-serve-lock.js';
import {
  createTestDatabase,
  type DialectName,
  dialectAvailability,
  type TestDatabase,
} from './support/databases.js';
import { freePort, testMasterKeys } from './support/harness.js';
import {
  runCli,
  runCliUntilServing,
  type ServerProcess,
  startServerProcess,
} from './support/server-process.js';
import { insertSession } from './support/sessions.js';

/** Several server and command processes in a row, each bounded on its own (see server-process.ts). */
const PROCESS_TEST_TIMEOUT_MS = 120_000;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fresh database of `dialect` (dropped after the test) and the environment a server on it reads. */
async function databaseWithEnv(
  dialect: DialectName,
): Promise<{ database: TestDatabase; env: Record<string, string> }> {
  const database = await createTestDatabase(dialect);
  cleanups.push(() => database.drop());
  const env = {
    DATABASE_URL: database.url,
    ROOMLINK_DATA_DIR: database.dir,
    ROOMLINK_KEY_PROVIDER: 'env',
    ROOMLINK_MASTER_KEYS: testMasterKeys(),
  };
  return { database, env };
}

async function startServer(env: Record<string, string>): Promise<ServerProcess> {
  const server = await startServerProcess(env);
  cleanups.push(async () => {
    server.kill('SIGKILL');
    await server.exited;
  });
  return server;
}

const TENANT = 't-lock';
const USER = 'u-lock';
const HELD_KIND = 'test.held';

/**
 * What a first server has under way, as its workers leave it in the database: a job it runs
 * (status running, locked by it) and a mailbox lease it holds. The kind is one no server handles,
 * so that only a start's requeueing can change the job.
 */
async function workUnderWay(store: KyselyStore): Promise<string> {
  const now = new Date();
  const sync = kyselySyncStore(store.db);
  expect(await sync.users.activate(USER, TENANT, now)).toBe(true);
  expect(await sync.users.acquireLease(USER, 'first-server', now, 3_600_000)).toBe(true);
  const jobs = new KyselyJobStore(store.db);
  await jobs.insert([{ kind: HELD_KIND, payload: {}, maxAttempts: 1 }], now);
  const [job] = await jobs.claim([HELD_KIND], 1, 'first-server', now);
  if (!job) throw new Error('the test job was not claimed');
  return job.id;
}

async function stateOf(store: KyselyStore, jobId: string) {
  const db = withSyncTables(store.db);
  const job = await db
    .selectFrom('jobs')
    .select(['status', 'locked_by'])
    .where('id', '=', Number(jobId))
    .executeTakeFirstOrThrow();
  const lease = await db
    .selectFrom('sync_users')
    .select(['lease_owner'])
    .where('user_id', '=', USER)
    .executeTakeFirstOrThrow();
  return { job, lease };
}

/**
 * A first server on a fresh SQLite database where the user has signed in, with a job and a mailbox
 * lease under way (workUnderWay), seen through a store of the test's own.
 */
async function firstServerWithWorkUnderWay() {
  const { database, env } = await databaseWithEnv('sqlite');
  const seed = await openStore(database.url);
  await insertSession(seed, TENANT, USER);
  await seed.close();
  const server = await startServer(env);
  const store = await openStore(database.url);
  cleanups.push(() => store.close());
  const jobId = await workUnderWay(store);
  return { database, env, server, store, jobId };
}

/** The database file as the message names it: symbolic links (a temporary directory's) resolved. */
const fileOf = (database: TestDatabase) => realpath(database.file ?? '');

describe('one serve per SQLite database (processes)', () => {
  it(
    'refuses a second serve with exit 69, naming the database, and leaves the first one’s job and lease alone',
    async () => {
      const { database, env, server: first, store, jobId } = await firstServerWithWorkUnderWay();
      const underWay = {
        job: { status: 'running', locked_by: 'first-server' },
        lease: { lease_owner: 'first-server' },
      };
      expect(await stateOf(store, jobId)).toEqual(underWay);

      // Another instance on another port, as an admin (or a second `npm start`) would start it.
      // One that starts instead is stopped and reported with exit code null: without the lock the test fails.
      const second = await runCliUntilServing(['serve'], {
        HOST: '127.0.0.1',
        ...env,
        PORT: String(await freePort()),
      });
      // It stopped before the database: no migration, no requeueing, no lease cleared, not a line logged.
      expect(await stateOf(store, jobId)).toEqual(underWay);
      expect(second.code, second.stdout + second.stderr).toBe(EXIT.database);
      expect(second.stderr).toBe(
        `roomlink: another Roomlink process is serving ${await fileOf(database)}; ` +
          'stop it, or use PostgreSQL to run several processes\n',
      );
      expect(second.stdout).toBe('');
      // The first one serves on.
      expect((await fetch(`${first.url}/readyz`)).status).toBe(200);
      expect(first.child.exitCode).toBeNull();
    },
    PROCESS_TEST_TIMEOUT_MS,
  );

  it(
    'a server killed with SIGKILL leaves no lock: the next one starts (and takes over what the dead one ran)',
    async () => {
      const { env, server: killed, store, jobId } = await firstServerWithWorkUnderWay();

      killed.kill('SIGKILL');
      expect(await killed.exited).toBeNull();
      await startServer(env);
      // The dead server's job is back in line and its lease void (the new server may hold the mailbox
      // since, reconciling it at start): the crash recovery that is right for the database's one server.
      const state = await stateOf(store, jobId);
      expect(state.job).toEqual({ status: 'ready', locked_by: null });
      expect(state.lease.lease_owner).not.toBe('first-server');
    },
    PROCESS_TEST_TIMEOUT_MS,
  );

  it(
    'a server stopped with SIGTERM lets go of the lock: the next one starts',
    async () => {
      const { env } = await databaseWithEnv('sqlite');
      const stopped = await startServer(env);
      stopped.kill('SIGTERM');
      expect(await stopped.exited).toBe(0);
      const next = await startServer(env);
      expect((await fetch(`${next.url}/readyz`)).status).toBe(200);
    },
    PROCESS_TEST_TIMEOUT_MS,
  );

  it(
    'the commands documented to run beside the server run while it serves',
    async () => {
      const { database, env } = await databaseWithEnv('sqlite');
      const seed = await openStore(database.url);
      await insertSession(seed, TENANT, USER);
      await insertSession(seed, TENANT, 'u-erased');
      await seed.close();
      const server = await startServer(env);

      const commands = [
        ['migrate'],
        ['doctor'],
        ['retention', 'run'],
        ['export', 'user', USER],
        ['export', 'tenant', TENANT],
        ['erase', 'user', 'u-erased', '--yes'],
        ['keys', 'rotate'],
      ];
      for (const args of commands) {
        const run = await runCli(args, env);
        expect({ command: args.join(' '), code: run.code }, run.stderr).toEqual({
          command: args.join(' '),
          code: 0,
        });
      }
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      expect(server.child.exitCode).toBeNull();
    },
    PROCESS_TEST_TIMEOUT_MS,
  );
});

describe('one serve per SQLite database (in this process)', () => {
  const config = async (env: Record<string, string>) => {
    const port = await freePort();
    return loadConfig({
      ...env,
      HOST: '127.0.0.1',
      PORT: String(port),
      ROOMLINK_BASE_URL: `http://127.0.0.1:${port}`,
      LOG_LEVEL: 'silent',
    });
  };
  const started = (running: RunningServer) => {
    cleanups.push(() => running.shutdown('test finished'));
    return running;
  };

  it('a second serve() on the same file is refused; once the first shut down, the next starts', async () => {
    const { database, env } = await databaseWithEnv('sqlite');
    const first = started(await serve(await config(env), { exitOnSignal: false }));
    const refused = serve(await config(env), { exitOnSignal: false });
    await expect(refused).rejects.toBeInstanceOf(SqliteServeLockHeld);
    await expect(refused).rejects.toThrow(`another Roomlink process is serving ${await fileOf(database)};`);
    expect((await fetch(`${first.url}/readyz`)).status).toBe(200);

    await first.shutdown('test');
    const next = started(await serve(await config(env), { exitOnSignal: false }));
    expect((await fetch(`${next.url}/readyz`)).status).toBe(200);
  });

  const postgres = dialectAvailability('postgres');
  it.skipIf(postgres.skip)(`${postgres.label}: two serve() on one database both start`, async () => {
    const { env } = await databaseWithEnv('postgres');
    const first = started(await serve(await config(env), { exitOnSignal: false }));
    const second = started(await serve(await config(env), { exitOnSignal: false }));
    expect((await fetch(`${first.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${second.url}/readyz`)).status).toBe(200);
  });
});
