/** Graph's event JSON → CalendarItem, and the query options that ask Graph for what sync reads. */
import { type AllDayDates, allDaySpan } from '../domain/sync/all-day.js';
import type { CalendarItem, CalendarItemType } from '../domain/sync/calendar-item.js';
import { parseCalendarDate, resolveTimeZone } from '../domain/sync/time-zones.js';

/** PS_PUBLIC_STRINGS: the MAPI property set of Outlook add-in custom properties. */
const PS_PUBLIC_STRINGS = '{00020329-0000-0000-C000-000000000046}';

/** The extended property in which Outlook keeps an add-in's custom properties (a JSON object). */
export function customPropertiesId(addinId: string): string {
  return `String ${PS_PUBLIC_STRINGS} Name cecp-${addinId}`;
}

/** The custom property the add-in writes. */
export const MEETING_ID_PROPERTY = 'roomlinkMeetingId';

/**
 * What sync reads of an occurrence or exception of a series. An all-day event's start and end are
 * floating dates (graphAllDayDates): isAllDay says which reading applies, originalStartTimeZone where.
 * isOrganizer tells the mailbox owner's own events from invitations (copies of someone else's, which
 * Exchange adds to the calendar by itself); a series' instances share their master's.
 */
const INSTANCE_FIELDS = [
  'id',
  'type',
  'isOrganizer',
  'subject',
  'start',
  'end',
  'isAllDay',
  'originalStartTimeZone',
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
 * /instances and returns cancelledOccurrences only when selected); originalStartTimeZone is also the
 * zone to place those in.
 */
export const EVENT_SELECT = [...INSTANCE_FIELDS, 'body', 'recurrence', 'cancelledOccurrences'].join(',');

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
  const times = eventTimes(e);
  if (!id || !times) return undefined;
  const { start, end, allDay } = times;
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
    allDay,
    isCancelled: e.isCancelled === true,
    // Graph returns it whenever it is selected (Edm.Boolean): one that does not say is not taken
    // for the owner's own event, so that it can never move or cancel their meeting.
    isOrganizer: e.isOrganizer === true,
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

/** An event's start and end as instants; undefined when Graph's values cannot be read. */
function eventTimes(
  e: Record<string, unknown>,
): { start: Date; end: Date; allDay: AllDayDates | null } | undefined {
  if (e.isAllDay === true) {
    const dates = graphAllDayDates(e.start, e.end);
    if (!dates) return undefined;
    const timeZone = allDayTimeZone(e.start, e.originalStartTimeZone, recurrenceTimeZone(e.recurrence));
    // No zone this server knows: UTC's midnights, until sync-service.ts places them in the meeting's.
    const span = allDaySpan(dates.startDate, dates.endDate, timeZone ?? 'UTC');
    return span ? { ...span, allDay: { ...dates, timeZone } } : undefined;
  }
  const start = graphDateTime(e.start);
  const end = graphDateTime(e.end);
  return start && end ? { start, end, allDay: null } : undefined;
}

/**
 * The zone of an all-day event's days, whose midnights the add-in stored (the organizer's Outlook
 * wrote the event in the organizer's zone): the zone its times are labelled with when that is a zone
 * name, since sync asks for UTC and any other label can only be the event's own; else the one it was
 * written in (originalStartTimeZone), else a series' recurrence zone; null when none is a zone this
 * server knows.
 */
function allDayTimeZone(start: unknown, ...named: unknown[]): string | null {
  const label = (start as { timeZone?: unknown } | null)?.timeZone;
  if (typeof label === 'string' && !UTC_NAMES.test(label) && resolveTimeZone(label)) return label;
  for (const name of named) if (typeof name === 'string' && resolveTimeZone(name)) return name;
  return null;
}

function recurrenceTimeZone(recurrence: unknown): unknown {
  return (recurrence as { range?: { recurrenceTimeZone?: unknown } } | null)?.range?.recurrenceTimeZone;
}

const UTC_NAMES = /^(utc|etc\/utc|gmt|z)$/i;
const GRAPH_DATE_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?(Z)?$/;

/**
 * dateTimeTimeZone in UTC (sync asks for outlook.timezone="UTC"): "2025-03-01T10:00:00.0000000".
 * Not for all-day events (graphAllDayDates).
 */
export function graphDateTime(value: unknown): Date | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { dateTime, timeZone } = value as { dateTime?: unknown; timeZone?: unknown };
  if (typeof dateTime !== 'string') return undefined;
  if (typeof timeZone === 'string' && !UTC_NAMES.test(timeZone)) return undefined;
  const match = GRAPH_DATE_TIME.exec(dateTime);
  if (!match) return undefined;
  const ms = match[3] ? match[3].slice(0, 4).padEnd(4, '0') : '';
  const date = new Date(`${match[1]}T${match[2]}${ms}Z`);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/**
 * An all-day event's days from its start and end. Graph gives them as the event's own midnights,
 * floating, whatever zone outlook.timezone asked for: "2027-01-15T00:00:00.0000000" for an event on
 * 15 January, labelled "UTC" (Microsoft's answer, "by design": microsoftgraph/microsoft-graph-docs
 * issues #1802 and #6003; msgraph-sdk-javascript issue #1158, an organizer in America/Sao_Paulo whose
 * event the API returns from 00:00 UTC) or with the event's zone (Microsoft Q&A "all day events are
 * not obeying prefer outlook timezone", 2023); an occurrence's originalStart stays an instant
 * (microsoft-graph-docs issue #2804). Read as UTC instants they put a Sydney organizer's
 * day at 11:00 to 11:00 local: only the dates are read here, whatever the label (allDayTimeZone
 * places them). Undefined unless both are readable and the end is after the start.
 */
export function graphAllDayDates(
  start: unknown,
  end: unknown,
): { startDate: string; endDate: string } | undefined {
  const startDate = floatingDate(start, false);
  const endDate = floatingDate(end, true);
  return startDate && endDate && endDate > startDate ? { startDate, endDate } : undefined;
}

/** yyyy-mm-dd of a dateTimeTimeZone; a time past midnight counts as the next day for an end. */
function floatingDate(value: unknown, isEnd: boolean): string | undefined {
  const dateTime = (value as { dateTime?: unknown } | null)?.dateTime;
  const match = typeof dateTime === 'string' ? GRAPH_DATE_TIME.exec(dateTime) : null;
  if (!match?.[1]) return undefined;
  const midnight = parseCalendarDate(match[1]);
  if (midnight === undefined) return undefined;
  // Exchange keeps all-day events from midnight to midnight (it moves other times out to them:
  // "Create all-day events by using EWS in Exchange"); an end past midnight closes the next day.
  const pastMidnight = match[2] !== '00:00:00' || /[1-9]/.test(match[3] ?? '');
  return isEnd && pastMidnight ? new Date(midnight + 86_400_000).toISOString().slice(0, 10) : match[1];
}

function normalizeInstant(value: string): string {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toISOString();
}
