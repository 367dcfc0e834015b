/**
 * On PostgreSQL the job queue is pg-boss, which keeps a finished job (payload: a user id and, for a
 * change job, a Graph event id) until its maintenance archives it and then deletes it from the
 * archive. Roomlink has no use for the archive: an archived job goes at the next maintenance, so a
 * finished job is gone within FINISHED_JOB_SECONDS_AT_MOST (docs/privacy.md says 2 minutes).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { FINISHED_JOB_SECONDS_AT_MOST, PgBossJobQueue } from '../src/jobs/pg-boss-queue.js';
import { createTestDatabase, dialectAvailability } from './support/databases.js';
import { eventually } from './sync-harness.js';

const { skip, label } = dialectAvailability('postgres');

describe.skipIf(skip)(`pg-boss's finished jobs (${label})`, () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('are gone within the 2 minutes the privacy documentation states', () => {
    expect(FINISHED_JOB_SECONDS_AT_MOST).toBeLessThanOrEqual(120);
  });

  it('leave the archive at the maintenance after the one that archived them', async () => {
    const database = await createTestDatabase('postgres');
    const schema = `boss_${randomBytes(4).toString('hex')}`;
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    // Maintenance every second instead of every 15: the test moves completion times back instead of
    // waiting for the archiving delay, then sees what the next maintenance runs do.
    const queue = new PgBossJobQueue({
      connectionString: database.url,
      schema,
      kinds: { work: { maxAttempts: 1 } },
      maintenanceIntervalSeconds: 1,
    });
    cleanups.push(async () => {
      await queue.stop();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
      await database.drop();
    });
    const eventId = `AAMkAG${randomBytes(12).toString('base64url')}=`;
    await queue.start({ work: async () => undefined });
    await queue.enqueue([{ kind: 'work', payload: { userId: 'u-finished', eventId } }]);
    const rows = async (table: 'job' | 'archive') =>
      (
        await client.query<{ state: string }>(
          `select state from ${schema}.${table} where data->>'eventId' = $1`,
          [eventId],
        )
      ).rows;
    await eventually(
      async () => ((await rows('job'))[0]?.state === 'completed' ? true : undefined),
      10_000,
      'the job completed',
    );
    // As if it had completed just over a minute ago: due for archiving.
    await client.query(
      `update ${schema}.job set completed_on = now() - interval '61 seconds' where data->>'eventId' = $1`,
      [eventId],
    );
    await eventually(
      async () => ((await rows('job')).length + (await rows('archive')).length === 0 ? true : undefined),
      10_000,
      'the finished job gone from pg-boss’s job and archive tables',
    );
  });
});
