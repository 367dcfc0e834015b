/**
 * What retention needs to know about the schema as a whole, and the dialect-specific pieces of its
 * batched deletes.
 *
 * Retention promises that nothing of a purged meeting, signed-out user or offboarded tenant stays
 * behind, including in tables added after this code was written (calendar sync's, for example).
 * So it does not list those tables: it asks the database which tables have a `tenant_id`,
 * `user_id` or `meeting_id` column and deletes through them.
 */
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { DialectName } from '../database.js';
import type { Database } from '../schema.js';

/** Row type of migration 0004_retention (type aliases: Kysely's withTables wants index-compatible types). */
export type TenantRetentionTable = {
  tenant_id: string;
  applied_days: number | null;
  applied_at: string;
};

export type RetentionTables = {
  tenant_retention: TenantRetentionTable;
};

export type RetentionDatabase = Database & RetentionTables;

export function withRetentionTables(db: Kysely<Database>): Kysely<RetentionDatabase> {
  return db.withTables<RetentionTables>();
}

/** Columns by which rows belong to a tenant, a user or a meeting. */
export type OwnerColumn = 'tenant_id' | 'user_id' | 'meeting_id';

/**
 * Tables whose rows retention never deletes through the generic owner columns. `offboarded_tenants`
 * (keyed by `id`, so never matched anyway) must outlive the tenant it records.
 */
const NOT_OWNED = new Set([
  'tenants',
  'tenant_keys',
  'offboarded_tenants',
  'roomlink_migrations',
  'roomlink_migrations_lock',
]);

const catalogs = new WeakMap<object, Promise<ReadonlyMap<OwnerColumn, readonly string[]>>>();

/**
 * Tables (other than tenants and tenant_keys) that have each owner column, read once per database
 * handle: the schema changes only through migrations, which run before the store is handed out.
 */
export async function tablesWithColumn(
  db: Kysely<Database>,
  dialect: DialectName,
  column: OwnerColumn,
): Promise<readonly string[]> {
  let catalog = catalogs.get(db);
  if (!catalog) {
    catalog = readCatalog(db, dialect);
    catalogs.set(db, catalog);
    catalog.catch(() => catalogs.delete(db));
  }
  return (await catalog).get(column) ?? [];
}

async function readCatalog(
  db: Kysely<Database>,
  dialect: DialectName,
): Promise<ReadonlyMap<OwnerColumn, readonly string[]>> {
  const query =
    dialect === 'sqlite'
      ? sql<{ table_name: string; column_name: string }>`
          select m.name as table_name, p.name as column_name
          from sqlite_master m, pragma_table_info(m.name) p
          where m.type = 'table' and m.name not like 'sqlite_%'`
      : sql<{ table_name: string; column_name: string }>`
          select table_name, column_name from information_schema.columns
          where table_schema = current_schema()`;
  const rows = (await query.execute(db)).rows;
  const result = new Map<OwnerColumn, string[]>();
  for (const column of ['tenant_id', 'user_id', 'meeting_id'] as const) {
    const tables = rows
      .filter((r) => r.column_name === column && !NOT_OWNED.has(r.table_name))
      .map((r) => r.table_name)
      .sort();
    result.set(column, tables);
  }
  return result;
}

/**
 * Deletes at most `limit` rows of `table` matching `where`, in one statement. Both dialects address
 * rows by their physical id (SQLite's rowid, PostgreSQL's ctid), so this works for any table,
 * whatever its key.
 */
export async function deleteSome(
  db: Kysely<Database>,
  dialect: DialectName,
  table: string,
  where: RawBuilder<unknown>,
  limit: number,
): Promise<number> {
  const t = sql.table(table);
  const statement =
    dialect === 'sqlite'
      ? sql`delete from ${t} where rowid in (select rowid from ${t} where ${where} limit ${limit})`
      : sql`delete from ${t} where ctid = any(array(select ctid from ${t} where ${where} limit ${limit}))`;
  const result = await statement.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

/**
 * Locks the meetings about to be deleted, before the rows that belong to them, and returns the ids
 * of those that still exist and pass `stillDue` (PostgreSQL re-reads a row changed meanwhile). Calendar
 * sync writes a meeting's rows only while its statement holds the meeting row (FOR KEY SHARE,
 * sync-state.ts), so no such row can be written between these deletes and the meeting's. SQLite has
 * one writer at a time (timedTransaction begins IMMEDIATE): nothing to lock.
 */
export async function lockMeetings(
  trx: Kysely<Database>,
  dialect: DialectName,
  ids: readonly string[],
  stillDue?: { purgeAfterAtMost: string },
): Promise<readonly string[]> {
  if (dialect !== 'postgres' || ids.length === 0) return ids;
  const due = stillDue ? sql` and purge_after <= ${stillDue.purgeAfterAtMost}` : sql``;
  // In id order, so that two purges locking overlapping meetings cannot deadlock.
  const locked = await sql<{ id: string }>`
    select id from meetings where ${inList('id', ids)}${due} order by id for update`.execute(trx);
  return locked.rows.map((r) => r.id);
}

/** `column in (values)` for raw statements; never called with an empty list. */
export function inList(column: string, values: readonly string[]): RawBuilder<unknown> {
  return sql`${sql.ref(column)} in (${sql.join(values.map((v) => sql`${v}`))})`;
}

/**
 * Runs `work` in one transaction on one connection and measures how long the transaction held the
 * database: from just after BEGIN to just after COMMIT (waiting for the lock is not counted).
 *
 * On SQLite the transaction is `BEGIN IMMEDIATE`: it takes the write lock up front (waiting up to
 * busy_timeout for another process's writer) instead of reading first and then failing with
 * SQLITE_BUSY_SNAPSHOT when another process wrote in between, as a deferred transaction would.
 */
export async function timedTransaction<T>(
  db: Kysely<Database>,
  dialect: DialectName,
  work: (trx: Kysely<Database>) => Promise<T>,
): Promise<{ result: T; ms: number }> {
  return db.connection().execute(async (connection) => {
    await sql.raw(dialect === 'sqlite' ? 'begin immediate' : 'begin').execute(connection);
    const started = performance.now();
    try {
      const result = await work(connection);
      await sql.raw('commit').execute(connection);
      return { result, ms: performance.now() - started };
    } catch (error) {
      await sql
        .raw('rollback')
        .execute(connection)
        .catch(() => undefined);
      throw error;
    }
  });
}

/** Adds `n` to `counts[key]`. */
export function tally(counts: Map<string, number>, key: string, n = 1): void {
  if (n !== 0) counts.set(key, (counts.get(key) ?? 0) + n);
}
