/**
 * Queries for data-subject requests (export, erasure) and the admin console's views of a tenant's
 * users. Everything is scoped to one tenant except the lookup of a user by id (the CLI's).
 */
import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { DialectName } from '../database.js';
import type { AuditTable, Database, MeetingTable, UserTable } from '../schema.js';
import { deleteMeetingAudit } from './retention.js';
import { inList, tablesWithColumn, timedTransaction } from './retention-tables.js';

export type MeetingRef = Pick<
  MeetingTable,
  'id' | 'tenant_id' | 'organizer_id' | 'status' | 'provider' | 'slug' | 'conference_id' | 'provider_ref'
>;

export interface UserWithCounts extends UserTable {
  readonly meetings: number;
}

export class KyselySubjectRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName,
  ) {}

  async findUser(userId: string): Promise<UserTable | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
  }

  async listUsers(tenantId: string): Promise<UserWithCounts[]> {
    const [users, counts] = await Promise.all([
      this.db
        .selectFrom('users')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .orderBy('created_at')
        .execute(),
      this.db
        .selectFrom('meetings')
        .select(['organizer_id', (eb) => eb.fn.countAll<string | number>().as('n')])
        .where('tenant_id', '=', tenantId)
        .groupBy('organizer_id')
        .execute(),
    ]);
    const byOrganizer = new Map(counts.map((c) => [c.organizer_id, Number(c.n)]));
    return users.map((u) => ({ ...u, meetings: byOrganizer.get(u.id) ?? 0 }));
  }

  async meetingCounts(tenantId: string): Promise<{ scheduled: number; cancelled: number }> {
    const rows = await this.db
      .selectFrom('meetings')
      .select(['status', (eb) => eb.fn.countAll<string | number>().as('n')])
      .where('tenant_id', '=', tenantId)
      .groupBy('status')
      .execute();
    const of = (status: string) => Number(rows.find((r) => r.status === status)?.n ?? 0);
    return { scheduled: of('scheduled'), cancelled: of('cancelled') };
  }

  /** A page (by id) of the meetings a user organises. */
  async meetingsOrganisedBy(
    tenantId: string,
    userId: string,
    afterId: string,
    limit: number,
  ): Promise<MeetingRef[]> {
    return this.db
      .selectFrom('meetings')
      .select([
        'id',
        'tenant_id',
        'organizer_id',
        'status',
        'provider',
        'slug',
        'conference_id',
        'provider_ref',
      ])
      .where('tenant_id', '=', tenantId)
      .where('organizer_id', '=', userId)
      .where('id', '>', afterId)
      .orderBy('id')
      .limit(limit)
      .execute();
  }

  /** Deletes meetings (and rows of other tables that belong to them) in one transaction. */
  async deleteMeetings(tenantId: string, ids: readonly string[]): Promise<{ rows: number; ms: number }> {
    if (ids.length === 0) return { rows: 0, ms: 0 };
    const dependents = await tablesWithColumn(this.db, this.dialect, 'meeting_id');
    const { result, ms } = await timedTransaction(this.db, this.dialect, async (trx) => {
      for (const table of dependents) {
        await sql`delete from ${sql.table(table)} where ${inList('meeting_id', ids)}`.execute(trx);
      }
      const r = await trx
        .deleteFrom('meetings')
        .where('tenant_id', '=', tenantId)
        .where('id', 'in', [...ids])
        .executeTakeFirst();
      await deleteMeetingAudit(trx, ids);
      return Number(r.numDeletedRows);
    });
    return { rows: result, ms };
  }

  /** Audit entries the user made or that are about the user, oldest first. */
  async auditAbout(tenantId: string, userId: string): Promise<AuditTable[]> {
    return this.db
      .selectFrom('audit_log')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where((eb) => eb.or([eb('actor_id', '=', userId), eb('target_id', '=', userId)]))
      .orderBy('created_at')
      .execute();
  }

  async sessionsOf(userId: string): Promise<{ kind: string; created_at: string; expires_at: string }[]> {
    return this.db
      .selectFrom('sessions')
      .select(['kind', 'created_at', 'expires_at'])
      .where('user_id', '=', userId)
      .orderBy('created_at')
      .execute();
  }

  async tokenInfo(
    userId: string,
  ): Promise<{ updated_at: string; access_expires_at: string | null } | undefined> {
    return this.db
      .selectFrom('user_tokens')
      .select(['updated_at', 'access_expires_at'])
      .where('user_id', '=', userId)
      .executeTakeFirst();
  }

  /** How many rows each table with a `user_id` column holds for the user. */
  async rowsHeldFor(userId: string): Promise<Record<string, number>> {
    const tables = await tablesWithColumn(this.db, this.dialect, 'user_id');
    const held: Record<string, number> = {};
    for (const table of tables) {
      const r = await sql<{ n: string | number }>`
        select count(*) as n from ${sql.table(table)} where user_id = ${userId}`.execute(this.db);
      held[table] = Number(r.rows[0]?.n ?? 0);
    }
    return held;
  }

  /** Deletes the user's row and every row of a table with a `user_id` column, in one transaction. */
  async deleteUser(tenantId: string, userId: string): Promise<{ rows: Record<string, number>; ms: number }> {
    const tables = await tablesWithColumn(this.db, this.dialect, 'user_id');
    const { result, ms } = await timedTransaction(this.db, this.dialect, async (trx) => {
      const rows: Record<string, number> = {};
      for (const table of tables) {
        const r = await sql`delete from ${sql.table(table)} where user_id = ${userId}`.execute(trx);
        rows[table] = Number(r.numAffectedRows ?? 0n);
      }
      const user = await trx
        .deleteFrom('users')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', userId)
        .executeTakeFirst();
      rows.users = Number(user.numDeletedRows);
      return rows;
    });
    return { rows: result, ms };
  }
}
