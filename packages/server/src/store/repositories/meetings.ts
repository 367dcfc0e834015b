import { type Kysely, sql } from 'kysely';
import type {
  InsertOutcome,
  MeetingRepository,
  ProviderRoomRef,
  PurgeExtension,
  Reassignment,
  SeriesConfirmation,
  StoredMeeting,
} from '../../domain/meetings/meeting.js';
import type { DialectName } from '../database.js';
import { Precompiled } from '../precompiled.js';
import type { Database, MeetingTable } from '../schema.js';
import { deleteMeetingAudit } from './retention.js';
import { tablesWithColumn } from './retention-tables.js';

/** Engine meeting ids per query (see findRoomsByProviderRefs). */
const PROVIDER_REFS_PER_QUERY = 500;

const COLUMNS = [
  'id',
  'tenant_id',
  'organizer_id',
  'idempotency_key',
  'provider',
  'status',
  'subject_ct',
  'start_ct',
  'end_ct',
  'recurrence_ct',
  'time_zone',
  'options',
  'slug',
  'conference_id',
  'host_pin_ct',
  'guest_pin_ct',
  'provider_ref',
  'purge_after',
  'series_seen_on',
  'version',
  'created_at',
  'updated_at',
] as const satisfies readonly (keyof MeetingTable)[];

// The two queries of every create, compiled once (see ../precompiled.ts).
// ON CONFLICT DO NOTHING rather than catching the error: on PostgreSQL a failed statement would
// abort the surrounding transaction.
const INSERT = new Precompiled<Database, unknown[]>(COLUMNS.length, (db: Kysely<Database>, marks) =>
  db
    .insertInto('meetings')
    .values(Object.fromEntries(COLUMNS.map((c, i) => [c, marks[i]])) as unknown as MeetingTable)
    .onConflict((oc) => oc.doNothing()),
);
const BY_IDEMPOTENCY_KEY = new Precompiled<Database, [string, string, string]>(
  3,
  (db: Kysely<Database>, [t, o, k]) =>
    db
      .selectFrom('meetings')
      .selectAll()
      .where('tenant_id', '=', t as string)
      .where('organizer_id', '=', o as string)
      .where('idempotency_key', '=', k as string),
);

export class KyselyMeetingRepository implements MeetingRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName,
  ) {}

  async insert(m: StoredMeeting): Promise<InsertOutcome> {
    const row = toRow(m);
    const result = await INSERT.run(
      this.db,
      COLUMNS.map((c) => row[c]),
    );
    return Number(result.numAffectedRows ?? 0n) === 1 ? 'inserted' : 'conflict';
  }

  async findById(tenantId: string, id: string): Promise<StoredMeeting | undefined> {
    const row = await this.db
      .selectFrom('meetings')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row && fromRow(row);
  }

  async findByIdempotencyKey(
    tenantId: string,
    organizerId: string,
    key: string,
  ): Promise<StoredMeeting | undefined> {
    const { rows } = await BY_IDEMPOTENCY_KEY.run<MeetingTable>(this.db, [tenantId, organizerId, key]);
    const row = rows[0];
    return row && fromRow(row);
  }

  async findBySlug(slug: string): Promise<StoredMeeting | undefined> {
    const row = await this.db.selectFrom('meetings').selectAll().where('slug', '=', slug).executeTakeFirst();
    return row && fromRow(row);
  }

  async findRoomsByProviderRefs(provider: string, refs: readonly string[]): Promise<ProviderRoomRef[]> {
    const found: ProviderRoomRef[] = [];
    // In chunks: a list the size of a large engine's must stay under either dialect's parameter limit.
    for (let i = 0; i < refs.length; i += PROVIDER_REFS_PER_QUERY) {
      const rows = await this.db
        .selectFrom('meetings')
        .select(['id', 'slug'])
        .where('provider', '=', provider)
        .where('provider_ref', 'in', refs.slice(i, i + PROVIDER_REFS_PER_QUERY))
        .execute();
      for (const row of rows) found.push({ meetingId: row.id, slug: row.slug });
    }
    return found;
  }

  async update(m: StoredMeeting): Promise<boolean> {
    // series_seen_on belongs to confirmSeries, which does not bump the version: an update that read
    // the row before a confirmation must not write the older day back.
    const { id, tenant_id, series_seen_on: _seen, ...changes } = toRow(m);
    const result = await this.db
      .updateTable('meetings')
      .set(changes)
      .where('tenant_id', '=', tenant_id)
      .where('id', '=', id)
      .where('version', '=', m.version - 1)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async confirmSeries(c: SeriesConfirmation): Promise<boolean> {
    const result = await this.db
      .updateTable('meetings')
      .set({
        series_seen_on: c.seriesSeenOn,
        // Days compare as text (YYYY-MM-DD), on both dialects.
        purge_after: sql<string>`case when purge_after < ${c.purgeAfter} then ${c.purgeAfter} else purge_after end`,
      })
      .where('tenant_id', '=', c.tenantId)
      .where('id', '=', c.id)
      .where('version', '=', c.version)
      .where('status', '=', 'scheduled')
      .where((eb) => eb.or([eb('series_seen_on', 'is', null), eb('series_seen_on', '<', c.seriesSeenOn)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async extendPurgeAfter(e: PurgeExtension): Promise<boolean> {
    const result = await this.db
      .updateTable('meetings')
      .set({ purge_after: e.purgeAfter })
      .where('tenant_id', '=', e.tenantId)
      .where('id', '=', e.id)
      .where('version', '=', e.version)
      .where('status', '=', 'scheduled')
      // Days compare as text (YYYY-MM-DD), on both dialects: a later day already stored stays.
      .where('purge_after', '<', e.purgeAfter)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async reassignFromSignedOut(r: Reassignment): Promise<boolean> {
    // One statement, so the checks hold as it writes: a concurrent reclaim finds the organizer
    // changed, and an erasure of the old user (which deletes its meetings) either runs first, leaving
    // nothing to update, or after. A signed-out row is never made active again (a sign-in creates a
    // new row), so the status check cannot be undone meanwhile.
    const result = await this.db
      .updateTable('meetings')
      .set({ organizer_id: r.toUserId })
      .where('tenant_id', '=', r.tenantId)
      .where('id', '=', r.id)
      .where('organizer_id', '=', r.fromUserId)
      .where('idempotency_key', '=', r.key)
      .where(({ exists, selectFrom, lit }) =>
        exists(
          selectFrom('users')
            .select(lit(1).as('one'))
            .where('users.id', '=', r.fromUserId)
            .where('users.tenant_id', '=', r.tenantId)
            .where('users.status', '=', 'signed_out'),
        ),
      )
      // The caller's own meeting with that key (the unique index would refuse the update anyway, and
      // on PostgreSQL abort the transaction): the item names that one.
      .where(({ not, exists, selectFrom, lit }) =>
        not(
          exists(
            selectFrom('meetings as own')
              .select(lit(1).as('one'))
              .where('own.tenant_id', '=', r.tenantId)
              .where('own.organizer_id', '=', r.toUserId)
              .where('own.idempotency_key', '=', r.key),
          ),
        ),
      )
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /**
   * Deletes the meeting with the rows of other tables that belong to it (by `meeting_id`, e.g.
   * calendar sync's) and its audit trail, as retention's purge does: once the meeting row is gone,
   * nothing could find them any more. Run it in a transaction.
   */
  async delete(tenantId: string, id: string): Promise<boolean> {
    const owned = await this.#lockForDelete(tenantId, id);
    if (!owned) return false;
    for (const table of await tablesWithColumn(this.db, this.dialect, 'meeting_id')) {
      await sql`delete from ${sql.table(table)} where meeting_id = ${id}`.execute(this.db);
    }
    await deleteMeetingAudit(this.db, [id]);
    const result = await this.db.deleteFrom('meetings').where('id', '=', id).executeTakeFirst();
    return Number(result.numDeletedRows) === 1;
  }

  /**
   * The meeting's row, locked before anything that belongs to it is deleted. Calendar sync writes a
   * meeting's rows only in a statement that holds the meeting row (FOR KEY SHARE on PostgreSQL, see
   * sync-state.ts): under READ COMMITTED such a write either commits before this lock is granted,
   * and the dependent deletes below see its rows, or waits for this transaction and then finds no
   * meeting. On SQLite there is one writer at a time: the store's transaction takes the database's
   * write lock at BEGIN (IMMEDIATE, see write-batcher.ts) and sync's write is a single statement.
   */
  #lockForDelete(tenantId: string, id: string): Promise<{ id: string } | undefined> {
    const query = this.db
      .selectFrom('meetings')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id);
    return (this.dialect === 'postgres' ? query.forUpdate() : query).executeTakeFirst();
  }
}

function toRow(m: StoredMeeting): MeetingTable {
  return {
    id: m.id,
    tenant_id: m.tenantId,
    organizer_id: m.organizerId,
    idempotency_key: m.idempotencyKey,
    provider: m.provider,
    status: m.status,
    subject_ct: m.subjectCt,
    start_ct: m.startCt,
    end_ct: m.endCt,
    recurrence_ct: m.recurrenceCt,
    time_zone: m.timeZone,
    options: JSON.stringify(m.options),
    slug: m.slug,
    conference_id: m.conferenceId,
    host_pin_ct: m.hostPinCt,
    guest_pin_ct: m.guestPinCt,
    provider_ref: m.providerRef,
    purge_after: m.purgeAfter,
    series_seen_on: m.seriesSeenOn,
    version: m.version,
    created_at: m.createdAt,
    updated_at: m.updatedAt,
  };
}

function fromRow(r: MeetingTable): StoredMeeting {
  return {
    id: r.id,
    tenantId: r.tenant_id,
    organizerId: r.organizer_id,
    idempotencyKey: r.idempotency_key,
    provider: r.provider,
    status: r.status,
    subjectCt: r.subject_ct,
    startCt: r.start_ct,
    endCt: r.end_ct,
    recurrenceCt: r.recurrence_ct,
    timeZone: r.time_zone,
    options: JSON.parse(r.options),
    slug: r.slug,
    conferenceId: r.conference_id,
    hostPinCt: r.host_pin_ct,
    guestPinCt: r.guest_pin_ct,
    providerRef: r.provider_ref,
    purgeAfter: r.purge_after,
    seriesSeenOn: r.series_seen_on ?? null,
    version: Number(r.version),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}
