/**
 * Forcing an interleaving of two transactions without timing: a Kysely plugin holds one after a
 * chosen statement (its locks and writes in place, nothing committed), and on PostgreSQL the test
 * waits until the other side has finished or is seen waiting for a lock (pg_blocking_pids).
 */
import type {
  Kysely,
  KyselyPlugin,
  PluginTransformQueryArgs,
  PluginTransformResultArgs,
  QueryId,
  QueryResult,
  RootOperationNode,
  TableNode,
  UnknownRow,
} from 'kysely';
import { sql } from 'kysely';
import type { Database } from '../../src/store/schema.js';
import { deferred } from './deferred.js';

/** A point where one side stops (`arrive`) until the test lets it go on (`release`). */
export interface Hold {
  readonly reached: Promise<void>;
  arrive(): Promise<void>;
  release(): void;
}

export function hold(): Hold {
  const reached = deferred();
  const released = deferred();
  return {
    reached: reached.promise,
    release: () => released.resolve(),
    arrive: () => {
      reached.resolve();
      return released.promise;
    },
  };
}

/** The table an INSERT or DELETE writes, if the statement is one. */
function writtenTable(node: RootOperationNode): string | undefined {
  const table =
    node.kind === 'DeleteQueryNode'
      ? node.from.froms[0]
      : node.kind === 'InsertQueryNode'
        ? node.into
        : undefined;
  return table?.kind === 'TableNode' ? (table as TableNode).table.identifier.name : undefined;
}

/** Which statement a hold stops after. */
export type StatementMatch = (node: RootOperationNode) => boolean;

/** A Kysely-built INSERT or DELETE of `table`. */
export const builtWrite =
  (kind: 'DeleteQueryNode' | 'InsertQueryNode', table: string): StatementMatch =>
  (node) =>
    node.kind === kind && writtenTable(node) === table;

/** A raw `delete from …` (the dependent deletes of meeting deletes and of retention). */
export const rawDelete: StatementMatch = (node) =>
  node.kind === 'RawNode' && (node.sqlFragments[0]?.trimStart().startsWith('delete from') ?? false);

/**
 * Holds the transaction after the first statement `match` picks has run: the statement's locks and
 * writes are in place, nothing after it has run, nothing is committed.
 */
export class HoldAfter implements KyselyPlugin {
  readonly #matched = new WeakSet<QueryId>();
  #used = false;

  constructor(
    private readonly match: StatementMatch,
    private readonly point: Hold,
  ) {}

  transformQuery({ node, queryId }: PluginTransformQueryArgs): RootOperationNode {
    if (!this.#used && this.match(node)) {
      this.#used = true;
      this.#matched.add(queryId);
    }
    return node;
  }

  async transformResult({ queryId, result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (this.#matched.has(queryId)) await this.point.arrive();
    return result;
  }
}

/** PostgreSQL: the backend running this connection. */
export async function backendPid(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db);
  return Number(rows[0]?.pid);
}

/**
 * PostgreSQL: the backend of a transaction the test holds (see HoldAfter) whose last statement began
 * with `statement`, for when the product opens that transaction itself. Other test files share the
 * database and may have such a transaction open at the same moment (their own held ones, or any
 * transaction between two statements), so only a backend holding a lock on a table of this
 * connection's schema (each test database has its own) is this test's.
 */
export async function heldBackend(db: Kysely<Database>, statement: string): Promise<number> {
  const { rows } = await sql<{ pid: number; query: string }>`
    select distinct a.pid, a.query from pg_stat_activity a
    join pg_locks l on l.pid = a.pid
    join pg_class c on c.oid = l.relation
    where c.relnamespace = current_schema()::regnamespace
      and a.state = 'idle in transaction' and a.query like ${`${statement}%`}`.execute(db);
  const [row, ...others] = rows;
  if (!row || others.length > 0) {
    throw new Error(
      `expected one held transaction after "${statement}…" in schema ${await currentSchema(db)}, found ${JSON.stringify(rows)}`,
    );
  }
  return Number(row.pid);
}

async function currentSchema(db: Kysely<Database>): Promise<string> {
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  return String(rows[0]?.schema);
}

/**
 * PostgreSQL: waits until `work` has settled, or until it cannot finish before another transaction
 * ends: `waiters` backends wait for a lock that backend `pid` holds, or (`'waiter'`) backend `pid`
 * itself waits for a lock. Polls the server's lock table; the deadline only turns a hang into a
 * failure.
 */
export async function settledOrWaiting(
  db: Kysely<Database>,
  work: Promise<unknown>,
  pid: number,
  waiters: number | 'waiter',
): Promise<'settled' | 'waiting'> {
  let settled = false;
  work.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const { rows } =
      waiters === 'waiter'
        ? await sql<{ n: string }>`select cardinality(pg_blocking_pids(${pid})) as n`.execute(db)
        : await sql<{ n: string }>`
            select count(*) as n from pg_stat_activity where ${pid} = any(pg_blocking_pids(pid))`.execute(db);
    if (settled) return 'settled';
    if (Number(rows[0]?.n) >= (waiters === 'waiter' ? 1 : waiters)) return 'waiting';
  }
  throw new Error('neither finished nor waiting for the other transaction');
}
