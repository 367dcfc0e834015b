/**
 * Time-ordered row ids (UUID version 7: 48-bit millisecond timestamp, then 74 random bits) for
 * append-mostly internal tables (jobs, audit log). With random v4 ids every insert lands on a
 * random leaf of the primary-key index, so a group commit of N rows dirties about N index pages
 * (each written to the log); with time-ordered ids consecutive rows share the right-most pages.
 * Only for rows whose id is an internal handle: ids that clients see stay random (meetings).
 */
import { randomUUID } from 'node:crypto';

export function timeOrderedId(now = Date.now()): string {
  // randomUUID is v4 from a pooled CSPRNG: keep its random bits and variant, put the time in
  // front and set the version nibble to 7.
  const random = randomUUID();
  const time = now.toString(16).padStart(12, '0').slice(-12);
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${random.slice(15)}`;
}
