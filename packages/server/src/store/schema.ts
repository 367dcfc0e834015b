/**
 * Row types of Roomlink's tables, shared by both SQL dialects.
 *
 * Conventions that keep one set of queries valid on SQLite and PostgreSQL:
 * - ids are text (UUIDs or Entra ids), timestamps are ISO-8601 UTC text, booleans are 0/1 integers;
 * - columns ending in `_ct` hold ciphertext produced by the envelope cipher (crypto/), never plaintext.
 */
import type { Generated } from 'kysely';

export interface TenantTable {
  id: string;
  /** JSON text of TenantSettings. Holds policy, never personal data. */
  settings: string;
  contract_end: string | null;
  created_at: string;
  updated_at: string;
}

export interface TenantKeyTable {
  tenant_id: string;
  key_id: string;
  /** The tenant's data key wrapped by the master key `master_key_id`. */
  wrapped_key: string;
  master_key_id: string;
  created_at: string;
}

export interface UserTable {
  id: string;
  tenant_id: string;
  /** Entra object id: the Exchange user id. Kept only while the user is signed in. */
  exchange_id: string | null;
  display_name_ct: string | null;
  upn_ct: string | null;
  status: 'active' | 'needs_sign_in' | 'signed_out';
  is_admin: number;
  /** JSON text of UserSettings. */
  settings: string;
  /** Claims a Graph claims challenge asked for; sent with the next sign-in. */
  pending_claims: string | null;
  last_sign_in_at: string | null;
  created_at: string;
}

export interface UserTokenTable {
  user_id: string;
  tenant_id: string;
  refresh_token_ct: string;
  access_token_ct: string | null;
  access_expires_at: string | null;
  version: number;
  updated_at: string;
}

export interface LoginTransactionTable {
  /** SHA-256 of the random id kept in the browser's cookie. */
  id_hash: string;
  /** Sealed (envelope encryption) under the sign-in key scope, bound to id_hash (migration 0008). */
  state_ct: string;
  nonce_ct: string;
  code_verifier_ct: string;
  purpose: 'addin' | 'browser';
  addin_challenge: string | null;
  expires_at: string;
}

export interface HandoffCodeTable {
  code_hash: string;
  user_id: string;
  tenant_id: string;
  challenge: string;
  expires_at: string;
}

export interface SessionTable {
  token_hash: string;
  user_id: string;
  tenant_id: string;
  kind: 'addin' | 'browser';
  created_at: string;
  expires_at: string;
}

export interface MeetingTable {
  id: string;
  tenant_id: string;
  organizer_id: string;
  idempotency_key: string | null;
  provider: string;
  status: 'scheduled' | 'cancelled';
  subject_ct: string;
  start_ct: string;
  end_ct: string;
  recurrence_ct: string | null;
  time_zone: string | null;
  /** JSON text of MeetingOptions. */
  options: string;
  slug: string;
  conference_id: string;
  host_pin_ct: string;
  guest_pin_ct: string | null;
  /** JSON text the provider needs to find its room again; the built-in provider stores none. */
  provider_ref: string | null;
  /**
   * Day (YYYY-MM-DD) after which retention deletes the row. Kept in clear at day granularity
   * so that retention never has to decrypt times; see docs/privacy.md.
   */
  purge_after: string;
  /**
   * A series with no end: the UTC day (YYYY-MM-DD) calendar sync last saw it in the organizer's
   * calendar; its horizon (and purge day) runs 2 years from there. Clear, day granularity; null when
   * never seen (no sync, or not an open-ended series). Migration 0007.
   */
  series_seen_on: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}

export interface AuditTable {
  id: string;
  tenant_id: string | null;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  /** JSON text with ids and counts only. */
  details: string;
  created_at: string;
}

/**
 * A tenant retention destroyed after its contract ended (migration 0009): its sign-ins are refused
 * until an operator readmits it. The Entra tenant id and dates only.
 */
export interface OffboardedTenantTable {
  id: string;
  /** The contract end day (YYYY-MM-DD) the deletion followed. */
  contract_end: string;
  destroyed_at: string;
}

/**
 * A room's budget of PIN tries, all clients and processes together (migration 0010): counts and
 * times, no PIN, name or address. Deleted with its meeting.
 */
export interface RoomPinFailureTable {
  meeting_id: string;
  failures: number;
  count_started_at: string;
  lockouts: number;
  /** End of the room's last lockout (past or not); null: never locked. */
  locked_until: string | null;
}

export interface Database {
  tenants: TenantTable;
  offboarded_tenants: OffboardedTenantTable;
  tenant_keys: TenantKeyTable;
  users: UserTable;
  user_tokens: UserTokenTable;
  login_transactions: LoginTransactionTable;
  handoff_codes: HandoffCodeTable;
  sessions: SessionTable;
  meetings: MeetingTable;
  room_pin_failures: RoomPinFailureTable;
  audit_log: AuditTable;
}

export type { Generated };
