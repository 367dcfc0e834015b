/**
 * Time handling the way Graph does it: `dateTimeTimeZone` values are wall-clock times in a named zone
 * (Windows names such as 'Pacific Standard Time' or IANA names), timestamps are UTC with seven
 * fractional digits. Internally every instant is epoch milliseconds.
 *
 * Zone arithmetic is done with a Temporal implementation, on purpose not the way the server does it
 * (packages/server/src/domain/sync/time-zones.ts): the emulator is the sync tests' oracle, and code
 * shared by both sides would hide a bug they had in common.
 */
import { Temporal } from 'temporal-polyfill';
import { GraphError } from './errors.js';

/** Windows zone ids Outlook commonly uses, mapped to IANA (CLDR windowsZones, territory 001). */
const WINDOWS_TO_IANA: Readonly<Record<string, string>> = {
  UTC: 'UTC',
  'Dateline Standard Time': 'Etc/GMT+12',
  'Hawaiian Standard Time': 'Pacific/Honolulu',
  'Alaskan Standard Time': 'America/Anchorage',
  'Pacific Standard Time': 'America/Los_Angeles',
  'US Mountain Standard Time': 'America/Phoenix',
  'Mountain Standard Time': 'America/Denver',
  'Central Standard Time': 'America/Chicago',
  'Eastern Standard Time': 'America/New_York',
  'Atlantic Standard Time': 'America/Halifax',
  'E. South America Standard Time': 'America/Sao_Paulo',
  'GMT Standard Time': 'Europe/London',
  'Greenwich Standard Time': 'Atlantic/Reykjavik',
  'W. Europe Standard Time': 'Europe/Berlin',
  'Romance Standard Time': 'Europe/Paris',
  'Central Europe Standard Time': 'Europe/Budapest',
  'Central European Standard Time': 'Europe/Warsaw',
  'E. Europe Standard Time': 'Europe/Chisinau',
  'FLE Standard Time': 'Europe/Kiev',
  'GTB Standard Time': 'Europe/Bucharest',
  'Russian Standard Time': 'Europe/Moscow',
  'Israel Standard Time': 'Asia/Jerusalem',
  'South Africa Standard Time': 'Africa/Johannesburg',
  'Arabian Standard Time': 'Asia/Dubai',
  'India Standard Time': 'Asia/Calcutta',
  'China Standard Time': 'Asia/Shanghai',
  'Singapore Standard Time': 'Asia/Singapore',
  'Tokyo Standard Time': 'Asia/Tokyo',
  'Korea Standard Time': 'Asia/Seoul',
  'AUS Eastern Standard Time': 'Australia/Sydney',
  'New Zealand Standard Time': 'Pacific/Auckland',
};

/**
 * Answers of the pure zone functions below, per zone. Every calendarView, delta page and instances
 * request expands its series again, so the same few thousand conversions repeat, and one through the
 * Temporal polyfill costs tens of microseconds. Cleared whole when full: the bound is on memory in a
 * long-running sandbox, not on hit rate.
 */
class ZoneMemo<V> {
  private readonly byZone = new Map<string, Map<number | string, V>>();
  private size = 0;

  constructor(private readonly limit: number) {}

  get(zone: string, key: number | string, compute: () => V): V {
    let entries = this.byZone.get(zone);
    if (entries?.has(key)) return entries.get(key) as V;
    const value = compute();
    if (this.size >= this.limit) {
      this.byZone.clear();
      this.size = 0;
      entries = undefined;
    }
    if (!entries) {
      entries = new Map();
      this.byZone.set(zone, entries);
    }
    entries.set(key, value);
    this.size++;
    return value;
  }
}

const MEMO_LIMIT = 200_000;
const resolved = new ZoneMemo<string | undefined>(1_000);
const walls = new ZoneMemo<number>(MEMO_LIMIT);
const instants = new ZoneMemo<number>(MEMO_LIMIT);

/** The IANA zone for a Graph time zone name, or undefined when neither Windows nor IANA knows it. */
export function resolveZone(name: string): string | undefined {
  const windows = WINDOWS_TO_IANA[name];
  if (windows) return windows;
  // A UTC offset ('+05:00') is no zone name, though Temporal (and Intl from Node 22) reads one.
  if (/^[+-]/.test(name)) return undefined;
  return resolved.get('', name, () => {
    try {
      Temporal.Instant.fromEpochMilliseconds(0).toZonedDateTimeISO(name);
      return name;
    } catch {
      return undefined;
    }
  });
}

/** Like resolveZone but answers Graph's error for an unknown zone. */
export function requireZone(name: string): string {
  const zone = resolveZone(name);
  if (!zone) {
    throw new GraphError(
      400,
      'TimeZoneNotSupportedException',
      `A valid TimeZone value must be specified. The following TimeZone value is not supported: '${name}'.`,
    );
  }
  return zone;
}

/** Wall-clock fields of an instant in a zone, encoded as if it were UTC (so Date.UTC arithmetic works). */
export function wallClock(instant: number, ianaZone: string): number {
  return walls.get(ianaZone, instant, () => {
    const t = Temporal.Instant.fromEpochMilliseconds(instant).toZonedDateTimeISO(ianaZone);
    return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second, t.millisecond);
  });
}

/**
 * The instant at which the zone's clocks show `wall` (a UTC-encoded wall time). A wall time shown
 * twice (clocks went back) is the earlier instant; a skipped one moves forward by the gap: RFC 5545's
 * rule, which is Temporal's 'compatible'. Graph does not document its own.
 */
export function instantOf(wall: number, ianaZone: string): number {
  return instants.get(ianaZone, wall, () => {
    const d = new Date(wall);
    return Temporal.PlainDateTime.from({
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
      millisecond: d.getUTCMilliseconds(),
    }).toZonedDateTime(ianaZone, { disambiguation: 'compatible' }).epochMilliseconds;
  });
}

const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7}))?)?(Z|[+-]\d{2}:\d{2})?$/;

/** Parses a Graph `dateTimeTimeZone` into an instant. */
export function parseDateTimeTimeZone(
  value: { dateTime?: unknown; timeZone?: unknown },
  field: string,
): number {
  if (typeof value?.dateTime !== 'string') {
    throw new GraphError(400, 'ErrorInvalidRequest', `The '${field}' property requires a dateTime value.`);
  }
  const zoneName = typeof value.timeZone === 'string' && value.timeZone !== '' ? value.timeZone : 'UTC';
  const match = DATE_TIME.exec(value.dateTime);
  if (!match) {
    throw new GraphError(
      400,
      'ErrorInvalidRequest',
      `Cannot convert the literal '${value.dateTime}' to the expected type 'Edm.String'.`,
    );
  }
  const zone = requireZone(zoneName);
  const [, y, mo, d, h, mi, s, frac, offset] = match;
  const millis = Number((frac ?? '0').padEnd(3, '0').slice(0, 3));
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0), millis);
  if (offset) {
    const sign = offset === 'Z' ? 0 : offset.startsWith('-') ? -1 : 1;
    const minutes = offset === 'Z' ? 0 : Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6));
    return wall - sign * minutes * 60_000;
  }
  return instantOf(wall, zone);
}

/** Parses an OData DateTimeOffset query value such as startDateTime; undefined when malformed. */
export function parseDateTimeOffset(value: string): number | undefined {
  const match = DATE_TIME.exec(value.trim());
  if (!match) return undefined;
  const [, y, mo, d, h, mi, s, frac, offset] = match;
  const millis = Number((frac ?? '0').padEnd(3, '0').slice(0, 3));
  const wall = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0), millis);
  if (!offset || offset === 'Z') return wall;
  const sign = offset.startsWith('-') ? -1 : 1;
  return wall - sign * (Number(offset.slice(1, 3)) * 60 + Number(offset.slice(4, 6))) * 60_000;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

function formatWall(wall: number): string {
  const d = new Date(wall);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}` +
    `.${pad(d.getUTCMilliseconds(), 3)}0000`
  );
}

/** The `dateTimeTimeZone` Graph returns for an instant shown in the zone named `zoneName`. */
export function toDateTimeTimeZone(
  instant: number,
  zoneName: string,
): { dateTime: string; timeZone: string } {
  return { dateTime: formatWall(wallClock(instant, requireZone(zoneName))), timeZone: zoneName };
}

/** createdDateTime / lastModifiedDateTime / expirationDateTime: UTC with seven fractional digits. */
export function formatTimestamp(instant: number): string {
  return `${formatWall(instant)}Z`;
}

/** originalStart: a DateTimeOffset without fractional seconds. */
export function formatOffsetSeconds(instant: number): string {
  return `${new Date(instant).toISOString().slice(0, 19)}Z`;
}

/** yyyy-mm-dd of a UTC-encoded wall time. */
export function formatDate(wall: number): string {
  const d = new Date(wall);
  return `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** A UTC-encoded midnight for yyyy-mm-dd, or undefined when malformed. */
export function parseDate(value: string): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return undefined;
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
}
