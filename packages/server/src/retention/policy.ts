/**
 * How long Roomlink keeps what (docs/privacy.md states the same promises for people):
 * - meeting metadata: 3 calendar months after the meeting (or series) ends, or fewer days if the
 *   tenant chose so (see domain/meetings/window.ts, which stores the purge day with each meeting);
 * - a tenant's personal and account data: 6 calendar months after its contract ends;
 * - signed-out users: identifiers and tokens at once; the user row once none of their meetings are
 *   left and the metadata period has passed;
 * - an account that only opened the admin console (no tokens): its row, once its session has ended.
 */
import { addMonthsClamped, MIN_RETENTION_DAYS } from '../domain/meetings/window.js';

export const METADATA_RETENTION_MONTHS = 3;
export const ACCOUNT_RETENTION_MONTHS = 6;

/**
 * The longest retention a tenant may choose, in days. Three calendar months are 89 days at the
 * shortest (1 February to 1 May), so 89 is the longest number of days that never exceeds them.
 */
export const MAX_TENANT_RETENTION_DAYS = 89;
/** Fewer could purge a meeting while its room is still open (window.ts, MIN_RETENTION_DAYS). */
export const MIN_TENANT_RETENTION_DAYS = MIN_RETENTION_DAYS;

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** The UTC calendar day of an instant, as stored in `meetings.purge_after`. */
export function utcDay(instant: Date): string {
  return instant.toISOString().slice(0, 10);
}

/** Parses YYYY-MM-DD strictly (no 2026-02-30); returns midnight UTC or undefined. */
export function parseDay(value: string): Date | undefined {
  const match = DAY.exec(value);
  if (!match) return undefined;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return utcDay(date) === value ? date : undefined;
}

/** The day a tenant's account data is deleted: 6 months after its contract end day. */
export function accountPurgeDay(contractEnd: string): string {
  const end = parseDay(contractEnd);
  if (!end) throw new RangeError(`contract end "${contractEnd}" is not a YYYY-MM-DD day`);
  return utcDay(addMonthsClamped(end, ACCOUNT_RETENTION_MONTHS));
}

/**
 * How long after a sign-in retention leaves alone an active user with no tokens and no session: a
 * sign-in writes the user's row before their session, and must not find them signed out between.
 */
export const SIGN_IN_SETTLE_MS = 60 * 60_000;

/** The instant before which a signed-out user's last sign-in must lie for the row to be deleted. */
export function idleUserCutoff(asOf: Date): Date {
  return addMonthsClamped(asOf, -METADATA_RETENTION_MONTHS);
}

export function isValidRetentionDays(days: number | null): boolean {
  return (
    days === null ||
    (Number.isInteger(days) && days >= MIN_TENANT_RETENTION_DAYS && days <= MAX_TENANT_RETENTION_DAYS)
  );
}
