/**
 * Each room's budget of PIN tries in the database (migration 0010), for the built-in rooms'
 * PinFailureLedger: every server process on the database spends the same budget, and a restart
 * forgives nothing. A try is one statement, atomic on both dialects (PostgreSQL's upsert locks the
 * row; SQLite has one writer), so two processes trying at once both count. The rules are the rooms
 * package's (takeRoomTry, in lockout.ts), here in SQL; a test holds both to the same answers.
 */
import {
  lockoutLengths,
  type PinFailureLedger,
  type RoomPinPolicy,
  type RoomPinTake,
  takeRoomTry,
} from '@roomlink/rooms';
import { type Kysely, type RawBuilder, sql } from 'kysely';
import type { Database } from '../schema.js';
import { type WriteBatcher, writeBatcherOf } from '../write-batcher.js';

export class KyselyRoomPinFailureRepository implements PinFailureLedger {
  /** SQLite: a try is group-committed with other writes (one log sync for many), see write-batcher.ts. */
  readonly #batcher: WriteBatcher<Kysely<Database>> | undefined;

  constructor(private readonly db: Kysely<Database>) {
    this.#batcher = writeBatcherOf(db);
  }

  async take(meetingId: string, now: number, policy: RoomPinPolicy): Promise<RoomPinTake | null> {
    const at = iso(now);
    let row: { failures: number; locked_until: string | null } | undefined;
    try {
      row = await this.#write(
        async (db) => (await takeStatement(meetingId, now, policy).execute(db)).rows[0],
      );
    } catch (error) {
      // The meeting was deleted between the insert's read of it and its foreign key check.
      if (foreignKeyViolation(error)) return null;
      throw error;
    }
    if (row) {
      const lockedUntil = row.locked_until === null ? 0 : Date.parse(row.locked_until);
      // Not locked before this try (the statement's condition): a lockout now is this try's.
      return lockedUntil > now
        ? { taken: true, remaining: 0, lockedForMs: lockedUntil - now }
        : { taken: true, remaining: policy.attempts - row.failures, lockedForMs: 0 };
    }
    // Nothing written: the room's PINs are locked, or its meeting is gone.
    const held = await this.db
      .selectFrom('room_pin_failures')
      .select('locked_until')
      .where('meeting_id', '=', meetingId)
      .executeTakeFirst();
    if (!held) return null;
    if (held.locked_until === null || held.locked_until <= at)
      throw new Error('room PIN budget neither counted a try nor was locked');
    return { taken: false, retryAfterMs: Date.parse(held.locked_until) - now };
  }

  /**
   * refundRoomTry in SQL: the row goes if it then counts for nothing (roomPinRecordSpent), else its
   * count goes down by one. Three statements, each atomic, each checking its condition on the row as
   * it is when it writes (PostgreSQL re-reads a row another transaction changed meanwhile before it
   * deletes or updates it; SQLite has one writer, and there the three run as one unit anyway):
   *
   * 1. Delete the row if, this try given back, it counts for nothing: at most this try in its count
   *    (failures <= 1: the try being given back is still counted), or its count a day old; and no
   *    lockout that ended less than a day ago. Such a row answers every later take as no row does,
   *    so a take another process makes just after finds no row and counts a first try, as it would
   *    have counted against the row; a take just before makes failures 2 (or locks the room), and
   *    the delete leaves the row alone.
   * 2. Otherwise, one try fewer (unless the count is 0: this try locked the room, the lockout stays).
   *    A count back at 0 takes the lockout's end as its start (see refundRoomTry).
   * 3. If that left a row that counts for nothing (another process gave a try back between 1 and 2,
   *    so neither delete saw the row at 1), delete it: now only with failures = 0, since the try
   *    given back no longer counts, and a take made meanwhile must not go with it.
   *
   * A take is never lost: only a row that counts for nothing is ever deleted, as it is at that
   * instant. What may stay, if a process stops between 2 and 3, is a row that counts for nothing:
   * retention's sweep deletes it (retention-sweeps.ts, deleteSpentPinTries).
   */
  async refund(meetingId: string, now: number, policy: RoomPinPolicy): Promise<void> {
    const dayAgo = iso(now - policy.memoryMs);
    const deleteIfSpent = async (db: Kysely<Database>, counted: 0 | 1) => {
      const result = await db
        .deleteFrom('room_pin_failures')
        .where('meeting_id', '=', meetingId)
        .where((eb) =>
          eb.and([
            eb.or([eb('failures', '<=', counted), eb('count_started_at', '<=', dayAgo)]),
            eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', dayAgo)]),
          ]),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows) > 0;
    };
    const giveBack = async (db: Kysely<Database>) => {
      if (await deleteIfSpent(db, 1)) return;
      const after = await db
        .updateTable('room_pin_failures')
        .set((eb) => ({
          failures: eb('failures', '-', 1),
          count_started_at: sql<string>`case when ${sql.ref('failures')} = 1
            then coalesce(${sql.ref('locked_until')}, ${sql.ref('count_started_at')})
            else ${sql.ref('count_started_at')} end`,
        }))
        .where('meeting_id', '=', meetingId)
        .where('failures', '>', 0)
        .returning(['failures', 'count_started_at', 'locked_until'])
        .executeTakeFirst();
      if (
        after &&
        (after.failures === 0 || after.count_started_at <= dayAgo) &&
        (after.locked_until === null || after.locked_until <= dayAgo)
      )
        await deleteIfSpent(db, 0);
    };
    // SQLite: one unit of the write batcher (its own savepoint), so no other writer comes between.
    await (this.#batcher ? this.#batcher.run(giveBack) : giveBack(this.db));
  }

  #write<T>(statement: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    return this.#batcher ? this.#batcher.run(statement, { singleStatement: true }) : statement(this.db);
  }
}

/**
 * takeRoomTry as one upsert: the first try of a room inserts its row (only while its meeting exists);
 * a later one updates it from its values before the try, unless the room's PINs are locked at `now`,
 * when nothing is written and nothing returned. Timestamps are ISO-8601 text, which both dialects
 * compare in time order; lockout ends are computed here, one per possible length.
 */
function takeStatement(
  meetingId: string,
  now: number,
  policy: RoomPinPolicy,
): RawBuilder<{ failures: number; locked_until: string | null }> {
  const at = iso(now);
  const dayAgo = iso(now - policy.memoryMs);
  const lengths = lockoutLengths(policy);
  const column = (name: string) => sql.ref(`room_pin_failures.${name}`);
  // As the row is before this try.
  const fresh = sql`(${column('failures')} = 0 or ${column('count_started_at')} <= ${dayAgo})`;
  const count = sql`(case when ${fresh} then 1 else ${column('failures')} + 1 end)`;
  const inRow = sql`(case when ${column('locked_until')} > ${dayAgo} then ${column('lockouts')} else 0 end)`;
  const last = sql`${count} >= ${policy.attempts}`;
  const ends = lengths.slice(0, -1).map((length, i) => sql`when ${i} then ${iso(now + length)}`);
  const end = sql`(case ${inRow} ${sql.join(ends, sql` `)} else ${iso(now + (lengths.at(-1) as number))} end)`;
  // A room's first try.
  const first = takeRoomTry(undefined, now, policy).record;
  const firstLockedUntil = first.lockedUntil === null ? null : iso(first.lockedUntil);
  return sql<{ failures: number; locked_until: string | null }>`
    insert into room_pin_failures (meeting_id, failures, count_started_at, lockouts, locked_until)
    select id, cast(${first.failures} as integer), ${at}, cast(${first.lockouts} as integer),
      cast(${firstLockedUntil} as text)
    from meetings where id = ${meetingId}
    on conflict (meeting_id) do update set
      failures = case when ${last} then 0 else ${count} end,
      count_started_at = case when ${fresh} then ${at} else ${column('count_started_at')} end,
      lockouts = case when ${last} then ${inRow} + 1 else ${inRow} end,
      locked_until = case when ${last} then ${end} else ${column('locked_until')} end
    where ${column('locked_until')} is null or ${column('locked_until')} <= ${at}
    returning failures, locked_until`;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** PostgreSQL's foreign_key_violation; SQLite's SQLITE_CONSTRAINT_FOREIGNKEY. */
function foreignKeyViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}
