/**
 * Sweeps that re-check what sign-out and expiry should already have removed: signed-out users'
 * identifiers and everything that hangs off them (tokens, sessions, sync subscriptions…), expired
 * sign-in state, and signed-out users with nothing left to their name.
 */
import { ROOM_MEMORY_MS } from '@roomlink/rooms';
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { DialectName } from '../database.js';
import type { Database } from '../schema.js';
import { deleteSome, inList, tablesWithColumn, timedTransaction } from './retention-tables.js';
import { SIGNED_OUT } from './users.js';

/** Per tenant, what a sweep removed: `identifiers` (users whose ids/names were cleared), `users`, or a table's rows. */
export type SweepCounts = Map<string, Map<string, number>>;

export interface SweepBatch {
  /** Users handled in this batch; fewer than the limit means the sweep is done. */
  readonly users: number;
  readonly counts: SweepCounts;
  readonly ms: number;
}

/** Tables whose rows expire on their own (`expires_at`), with no personal content. */
export const EXPIRING_TABLES = ['sessions', 'handoff_codes', 'login_transactions'] as const;

export class KyselySweepRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName,
  ) {}

  /**
   * Accounts that only opened the admin console (identity/sign-in.ts keeps no tokens from such a
   * sign-in), once no session of theirs is valid at `asOf`, who last signed in before `quietSince`
   * (a sign-in writes the user row before the session: a younger row may be one under way) and
   * organize no meeting: Roomlink can do nothing for them, so their rows go outright, with every row
   * naming them. A later sign-in makes a new row, as after sign-out; signing them out instead would
   * leave a nameless "signed out" row per console session in the admin's user list for 3 months.
   * `limit` users at a time.
   */
  async deleteConsoleOnly(asOf: Date, quietSince: Date, limit: number): Promise<SweepBatch> {
    const tables = await tablesWithColumn(this.db, this.dialect, 'user_id');
    const unreachable = (alias: 'users' | 'idle') =>
      sql<boolean>`(${consoleOnly(alias, asOf, quietSince)} and not exists (select 1 from meetings m
        where m.tenant_id = ${sql.ref(`${alias}.tenant_id`)} and m.organizer_id = ${sql.ref(`${alias}.id`)}))`;
    const { result: deleted, ms } = await timedTransaction(this.db, this.dialect, async (trx) => {
      // The row first, checked again as it is deleted (a sign-in meanwhile keeps it); then what names it.
      const rows = await trx
        .deleteFrom('users')
        .where(unreachable('users'))
        .where('id', 'in', (eb) =>
          eb.selectFrom('users as idle').select('idle.id').where(unreachable('idle')).limit(limit),
        )
        .returning(['id', 'tenant_id'])
        .execute();
      const ids = rows.map((r) => r.id);
      if (ids.length > 0) {
        for (const table of tables) {
          await sql`delete from ${sql.table(table)} where ${inList('user_id', ids)}`.execute(trx);
        }
      }
      return rows;
    });
    const counts: SweepCounts = new Map();
    for (const row of deleted) count(counts, row.tenant_id, 'users');
    return { users: deleted.length, counts, ms };
  }

  /**
   * Users Microsoft no longer lets Roomlink act for (needs sign-in: their refresh token was refused,
   * as when an account is disabled after someone leaves, and their tokens deleted) who hold no
   * session still valid at `asOf`: nothing of Roomlink's reaches them until they sign in again, and
   * their Exchange id serves nothing meanwhile. An account that only opened the admin console and
   * that `deleteConsoleOnly` kept (it organizes meetings) goes the same way. They are marked signed
   * out with their identifiers cleared, as sign-out does; the signed-out sweep then deletes
   * everything else of theirs. A later sign-in is a sign-in afresh, as after sign-out. `limit` users
   * at a time.
   *
   * So is a dormant user: active, no session valid at `asOf`, no sign-in since `quietSince`, and no
   * meeting left that they organize. Someone who stopped using Roomlink without signing out (the
   * add-in removed, a new job) would otherwise keep their Exchange id, tokens and calendar
   * subscription for ever. Their next use of the add-in needs a sign-in anyway (their session
   * ended), and calendar sync follows only their meetings, of which none is left.
   */
  async signOutLapsed(asOf: Date, quietSince: Date, limit: number): Promise<SweepBatch> {
    // Checked on the row written too (PostgreSQL re-reads a row another transaction changed), so
    // that a user who signed in meanwhile (a new session, new tokens) keeps their row.
    const lapsed = (alias: 'users' | 'lapsed') => sql<boolean>`(
      (${sql.ref(`${alias}.status`)} = 'needs_sign_in' and ${noSessionLeft(alias, asOf)})
      or ${consoleOnly(alias, asOf, quietSince)}
      or ${dormant(alias, asOf, quietSince)})`;
    const { result: signedOut, ms } = await timedTransaction(this.db, this.dialect, (trx) =>
      trx
        .updateTable('users')
        .set(SIGNED_OUT)
        .where(lapsed('users'))
        .where('id', 'in', (eb) =>
          eb.selectFrom('users as lapsed').select('lapsed.id').where(lapsed('lapsed')).limit(limit),
        )
        .returning(['id', 'tenant_id'])
        .execute(),
    );
    const counts: SweepCounts = new Map();
    for (const row of signedOut) count(counts, row.tenant_id, 'users');
    return { users: signedOut.length, counts, ms };
  }

  /**
   * Signed-out users who still have an Exchange id, a name, pending claims or any row in a table
   * with a `user_id` column: clears the first and deletes the rows, `limit` users at a time.
   */
  async sweepSignedOut(limit: number): Promise<SweepBatch> {
    const tables = await tablesWithColumn(this.db, this.dialect, 'user_id');
    const residue = [
      sql`users.exchange_id is not null`,
      sql`users.display_name_ct is not null`,
      sql`users.upn_ct is not null`,
      sql`users.pending_claims is not null`,
      ...tables.map((t) => sql`exists (select 1 from ${sql.table(t)} x where x.user_id = users.id)`),
    ];
    const users = await this.db
      .selectFrom('users')
      .select(['id', 'tenant_id'])
      .where('status', '=', 'signed_out')
      .where(sql<boolean>`(${sql.join(residue, sql` or `)})`)
      .limit(limit)
      .execute();
    if (users.length === 0) return { users: 0, counts: new Map(), ms: 0 };
    const tenantOf = new Map(users.map((u) => [u.id, u.tenant_id]));
    const ids = [...tenantOf.keys()];
    const { result, ms } = await timedTransaction(this.db, this.dialect, async (trx) => {
      const counts: SweepCounts = new Map();
      for (const table of tables) {
        const removed = await sql<{ user_id: string }>`
          delete from ${sql.table(table)} where ${inList('user_id', ids)} returning user_id`.execute(trx);
        for (const row of removed.rows) count(counts, tenantOf.get(row.user_id) as string, table);
      }
      const cleared = await trx
        .updateTable('users')
        .set({ exchange_id: null, display_name_ct: null, upn_ct: null, pending_claims: null })
        .where('id', 'in', ids)
        .where('status', '=', 'signed_out')
        .where((eb) =>
          eb.or([
            eb('exchange_id', 'is not', null),
            eb('display_name_ct', 'is not', null),
            eb('upn_ct', 'is not', null),
            eb('pending_claims', 'is not', null),
          ]),
        )
        .returning(['id', 'tenant_id'])
        .execute();
      for (const row of cleared) count(counts, row.tenant_id, 'identifiers');
      return counts;
    });
    return { users: users.length, counts: result, ms };
  }

  /** Deletes up to `limit` rows of `table` that expired at or before `at`. */
  async deleteExpired(
    table: (typeof EXPIRING_TABLES)[number],
    at: Date,
    limit: number,
  ): Promise<{ rows: number; ms: number }> {
    const { result, ms } = await timedTransaction(this.db, this.dialect, (trx) =>
      deleteSome(trx, this.dialect, table, sql`expires_at <= ${at.toISOString()}`, limit),
    );
    return { rows: result, ms };
  }

  /**
   * Deletes up to `limit` rooms' PIN budgets (`room_pin_failures`) that count for nothing at `asOf`
   * (the rooms package's roomPinRecordSpent): no try counted, or the count started a day ago or
   * more, and no lockout that ended less than a day ago. The room then answers the next PIN exactly
   * as with no row; the row would only keep, in clear, times at which the room was open. A try given
   * back deletes the row it leaves spent (room-pin-failures.ts); this deletes the rows of wrong PINs
   * once they no longer count. A take racing with this delete is not lost: the condition is checked
   * again by the delete itself, which on PostgreSQL re-reads a row a take changed meanwhile (and then
   * leaves it, as it counts again); on SQLite the two cannot overlap.
   */
  async deleteSpentPinTries(asOf: Date, limit: number): Promise<{ rows: number; ms: number }> {
    const dayAgo = new Date(asOf.getTime() - ROOM_MEMORY_MS).toISOString();
    const spent = sql`(failures = 0 or count_started_at <= ${dayAgo})
      and (locked_until is null or locked_until <= ${dayAgo})`;
    const { result, ms } = await timedTransaction(this.db, this.dialect, async (trx) => {
      const r = await sql`delete from room_pin_failures where ${spent} and meeting_id in
        (select meeting_id from room_pin_failures where ${spent} limit ${limit})`.execute(trx);
      return Number(r.numAffectedRows ?? 0n);
    });
    return { rows: result, ms };
  }

  /**
   * Signed-out users with no meeting left whose last sign-in (or creation) is before `cutoff`:
   * nothing can reach these rows any more (a later sign-in creates a new user), so they go.
   */
  async deleteIdleSignedOut(cutoff: Date, limit: number): Promise<SweepBatch> {
    const tables = await tablesWithColumn(this.db, this.dialect, 'user_id');
    const users = await this.db
      .selectFrom('users')
      .select(['id', 'tenant_id'])
      .where('status', '=', 'signed_out')
      .where(sql<boolean>`coalesce(users.last_sign_in_at, users.created_at) <= ${cutoff.toISOString()}`)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('meetings')
              .select(sql`1`.as('one'))
              .whereRef('meetings.tenant_id', '=', 'users.tenant_id')
              .whereRef('meetings.organizer_id', '=', 'users.id'),
          ),
        ),
      )
      .limit(limit)
      .execute();
    if (users.length === 0) return { users: 0, counts: new Map(), ms: 0 };
    const ids = users.map((u) => u.id);
    const { ms } = await timedTransaction(this.db, this.dialect, async (trx) => {
      for (const table of tables) {
        await sql`delete from ${sql.table(table)} where ${inList('user_id', ids)}`.execute(trx);
      }
      await trx.deleteFrom('users').where('id', 'in', ids).where('status', '=', 'signed_out').execute();
    });
    const counts: SweepCounts = new Map();
    for (const u of users) count(counts, u.tenant_id, 'users');
    return { users: users.length, counts, ms };
  }
}

type UserAlias = 'users' | 'lapsed' | 'idle';

/** No session of the user (the `users` row under `alias`) is valid at `asOf`. */
function noSessionLeft(alias: UserAlias, asOf: Date) {
  return sql<boolean>`not exists (select 1 from sessions s
    where s.user_id = ${sql.ref(`${alias}.id`)} and s.expires_at > ${asOf.toISOString()})`;
}

/**
 * An account that only opened the admin console, its session ended: active, no tokens, no session
 * valid at `asOf`, and a last sign-in before `quietSince`.
 */
function consoleOnly(alias: UserAlias, asOf: Date, quietSince: Date) {
  return sql<boolean>`(${sql.ref(`${alias}.status`)} = 'active'
    and coalesce(${sql.ref(`${alias}.last_sign_in_at`)}, ${sql.ref(`${alias}.created_at`)}) < ${quietSince.toISOString()}
    and not exists (select 1 from user_tokens t where t.user_id = ${sql.ref(`${alias}.id`)})
    and ${noSessionLeft(alias, asOf)})`;
}

/** An active user with no session valid at `asOf`, no sign-in since `quietSince` and no meeting left. */
function dormant(alias: UserAlias, asOf: Date, quietSince: Date) {
  return sql<boolean>`(${sql.ref(`${alias}.status`)} = 'active'
    and coalesce(${sql.ref(`${alias}.last_sign_in_at`)}, ${sql.ref(`${alias}.created_at`)}) < ${quietSince.toISOString()}
    and ${noSessionLeft(alias, asOf)}
    and not exists (select 1 from meetings m
      where m.tenant_id = ${sql.ref(`${alias}.tenant_id`)} and m.organizer_id = ${sql.ref(`${alias}.id`)}))`;
}

function count(counts: SweepCounts, tenantId: string, what: string): void {
  let perTenant = counts.get(tenantId);
  if (!perTenant) {
    perTenant = new Map();
    counts.set(tenantId, perTenant);
  }
  perTenant.set(what, (perTenant.get(what) ?? 0) + 1);
}
