/**
 * The store: one interface over the repositories the domain defines, implemented once with Kysely
 * for both SQLite and PostgreSQL. Domain code sees only these interfaces.
 */
import type { TenantKeyRepository } from '../crypto/envelope.js';
import type { AuditRepository } from '../domain/audit/audit.js';
import type { MeetingRepository } from '../domain/meetings/meeting.js';
import type { TenantRepository } from '../domain/tenants/tenant.js';
import type { AuthFlowRepository, TokenRepository, UserRepository } from '../identity/ports.js';
import type { DialectName } from './database.js';

export interface Repositories {
  readonly tenants: TenantRepository;
  readonly tenantKeys: TenantKeyRepository;
  readonly meetings: MeetingRepository;
  readonly audit: AuditRepository;
  readonly users: UserRepository;
  readonly tokens: TokenRepository;
  readonly authFlow: AuthFlowRepository;
}

export interface Store extends Repositories {
  readonly dialect: DialectName;
  readonly location: string;
  /** Runs `work` in one transaction: all of its writes land, or none. */
  transaction<T>(work: (tx: Repositories) => Promise<T>): Promise<T>;
  /**
   * Throws when the database cannot be reached, or a StoreUnusableError when the store refuses
   * writes for good (SQLite: a failed log sync).
   */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The store can no longer be trusted with writes and refuses them until Roomlink is restarted.
 * Its message is meant for operators (readiness, logs) and holds no personal data.
 */
export class StoreUnusableError extends Error {}
