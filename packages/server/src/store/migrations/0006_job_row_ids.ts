import { type Kysely, SqliteAdapter, sql } from 'kysely';

/**
 * Jobs are identified by an integer: on SQLite the row id itself (`integer primary key`), instead
 * of a text id with a unique index of its own. One B-tree fewer is written per enqueued job, and
 * enqueueing is the Graph webhook's hot path (bench/sync-README.md, eighth pass). On PostgreSQL
 * the queue lives in pg-boss and this table stays empty; it gets the same shape, with an identity
 * column. Waiting and dead-lettered jobs are kept, in their order, under new ids.
 */
const COLUMNS = [
  'kind',
  'payload',
  'dedupe_key',
  'status',
  'attempts',
  'max_attempts',
  'run_at',
  'locked_by',
  'last_error',
  'created_at',
  'updated_at',
] as const;

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
  copiedId?: unknown,
) {
  await id(db.schema.createTable('jobs_next'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('dedupe_key', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('run_at', 'text', (c) => c.notNull())
    .addColumn('locked_by', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  const columns = sql.join(COLUMNS.map((c) => sql.ref(c)));
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
