import type { Kysely } from 'kysely';
import type { AuditEntry, AuditRecord, AuditRepository } from '../../domain/audit/audit.js';
import { timeOrderedId } from '../../domain/ids.js';
import { Precompiled } from '../precompiled.js';
import type { Database } from '../schema.js';

// Written with every change: compiled once (see ../precompiled.ts).
const APPEND = new Precompiled<Database, unknown[]>(8, (db: Kysely<Database>, m) =>
  db.insertInto('audit_log').values({
    id: m[0] as string,
    tenant_id: m[1] as string,
    actor_id: m[2] as string,
    action: m[3] as string,
    target_type: m[4] as string,
    target_id: m[5] as string,
    details: m[6] as string,
    created_at: m[7] as string,
  }),
);

/**
 * Where a page of the audit log ends: the last entry's createdAt and id, `<createdAt>_<id>` (the
 * admin API's `next`). Entries share a createdAt (a retention run writes all of its entries with
 * the run's time), so the id breaks ties: pages are in (created_at, id) order, newest first, and
 * the next page starts strictly after the cursor. The id's own time prefix is not relied on
 * (retention's entries have random ids).
 */
export function auditCursor(entry: Pick<AuditRecord, 'createdAt' | 'id'>): string {
  return `${entry.createdAt}${CURSOR_SEPARATOR}${entry.id}`;
}

/** Neither an ISO 8601 time nor a UUID holds it. */
const CURSOR_SEPARATOR = '_';

/**
 * `before` is a cursor from auditCursor, or a bare createdAt (the API's earlier cursor, still
 * accepted): then entries strictly older than it.
 */
function parseCursor(before: string): { createdAt: string; id?: string } {
  const at = before.indexOf(CURSOR_SEPARATOR);
  return at < 0 ? { createdAt: before } : { createdAt: before.slice(0, at), id: before.slice(at + 1) };
}

export class KyselyAuditRepository implements AuditRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async append(entry: AuditEntry, now: Date): Promise<void> {
    await APPEND.run(this.db, [
      timeOrderedId(),
      entry.tenantId,
      entry.actorId,
      entry.action,
      entry.targetType ?? null,
      entry.targetId ?? null,
      JSON.stringify(entry.details ?? {}),
      now.toISOString(),
    ]);
  }

  async list(tenantId: string | null, options: { limit: number; before?: string }): Promise<AuditRecord[]> {
    let query = this.db
      .selectFrom('audit_log')
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(options.limit);
    query =
      tenantId === null ? query.where('tenant_id', 'is', null) : query.where('tenant_id', '=', tenantId);
    if (options.before) {
      const { createdAt, id } = parseCursor(options.before);
      query =
        id === undefined
          ? query.where('created_at', '<', createdAt)
          : query.where((eb) =>
              eb.or([
                eb('created_at', '<', createdAt),
                eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)]),
              ]),
            );
    }
    const rows = await query.execute();
    return rows.map((r) => ({
      id: r.id,
      tenantId: r.tenant_id,
      actorId: r.actor_id,
      action: r.action as AuditRecord['action'],
      ...(r.target_type ? { targetType: r.target_type } : {}),
      ...(r.target_id ? { targetId: r.target_id } : {}),
      details: JSON.parse(r.details),
      createdAt: r.created_at,
    }));
  }
}
