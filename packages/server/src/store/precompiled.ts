/**
 * Queries compiled once and run many times with new parameters. Kysely builds and compiles a query
 * on every call (operation-node tree, visitor, freezing), which costs more than running a small
 * SQLite statement; on the hot paths (meeting create, audit entry, job enqueue) the SQL text never
 * changes, only the values.
 *
 * A template is built once per dialect (the Kysely adapter) with a distinct marker for every
 * parameter; the positions of the markers in the compiled parameter list tell where each value
 * goes, whatever order the dialect's compiler emits them in.
 */
import type { CompiledQuery, Kysely, QueryResult } from 'kysely';

interface Compiled {
  readonly query: CompiledQuery;
  /** compiled parameter i takes values[order[i]]. */
  readonly order: readonly number[];
}

const MARK = '\u0000roomlink-param-';

/**
 * Runs a compiled query synchronously on the one connection it was registered for, or declines
 * (undefined) when it cannot now: the query then goes through Kysely's executor.
 */
export type DirectRunner = (query: CompiledQuery) => QueryResult<unknown> | undefined;

const direct = new WeakMap<object, DirectRunner>();

/**
 * Lets precompiled queries on `db` (a Kysely instance bound to one held connection, e.g. a group
 * commit's) skip Kysely's executor and run straight on that connection. Only for instances whose
 * connection is held for as long as they are used: the runner bypasses Kysely's connection mutex.
 */
export function registerDirectRunner(db: object, runner: DirectRunner): void {
  direct.set(db, runner);
}

export function unregisterDirectRunner(db: object): void {
  direct.delete(db);
}

export class Precompiled<DB, V extends readonly unknown[]> {
  readonly #templates = new WeakMap<object, Compiled>();

  /**
   * @param build builds the query from markers standing for the values (in the order of `run`'s
   *   `values`); every marker must reach the compiled query as a parameter, once.
   */
  constructor(
    private readonly arity: number,
    private readonly build: (db: Kysely<DB>, marks: readonly string[]) => { compile(): CompiledQuery },
  ) {}

  run<R = unknown>(db: Kysely<DB>, values: V): Promise<QueryResult<R>> {
    const executor = db.getExecutor();
    let template = this.#templates.get(executor.adapter);
    if (!template) {
      template = this.#compile(db);
      this.#templates.set(executor.adapter, template);
    }
    const { query, order } = template;
    const parameters = new Array<unknown>(order.length);
    for (let i = 0; i < order.length; i++) {
      // As Kysely would have it: a column left undefined is stored as NULL.
      const value = values[order[i] as number];
      parameters[i] = value === undefined ? null : value;
    }
    const compiled = { ...query, parameters };
    const runner = direct.get(db);
    if (runner) {
      try {
        const result = runner(compiled);
        if (result) return Promise.resolve(result as QueryResult<R>);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return db.executeQuery<R>(compiled);
  }

  #compile(db: Kysely<DB>): Compiled {
    const marks = Array.from({ length: this.arity }, (_, i) => `${MARK}${i}`);
    const query = this.build(db, marks).compile();
    const order = query.parameters.map((p) => {
      const i = typeof p === 'string' && p.startsWith(MARK) ? Number(p.slice(MARK.length)) : -1;
      if (!(i >= 0 && i < this.arity))
        throw new Error('precompiled query has a parameter that is not a marker');
      return i;
    });
    if (new Set(order).size !== this.arity || order.length !== this.arity) {
      throw new Error('precompiled query must use every value exactly once');
    }
    return { query, order };
  }
}
