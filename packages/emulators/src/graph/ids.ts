/**
 * Event ids. Outlook has two id formats: the default REST id, which changes when an item moves, and
 * the immutable id a client gets with `Prefer: IdType="ImmutableId"`. Both are opaque, case-sensitive,
 * URL-safe base64 with padding. The emulator encodes the item key (and, for occurrences, the original
 * start) so ids need no lookup table, and accepts either format in URLs, as Graph does.
 */
import { randomBytes } from 'node:crypto';

export type IdType = 'rest' | 'immutable';

/** Which stored item (and which occurrence of a series) an id names. */
export interface EventRef {
  /** 32 hex characters. */
  key: string;
  /** Original start of an occurrence or exception of the series `key`. */
  occurrenceStart?: number;
}

const PREFIX: Readonly<Record<IdType, string>> = { rest: 'AAMkA', immutable: 'AAkAL' };
const ITEM = 1;
const OCCURRENCE = 2;

const toUrlSafe = (b64: string): string => b64.replaceAll('+', '-').replaceAll('/', '_');
const fromUrlSafe = (b64: string): string => b64.replaceAll('-', '+').replaceAll('_', '/');

export function newItemKey(): string {
  return randomBytes(16).toString('hex');
}

export function encodeEventId(ref: EventRef, idType: IdType): string {
  const isOccurrence = ref.occurrenceStart !== undefined;
  const bytes = Buffer.alloc(isOccurrence ? 25 : 17);
  bytes[0] = isOccurrence ? OCCURRENCE : ITEM;
  Buffer.from(ref.key, 'hex').copy(bytes, 1);
  if (isOccurrence) bytes.writeBigInt64BE(BigInt(ref.occurrenceStart as number), 17);
  return PREFIX[idType] + toUrlSafe(bytes.toString('base64'));
}

/** The item an id names, or undefined when the id is not one this emulator issued. */
export function decodeEventId(id: string): EventRef | undefined {
  const prefix = id.slice(0, 5);
  if (prefix !== PREFIX.rest && prefix !== PREFIX.immutable) return undefined;
  const body = fromUrlSafe(id.slice(5));
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) return undefined;
  const bytes = Buffer.from(body, 'base64');
  if (bytes[0] === ITEM && bytes.length === 17) return { key: bytes.subarray(1, 17).toString('hex') };
  if (bytes[0] === OCCURRENCE && bytes.length === 25) {
    return { key: bytes.subarray(1, 17).toString('hex'), occurrenceStart: Number(bytes.readBigInt64BE(17)) };
  }
  return undefined;
}

/** Stable string for an instance, used as a key in delta snapshots. */
export function refKey(ref: EventRef): string {
  return ref.occurrenceStart === undefined ? ref.key : `${ref.key}:${ref.occurrenceStart}`;
}

export function parseRefKey(value: string): EventRef {
  const [key, start] = value.split(':');
  return start === undefined
    ? { key: key as string }
    : { key: key as string, occurrenceStart: Number(start) };
}

/** A new changeKey, which Graph also uses as the weak ETag (`W/"<changeKey>"`). */
export function newChangeKey(): string {
  return randomBytes(18).toString('base64');
}

/**
 * An iCalUId in the shape of Exchange's Global Object ID: a fixed class id, four bytes that hold the
 * instance date for occurrences (zero for the master), a creation FILETIME and a random UID.
 */
export function newICalUId(createdAt: number): string {
  const fileTime = (BigInt(createdAt) + 11_644_473_600_000n) * 10_000n;
  const time = Buffer.alloc(8);
  time.writeBigUInt64LE(fileTime);
  const uid = randomBytes(16);
  const size = Buffer.alloc(4);
  size.writeUInt32LE(uid.length);
  return `040000008200E00074C5B7101A82E00800000000${time.toString('hex')}0000000000000000${size.toString('hex')}${uid.toString('hex')}`.toUpperCase();
}

/** The iCalUId Graph gives one occurrence: the master's with the instance date filled in. */
export function occurrenceICalUId(masterICalUId: string, year: number, month: number, day: number): string {
  const date = Buffer.alloc(4);
  date.writeUInt16BE(year);
  date[2] = month;
  date[3] = day;
  return masterICalUId.slice(0, 32) + date.toString('hex').toUpperCase() + masterICalUId.slice(40);
}
