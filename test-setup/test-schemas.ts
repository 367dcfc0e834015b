/**
 * The private PostgreSQL schemas test databases live in (packages/server/test/support/databases.ts).
 * A test process that dies (a crash, a killed run) never drops its schema, and on a long-lived local
 * database those piled up. The name carries its creation time, so that the next run's global setup
 * can drop the ones no run can still be using.
 */
import { randomBytes } from 'node:crypto';

/** Older than this, a test schema belongs to no running test: no run of the suite takes a day. */
export const STALE_AFTER_MS = 24 * 60 * 60 * 1000;

// t_<creation time, ms, base 36>_<12 hex>, and the pg-boss schema beside it (`<schema>_pgboss`).
const NAME = /^t_([0-9a-z]{8,10})_[0-9a-f]{12}(?:_pgboss)?$/;

export function testSchemaName(now = Date.now()): string {
  return `t_${now.toString(36)}_${randomBytes(6).toString('hex')}`;
}

/** Whether `name` is a test schema made more than STALE_AFTER_MS before `now`. Other names: never. */
export function isStaleTestSchema(name: string, now = Date.now()): boolean {
  const match = NAME.exec(name);
  if (!match?.[1]) return false;
  return now - Number.parseInt(match[1], 36) > STALE_AFTER_MS;
}

interface Queryable {
  query(sql: string, values?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
}

/** Drops the stale test schemas of the database `client` is connected to; their names. */
export async function dropStaleTestSchemas(client: Queryable, now = Date.now()): Promise<string[]> {
  const { rows } = await client.query(
    `select schema_name from information_schema.schemata where schema_name like 't\\_%'`,
  );
  const stale = rows.map((row) => String(row.schema_name)).filter((name) => isStaleTestSchema(name, now));
  // The name matched NAME, so it needs no quoting.
  for (const name of stale) await client.query(`drop schema if exists ${name} cascade`);
  return stale;
}
