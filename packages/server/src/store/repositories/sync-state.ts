/** Kysely implementation of the calendar sync repositories (domain/sync/ports.ts), both dialects. */
import { type Kysely, PostgresAdapter, type RawBuilder, sql } from 'kysely';
import type {
  EventLinkRecord,
  EventLinkRepository,
  OccurrenceRecord,
  OccurrenceRepository,
  SyncStore,
  SyncUserRecord,
  SyncUserRepository,
} from '../../domain/sync/ports.js';
import type { Database } from '../schema.js';
import {
  type SyncDatabase,
  type SyncEventTable,
  type SyncOccurrenceTable,
  type SyncUserTable,
  withSyncTables,
} from './sync-tables.js';

export function kyselySyncStore(db: Kysely<Database>): SyncStore {
  const sdb = withSyncTables(db);
  return {
    users: new KyselySyncUserRepository(sdb),
    links: new KyselyEventLinkRepository(sdb),
    occurrences: new KyselyOccurrenceRepository(sdb),
  };
}

type UserChanges = Omit<SyncUserRecord, 'userId' | 'tenantId' | 'contractEnd'>;

const USER_COLUMNS: Record<keyof UserChanges, keyof SyncUserTable> = {
  status: 'status',
  subscriptionId: 'subscription_id',
  clientStateHash: 'client_state_hash',
  subscriptionExpiresAt: 'subscription_expires_at',
  deltaLinkCt: 'delta_link_ct',
  deltaStartedAt: 'delta_started_at',
  lastChangeAt: 'last_change_at',
  lastReconciledAt: 'last_reconciled_at',
};

export class KyselySyncUserRepository implements SyncUserRepository {
  constructor(private readonly db: Kysely<SyncDatabase>) {}

  async find(userId: string): Promise<SyncUserRecord | undefined> {
    const row = await this.#withContractEnd().where('sync_users.user_id', '=', userId).executeTakeFirst();
    return row && userFromRow(row);
  }

  async findBySubscription(subscriptionId: string): Promise<SyncUserRecord | undefined> {
    const row = await this.#withContractEnd()
      .where('sync_users.subscription_id', '=', subscriptionId)
      .executeTakeFirst();
    return row && userFromRow(row);
  }

  /**
   * The users' rows with their tenant's contract end, read in the same query: sync stops from that
   * day on (SyncUserRecord.contractEnd), whichever process recorded it (`roomlink tenant offboard`).
   */
  #withContractEnd() {
    return this.db
      .selectFrom('sync_users')
      .leftJoin('tenants', 'tenants.id', 'sync_users.tenant_id')
      .selectAll('sync_users')
      .select('tenants.contract_end');
  }

  async activate(userId: string, tenantId: string, now: Date): Promise<boolean> {
    const at = now.toISOString();
    const row: SyncUserTable = {
      user_id: userId,
      tenant_id: tenantId,
      status: 'active',
      subscription_id: null,
      client_state_hash: null,
      subscription_expires_at: null,
      delta_link_ct: null,
      delta_started_at: null,
      last_change_at: null,
      last_reconciled_at: null,
      lease_owner: null,
      lease_until: null,
      created_at: at,
      updated_at: at,
    };
    // As for tokens (KyselyTokenRepository.put): sign-out marks the user before it stops sync, so a
    // sign-in that starts sync after that mark writes nothing; on PostgreSQL FOR SHARE waits for a
    // sign-out's uncommitted mark and then sees it.
    const user = this.db
      .selectFrom('users')
      .select(sql<number>`1`.as('signed_in'))
      .where('id', '=', userId)
      .where('status', '!=', 'signed_out');
    const held = this.db.getExecutor().adapter instanceof PostgresAdapter ? user.forShare() : user;
    const columns = Object.keys(row) as (keyof SyncUserTable)[];
    const result = await this.db
      .insertInto('sync_users')
      .columns(columns)
      .expression(sql`select ${sql.join(columns.map((c) => row[c]))} where exists ${held}`)
      .onConflict((oc) =>
        oc.column('user_id').doUpdateSet((eb) => ({
          status: 'active',
          updated_at: at,
          // Back from needs-sign-in (or stopped): lifecycle notifications were not acted on meanwhile
          // (Graph may have removed the subscription or asked for reauthorization), so the kept
          // subscription is due at once: the subscribe job renews it with the new sign-in, or
          // recreates it if Graph no longer has it.
          subscription_expires_at: eb
            .case()
            .when('sync_users.status', '=', 'active')
            .then(eb.ref('sync_users.subscription_expires_at'))
            .else(null)
            .end(),
        })),
      )
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async update(userId: string, changes: Partial<UserChanges>, now: Date): Promise<void> {
    await this.db
      .updateTable('sync_users')
      .set(columnsOf(changes, now))
      .where('user_id', '=', userId)
      .execute();
  }

  async updateIfActive(userId: string, changes: Partial<UserChanges>, now: Date): Promise<boolean> {
    // One statement against a concurrent stop (`status: 'stopped'`, then a read of the row): the stop
    // commits first and this updates nothing, or this commits first and the stop's read finds what it
    // stored (on PostgreSQL the later of the two row updates waits for the earlier one's commit).
    const result = await this.db
      .updateTable('sync_users')
      .set(columnsOf(changes, now))
      .where('user_id', '=', userId)
      .where('status', '=', 'active')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async remove(userId: string): Promise<void> {
    await this.db.deleteFrom('sync_users').where('user_id', '=', userId).execute();
  }

  async listActive(): Promise<SyncUserRecord[]> {
    const rows = await this.#withContractEnd().where('sync_users.status', '=', 'active').execute();
    return rows.map(userFromRow);
  }

  async acquireLease(userId: string, owner: string, now: Date, ttlMs: number): Promise<boolean> {
    const at = now.toISOString();
    const result = await this.db
      .updateTable('sync_users')
      .set({ lease_owner: owner, lease_until: new Date(now.getTime() + ttlMs).toISOString() })
      .where('user_id', '=', userId)
      .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', at)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async renewLease(userId: string, owner: string, now: Date, ttlMs: number): Promise<boolean> {
    const result = await this.db
      .updateTable('sync_users')
      .set({ lease_until: new Date(now.getTime() + ttlMs).toISOString() })
      .where('user_id', '=', userId)
      .where('lease_owner', '=', owner)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  async releaseLease(userId: string, owner: string): Promise<void> {
    await this.db
      .updateTable('sync_users')
      .set({ lease_owner: null, lease_until: null })
      .where('user_id', '=', userId)
      .where('lease_owner', '=', owner)
      .execute();
  }

  async releaseAllLeases(): Promise<void> {
    await this.db
      .updateTable('sync_users')
      .set({ lease_owner: null, lease_until: null })
      .where('lease_owner', 'is not', null)
      .execute();
  }
}

function columnsOf(changes: Partial<UserChanges>, now: Date): Partial<SyncUserTable> {
  const set: Partial<SyncUserTable> = { updated_at: now.toISOString() };
  for (const [key, value] of Object.entries(changes)) {
    const column = USER_COLUMNS[key as keyof typeof USER_COLUMNS];
    if (column && value !== undefined) (set as Record<string, unknown>)[column] = value;
  }
  return set;
}

function userFromRow(r: SyncUserTable & { contract_end: string | null }): SyncUserRecord {
  return {
    userId: r.user_id,
    tenantId: r.tenant_id,
    status: r.status,
    subscriptionId: r.subscription_id,
    clientStateHash: r.client_state_hash,
    subscriptionExpiresAt: r.subscription_expires_at,
    deltaLinkCt: r.delta_link_ct,
    deltaStartedAt: r.delta_started_at,
    lastChangeAt: r.last_change_at,
    lastReconciledAt: r.last_reconciled_at,
    contractEnd: r.contract_end,
  };
}

export class KyselyEventLinkRepository implements EventLinkRepository {
  constructor(private readonly db: Kysely<SyncDatabase>) {}

  async findByMeeting(meetingId: string): Promise<EventLinkRecord | undefined> {
    const row = await this.db
      .selectFrom('sync_events')
      .selectAll()
      .where('meeting_id', '=', meetingId)
      .executeTakeFirst();
    return row && linkFromRow(row);
  }

  async findByEvent(userId: string, eventHash: string): Promise<EventLinkRecord | undefined> {
    const row = await this.db
      .selectFrom('sync_events')
      .selectAll()
      .where('user_id', '=', userId)
      .where('event_hash', '=', eventHash)
      .executeTakeFirst();
    return row && linkFromRow(row);
  }

  async listByUser(userId: string): Promise<EventLinkRecord[]> {
    const rows = await this.db.selectFrom('sync_events').selectAll().where('user_id', '=', userId).execute();
    return rows.map(linkFromRow);
  }

  async upsert(record: EventLinkRecord, now: Date): Promise<void> {
    const row: SyncEventTable = {
      meeting_id: record.meetingId,
      tenant_id: record.tenantId,
      user_id: record.userId,
      event_hash: record.eventHash,
      event_id_ct: record.eventIdCt,
      kind: record.kind,
      version_ct: record.versionCt,
      updated_at: now.toISOString(),
    };
    const { meeting_id: _id, ...changes } = row;
    await this.db
      .insertInto('sync_events')
      .columns(EVENT_COLUMNS)
      .expression(whileMeetingExists(this.db, record.meetingId, EVENT_COLUMNS, [row]))
      .onConflict((oc) => oc.column('meeting_id').doUpdateSet(changes))
      .execute();
  }

  async remove(meetingId: string): Promise<void> {
    await this.db.deleteFrom('sync_events').where('meeting_id', '=', meetingId).execute();
    await this.db.deleteFrom('sync_occurrences').where('meeting_id', '=', meetingId).execute();
  }

  async removeByUser(userId: string): Promise<void> {
    const meetings = this.db.selectFrom('sync_events').select('meeting_id').where('user_id', '=', userId);
    await this.db.deleteFrom('sync_occurrences').where('meeting_id', 'in', meetings).execute();
    await this.db.deleteFrom('sync_events').where('user_id', '=', userId).execute();
  }
}

function linkFromRow(r: SyncEventTable): EventLinkRecord {
  return {
    meetingId: r.meeting_id,
    tenantId: r.tenant_id,
    userId: r.user_id,
    eventHash: r.event_hash,
    eventIdCt: r.event_id_ct,
    kind: r.kind,
    versionCt: r.version_ct,
  };
}

export class KyselyOccurrenceRepository implements OccurrenceRepository {
  constructor(private readonly db: Kysely<SyncDatabase>) {}

  async list(meetingId: string): Promise<OccurrenceRecord[]> {
    const rows = await this.db
      .selectFrom('sync_occurrences')
      .selectAll()
      .where('meeting_id', '=', meetingId)
      .execute();
    return rows.map((r) => ({
      meetingId: r.meeting_id,
      tenantId: r.tenant_id,
      occurrenceKey: r.occurrence_key,
      windowCt: r.window_ct,
    }));
  }

  /**
   * Writes the new overrides first, then deletes the others: the write checks the meeting (see
   * whileMeetingExists), so on PostgreSQL the meeting row is held before any of its overrides is
   * touched, in the order a meeting delete takes them (the other way round, the two could deadlock).
   */
  async replace(meetingId: string, records: readonly OccurrenceRecord[], now: Date): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      if (records.length > 0) await writeOccurrences(trx, meetingId, records, now);
      await trx
        .deleteFrom('sync_occurrences')
        .where('meeting_id', '=', meetingId)
        .$if(records.length > 0, (q) =>
          q.where(
            'occurrence_key',
            'not in',
            records.map((r) => r.occurrenceKey),
          ),
        )
        .execute();
    });
  }
}

async function writeOccurrences(
  db: Kysely<SyncDatabase>,
  meetingId: string,
  records: readonly OccurrenceRecord[],
  now: Date,
): Promise<void> {
  const rows = records.map(
    (r): SyncOccurrenceTable => ({
      meeting_id: meetingId,
      tenant_id: r.tenantId,
      occurrence_key: r.occurrenceKey,
      window_ct: r.windowCt,
      updated_at: now.toISOString(),
    }),
  );
  await db
    .insertInto('sync_occurrences')
    .columns(OCCURRENCE_COLUMNS)
    .expression(whileMeetingExists(db, meetingId, OCCURRENCE_COLUMNS, rows))
    .onConflict((oc) =>
      oc.columns(['meeting_id', 'occurrence_key']).doUpdateSet((eb) => ({
        tenant_id: eb.ref('excluded.tenant_id'),
        window_ct: eb.ref('excluded.window_ct'),
        updated_at: eb.ref('excluded.updated_at'),
      })),
    )
    .execute();
}

const EVENT_COLUMNS = [
  'meeting_id',
  'tenant_id',
  'user_id',
  'event_hash',
  'event_id_ct',
  'kind',
  'version_ct',
  'updated_at',
] as const satisfies readonly (keyof SyncEventTable)[];

const OCCURRENCE_COLUMNS = [
  'meeting_id',
  'tenant_id',
  'occurrence_key',
  'window_ct',
  'updated_at',
] as const satisfies readonly (keyof SyncOccurrenceTable)[];

/**
 * `rows` as a SELECT that yields them only while the meeting exists, for the INSERT that writes
 * them. A meeting delete deletes what belongs to the meeting, then the meeting
 * (MeetingRepository.delete), and nothing finds rows of a meeting that is gone: sync, which may
 * have read the meeting before the delete, must not write for it afterwards. The check is part of
 * the writing statement: on PostgreSQL it holds the meeting row FOR KEY SHARE until the write
 * commits, and the delete locks that row FOR UPDATE before its dependent deletes, so one of the two
 * waits for the other; on SQLite the statement runs under the database's write lock, which the
 * delete's transaction holds throughout.
 */
function whileMeetingExists<T>(
  db: Kysely<SyncDatabase>,
  meetingId: string,
  columns: readonly (keyof T)[],
  rows: readonly T[],
): RawBuilder<unknown> {
  const meeting = db.selectFrom('meetings').select(sql<number>`1`.as('held')).where('id', '=', meetingId);
  const held = db.getExecutor().adapter instanceof PostgresAdapter ? meeting.forKeyShare() : meeting;
  const values = sql.join(rows.map((row) => sql`(${sql.join(columns.map((c) => row[c]))})`));
  return sql`select * from (values ${values}) as v where exists ${held}`;
}
