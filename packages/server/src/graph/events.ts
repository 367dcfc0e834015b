/** Graph's event JSON → CalendarItem, and the query options that ask Graph for what sync reads. */
import type { CalendarItem, CalendarItemType } from '../domain/sync/calendar-item.js';

/** PS_PUBLIC_STRINGS: the MAPI property set of Outlook add-in custom properties. */
const PS_PUBLIC_STRINGS = '{00020329-0000-0000-C000-000000000046}';

/** The extended property in which Outlook keeps an add-in's custom properties (a JSON object). */
export function customPropertiesId(addinId: string): string {
  return `String ${PS_PUBLIC_STRINGS} Name cecp-${addinId}`;
}

/** The custom property the add-in writes. */
export const MEETING_ID_PROPERTY = 'roomlinkMeetingId';

/** What sync reads of an occurrence or exception of a series. */
const INSTANCE_FIELDS = [
  'id',
  'type',
  'subject',
  'start',
  'end',
  'isCancelled',
  'lastModifiedDateTime',
  'changeKey',
  'seriesMasterId',
  'originalStart',
];

export const INSTANCE_SELECT = INSTANCE_FIELDS.join(',');

/**
 * An event read on its own also carries its body (the join-instructions marker) and recurrence; a
 * series master also the occurrences cancelled or deleted from it (Graph leaves them out of
 * /instances and returns cancelledOccurrences only when selected) and the zone to place them in.
 */
export const EVENT_SELECT = [
  ...INSTANCE_FIELDS,
  'body',
  'recurrence',
  'originalStartTimeZone',
  'cancelledOccurrences',
].join(',');

export function eventQuery(addinId: string): Record<string, string> {
  return {
    $select: EVENT_SELECT,
    $expand: `singleValueExtendedProperties($filter=id eq '${customPropertiesId(addinId)}')`,
  };
}

export function eventUrl(eventId: string, addinId: string): string {
  const query = Object.entries(eventQuery(addinId))
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join('&');
  return `me/events/${encodeURIComponent(eventId)}?${query}`;
}

const TYPES: readonly CalendarItemType[] = ['singleInstance', 'occurrence', 'exception', 'seriesMaster'];

/** Maps one Graph event; undefined when it lacks what sync needs (never guessed). */
export function toCalendarItem(raw: unknown, addinId: string): CalendarItem | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const e = raw as Record<string, unknown>;
  const id = typeof e.id === 'string' ? e.id : undefined;
  const start = graphDateTime(e.start);
  const end = graphDateTime(e.end);
  if (!id || !start || !end) return undefined;
  const type = TYPES.includes(e.type as CalendarItemType) ? (e.type as CalendarItemType) : 'singleInstance';
  const body = e.body as { contentType?: unknown; content?: unknown } | undefined;
  const originalStart = typeof e.originalStart === 'string' ? new Date(e.originalStart) : null;
  const recurrence =
    typeof e.recurrence === 'object' && e.recurrence !== null
      ? (e.recurrence as Record<string, unknown>)
      : null;
  return {
    id,
    type,
    subject: typeof e.subject === 'string' ? e.subject : '',
    start,
    end,
    isCancelled: e.isCancelled === true,
    lastModified: typeof e.lastModifiedDateTime === 'string' ? normalizeInstant(e.lastModifiedDateTime) : '',
    changeKey: typeof e.changeKey === 'string' ? e.changeKey : '',
    seriesMasterId: typeof e.seriesMasterId === 'string' ? e.seriesMasterId : null,
    originalStart: originalStart && !Number.isNaN(originalStart.getTime()) ? originalStart : null,
    recurrence,
    seriesTimeZone: seriesTimeZone(recurrence, e.originalStartTimeZone),
    cancelledOccurrenceDates: type === 'seriesMaster' ? cancelledOccurrenceDates(e.cancelledOccurrences) : [],
    customMeetingId: meetingIdFromProperties(e.singleValueExtendedProperties, addinId),
    body:
      body && typeof body.content === 'string'
        ? { kind: body.contentType === 'text' ? 'text' : 'html', content: body.content }
        : null,
  };
}

/** The series' zone: the recurrence range's, else the one its start was written in. */
function seriesTimeZone(
  recurrence: Record<string, unknown> | null,
  originalStartTimeZone: unknown,
): string | null {
  const range = recurrence?.range as { recurrenceTimeZone?: unknown } | undefined;
  if (typeof range?.recurrenceTimeZone === 'string' && range.recurrenceTimeZone !== '') {
    return range.recurrenceTimeZone;
  }
  return typeof originalStartTimeZone === 'string' && originalStartTimeZone !== ''
    ? originalStartTimeZone
    : null;
}

/** Graph's cancelledOccurrences entries are occurrence ids, `OID.<series master id>.<yyyy-mm-dd>`. */
const OCCURRENCE_ID = /^OID\..+\.(\d{4}-\d{2}-\d{2})$/;

function cancelledOccurrenceDates(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  const dates = new Set<string>();
  for (const entry of value) {
    const date = typeof entry === 'string' ? OCCURRENCE_ID.exec(entry)?.[1] : undefined;
    if (date) dates.add(date);
  }
  return [...dates].sort();
}

function meetingIdFromProperties(value: unknown, addinId: string): string | null {
  if (!Array.isArray(value)) return null;
  const wanted = customPropertiesId(addinId).toLowerCase();
  for (const p of value as { id?: unknown; value?: unknown }[]) {
    if (typeof p?.id !== 'string' || p.id.toLowerCase() !== wanted || typeof p.value !== 'string') continue;
    try {
      const props = JSON.parse(p.value) as Record<string, unknown>;
      const id = props[MEETING_ID_PROPERTY];
      if (typeof id === 'string' && /^[A-Za-z0-9_-]{1,128}$/.test(id)) return id;
    } catch {
      // Malformed custom properties: fall back to the body marker.
    }
  }
  return null;
}

/**
 * dateTimeTimeZone in UTC (sync asks for outlook.timezone="UTC"): "2025-03-01T10:00:00.0000000".
 */
export function graphDateTime(value: unknown): Date | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { dateTime, timeZone } = value as { dateTime?: unknown; timeZone?: unknown };
  if (typeof dateTime !== 'string') return undefined;
  if (typeof timeZone === 'string' && !/^(utc|etc\/utc|gmt|z)$/i.test(timeZone)) return undefined;
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z)?$/.exec(dateTime);
  if (!match) return undefined;
  const ms = match[2] ? match[2].slice(0, 4).padEnd(4, '0') : '';
  const date = new Date(`${match[1]}${ms}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

function normalizeInstant(value: string): string {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toISOString();
}
