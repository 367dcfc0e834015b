/** A fresh PostgreSQL test database and pg-boss schema for the pg-boss job queue's tests. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PgBossJobQueue, type PgBossJobQueueOptions } from '../../src/jobs/pg-boss-queue.js';
import { eventually } from '../sync-harness.js';
import { createTestDatabase, type TestDatabase } from './databases.js';

/** The database, a pg-boss schema name in it, and a connection of the test's own; `cleanups` drops them. */
export async function freshPgBossDatabase(
  cleanups: (() => Promise<void>)[],
): Promise<{ database: TestDatabase; schema: string; sql: pg.Client }> {
  const database = await createTestDatabase('postgres');
  const schema = `boss_${randomBytes(4).toString('hex')}`;
  const sql = new pg.Client({ connectionString: database.url });
  await sql.connect();
  cleanups.push(async () => {
    await sql.query(`drop schema if exists ${schema} cascade`);
    await sql.end();
    await database.drop();
  });
  return { database, schema, sql };
}

/**
 * One Roomlink process's pg-boss job queue on `schema` of `database`, whose observer records each
 * outcome (as `kind:outcome`) and each error it hears; `cleanups` stops it.
 */
export function recordingPgBossQueue(
  database: TestDatabase,
  schema: string,
  options: Omit<PgBossJobQueueOptions, 'connectionString' | 'schema' | 'observer'>,
  cleanups: (() => Promise<void>)[],
): { q: PgBossJobQueue; outcomes: string[]; errors: unknown[] } {
  const outcomes: string[] = [];
  const errors: unknown[] = [];
  const q = new PgBossJobQueue({
    connectionString: database.url,
    schema,
    ...options,
    observer: {
      onOutcome: (kind, outcome) => outcomes.push(`${kind}:${outcome}`),
      onError: (error) => errors.push(error),
    },
  });
  cleanups.push(() => q.stop());
  return { q, outcomes, errors };
}

/**
 * Holds the fetches of one pg-boss queue on the wire: a lock on the queue's own partition of
 * pg-boss's job table (only that queue's fetches wait on it), taken on a connection of its own until
 * `release()`. `fetchWaiting()` resolves once such a fetch waits on the lock.
 */
export async function holdQueueFetches(
  database: TestDatabase,
  sql: pg.Client,
  schema: string,
  queue: string,
  cleanups: (() => Promise<void>)[],
): Promise<{ fetchWaiting(): Promise<void>; release(): Promise<void> }> {
  const { rows } = await sql.query<{ partition_name: string }>(
    `select partition_name from ${schema}.queue where name = $1`,
    [queue],
  );
  const locker = new pg.Client({ connectionString: database.url });
  await locker.connect();
  cleanups.push(() => locker.end());
  await locker.query('begin');
  await locker.query(`lock table ${schema}.${rows[0]?.partition_name} in access exclusive mode`);
  return {
    fetchWaiting: async () => {
      await eventually(
        async () =>
          (
            await sql.query<{ n: number }>(
              `select count(*)::int as n from pg_stat_activity
                where application_name = 'pgboss' and wait_event_type = 'Lock' and query like $1`,
              [`%${schema}.job%`],
            )
          ).rows[0]?.n !== 0,
        10_000,
        'a fetch of jobs to wait on the lock',
      );
    },
    release: async () => {
      await locker.query('commit');
    },
  };
}
