import { type Kysely, type RawBuilder, SqliteAdapter, sql } from 'kysely';

/**
 * Jobs are identified by an integer: on SQLite the row id itself (`integer primary key`), instead
 * of a text id with a unique index of its own. One B-tree fewer is written per enqueued job, and
 * enqueueing is the Graph webhook's hot path (bench/sync-README.md, eighth pass). On PostgreSQL
 * the queue lives in pg-boss and this table stays empty; it gets the same shape, with an identity
 * column. Waiting and dead-lettered jobs are kept, in their order, under new ids.
 */
// The jobs table's columns but its id, as migration 0003 made them (a migration stands alone).
const COLUMNS: readonly (readonly [name: string, type: 'text' | 'integer', notNull: boolean])[] = [
  ['kind', 'text', true],
  ['payload', 'text', true],
  ['dedupe_key', 'text', false],
  ['status', 'text', true],
  ['attempts', 'integer', true],
  ['max_attempts', 'integer', true],
  ['run_at', 'text', true],
  ['locked_by', 'text', false],
  ['last_error', 'text', false],
  ['created_at', 'text', true],
  ['updated_at', 'text', true],
];

export async function up(db: Kysely<unknown>): Promise<void> {
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
  await rebuildJobs(db, (table) =>
    table.addColumn('id', 'integer', (c) =>
      sqlite ? c.primaryKey() : c.primaryKey().generatedByDefaultAsIdentity(),
    ),
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await rebuildJobs(
    db,
    (table) => table.addColumn('id', 'text', (c) => c.primaryKey()),
    sql`cast(id as text)`,
  );
}

type TableBuilder = ReturnType<Kysely<unknown>['schema']['createTable']>;

async function rebuildJobs(
  db: Kysely<unknown>,
  id: (table: TableBuilder) => TableBuilder,
  copiedId?: RawBuilder<unknown>,
) {
  let table = id(db.schema.createTable('jobs_next'));
  for (const [name, type, notNull] of COLUMNS) {
    table = table.addColumn(name, type, (c) => (notNull ? c.notNull() : c));
  }
  await table.execute();
  const columns = sql.join(COLUMNS.map(([name]) => sql.ref(name)));
  // Old ids were time-ordered: copying in their order keeps the queue's order in the new ids.
  await (copiedId
    ? sql`insert into jobs_next (id, ${columns}) select ${copiedId}, ${columns} from jobs order by id`
    : sql`insert into jobs_next (${columns}) select ${columns} from jobs order by id`
  ).execute(db);
  await db.schema.dropTable('jobs').execute();
  await db.schema.alterTable('jobs_next').renameTo('jobs').execute();
  await db.schema.createIndex('jobs_ready').on('jobs').columns(['status', 'run_at']).execute();
  // Coalescing: at most one waiting job per (kind, dedupe key).
  await db.schema
    .createIndex('jobs_dedupe')
    .on('jobs')
    .columns(['kind', 'dedupe_key'])
    .unique()
    .where(sql<boolean>`status = 'ready' and dedupe_key is not null`)
    .execute();
}
