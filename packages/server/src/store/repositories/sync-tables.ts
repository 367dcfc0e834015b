/** Row types of the calendar sync tables (migration 0003_sync); conventions as in ../schema.ts. */
import type { Generated, Kysely } from 'kysely';
import type { LinkKind } from '../../domain/sync/ports.js';
import type { Database } from '../schema.js';

export interface SyncUserTable {
  user_id: string;
  tenant_id: string;
  status: 'active' | 'needs_sign_in' | 'stopped';
  subscription_id: string | null;
  client_state_hash: string | null;
  subscription_expires_at: string | null;
  delta_link_ct: string | null;
  delta_started_at: string | null;
  last_change_at: string | null;
  last_reconciled_at: string | null;
  lease_owner: string | null;
  lease_until: string | null;
  created_at: string;
  updated_at: string;
}

export interface SyncEventTable {
  meeting_id: string;
  tenant_id: string;
  user_id: string;
  event_hash: string;
  event_id_ct: string;
  kind: LinkKind;
  version_ct: string;
  updated_at: string;
}

export interface SyncOccurrenceTable {
  meeting_id: string;
  tenant_id: string;
  occurrence_key: string;
  window_ct: string;
  updated_at: string;
}

export interface JobTable {
  /** The row id (migration 0006); the queue hands it out as a string. */
  id: Generated<number>;
  kind: string;
  payload: string;
  dedupe_key: string | null;
  status: 'ready' | 'running' | 'dead';
  attempts: number;
  max_attempts: number;
  run_at: string;
  locked_by: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export type SyncTables = {
  sync_users: SyncUserTable;
  sync_events: SyncEventTable;
  sync_occurrences: SyncOccurrenceTable;
  jobs: JobTable;
};

export type SyncDatabase = Database & SyncTables;

/** The store's Kysely instance seen with the sync tables too. */
export function withSyncTables(db: Kysely<Database>): Kysely<SyncDatabase> {
  return db.withTables<SyncTables>();
}
