/** A fresh PostgreSQL test database and pg-boss schema for the pg-boss job queue's tests. */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
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
