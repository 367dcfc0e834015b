import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditEntry, AuditRecord, AuditRepository } from '../../domain/audit/audit.js';
import type { Database } from '../schema.js';

export class KyselyAuditRepository implements AuditRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async append(entry: AuditEntry, now: Date): Promise<void> {
    await this.db
      .insertInto('audit_log')
      .values({
        id: randomUUID(),
        tenant_id: entry.tenantId,
        actor_id: entry.actorId,
        action: entry.action,
        target_type: entry.targetType ?? null,
        target_id: entry.targetId ?? null,
        details: JSON.stringify(entry.details ?? {}),
        created_at: now.toISOString(),
      })
      .execute();
  }

  async list(tenantId: string | null, options: { limit: number; before?: string }): Promise<AuditRecord[]> {
    let query = this.db
      .selectFrom('audit_log')
      .selectAll()
      .orderBy('created_at', 'desc')
      .limit(options.limit);
    query =
      tenantId === null ? query.where('tenant_id', 'is', null) : query.where('tenant_id', '=', tenantId);
    if (options.before) query = query.where('created_at', '<', options.before);
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
