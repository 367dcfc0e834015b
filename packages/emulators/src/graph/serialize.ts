/**
 * Renders event instances as Graph v1.0 JSON: property order and defaults as Graph returns them,
 * start/end in the preferred zone, ids in the requested format, $select and expanded extended
 * properties applied.
 */
import { badRequest } from './errors.js';
import type { EventFields } from './event-input.js';
import { encodeEventId, type IdType } from './ids.js';
import type { EventInstance } from './store.js';
import {
  formatDate,
  formatOffsetSeconds,
  formatTimestamp,
  requireZone,
  toDateTimeTimeZone,
  wallClock,
} from './time.js';
import type { BodyType, Recipient } from './types.js';

const DAY = 86_400_000;

/** Properties GET returns by default, in Graph's order (originalStart only for instances of a series). */
const DEFAULT_PROPERTIES = [
  'createdDateTime',
  'lastModifiedDateTime',
  'changeKey',
  'categories',
  'transactionId',
  'originalStartTimeZone',
  'originalEndTimeZone',
  'iCalUId',
  'reminderMinutesBeforeStart',
  'isReminderOn',
  'hasAttachments',
  'subject',
  'bodyPreview',
  'importance',
  'sensitivity',
  'isAllDay',
  'isCancelled',
  'isOrganizer',
  'responseRequested',
  'seriesMasterId',
  'showAs',
  'type',
  'webLink',
  'onlineMeetingUrl',
  'isOnlineMeeting',
  'onlineMeetingProvider',
  'allowNewTimeProposals',
  'isDraft',
  'hideAttendees',
  'originalStart',
  'responseStatus',
  'body',
  'start',
  'end',
  'location',
  'locations',
  'recurrence',
  'attendees',
  'organizer',
  'onlineMeeting',
] as const;

/** Returned only when selected (Graph documents cancelledOccurrences as "returned only on $select"). */
const SELECT_ONLY_PROPERTIES = ['cancelledOccurrences'] as const;

export const SELECTABLE_EVENT_PROPERTIES: readonly string[] = [
  'id',
  ...DEFAULT_PROPERTIES,
  ...SELECT_ONLY_PROPERTIES,
];

export interface SerializeOptions {
  idType: IdType;
  /** Zone for start/end; undefined shows each time in the zone the organizer used. */
  timeZone: string | undefined;
  bodyContentType?: BodyType;
  /** Canonical property names from $select; undefined means the default projection. */
  select?: readonly string[];
  /** Present when singleValueExtendedProperties is expanded; ids undefined expands all. */
  expandExtendedProperties?: { ids?: readonly string[] };
  webLinkBase: string;
  organizer: (oid: string) => Recipient;
}

/** Maps $select names (case-insensitive) to canonical property names. */
export function canonicalSelect(names: readonly string[]): string[] {
  return names.map((name) => {
    const canonical = SELECTABLE_EVENT_PROPERTIES.find((p) => p.toLowerCase() === name.toLowerCase());
    if (!canonical) {
      throw badRequest(
        `Could not find a property named '${name}' on type 'microsoft.graph.event'.`,
        'RequestBroker--ParseUri',
      );
    }
    return canonical;
  });
}

function htmlToText(html: string): string {
  return html
    .replace(/<(script|style|head)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<br\s*\/?>|<\/p>|<\/div>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

function textToHtml(text: string): string {
  const escaped = text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\n/g, '<br>');
  return `<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head><body>${escaped}</body></html>`;
}

function body(fields: EventFields, wanted: BodyType | undefined): { contentType: BodyType; content: string } {
  const { contentType, content } = fields.body;
  if (!wanted || wanted === contentType) return { contentType, content };
  return wanted === 'text'
    ? { contentType, content: htmlToText(content) }
    : { contentType, content: textToHtml(content) };
}

function bodyPreview(fields: EventFields): string {
  const text = fields.body.contentType === 'html' ? htmlToText(fields.body.content) : fields.body.content;
  return text.replace(/\s+/g, ' ').trim().slice(0, 255);
}

/** Graph's cancelledOccurrences entries: `OID.<series master id>.<yyyy-mm-dd>`. */
function cancelledOccurrenceIds(instance: EventInstance, masterId: string): string[] {
  const zone = requireZone(instance.recurrence?.range.recurrenceTimeZone || instance.fields.startTimeZone);
  return instance.cancelledOccurrences.map(
    (start) => `OID.${masterId}.${formatDate(wallClock(start, zone))}`,
  );
}

/**
 * An all-day event's start or end as Graph returns it: midnight of its day in the event's own zone,
 * floating, labelled UTC whatever outlook.timezone asked for ("by design", Microsoft's answer in
 * microsoftgraph/microsoft-graph-docs issues #1802 and #6003; msgraph-sdk-javascript #1158). A time
 * off midnight (the emulator keeps what was written) is moved out to the midnight before a start or
 * after an end, as Exchange does ("Create all-day events by using EWS in Exchange").
 */
function allDayDateTime(
  instant: number,
  zoneName: string,
  isEnd: boolean,
): { dateTime: string; timeZone: string } {
  const wall = wallClock(instant, requireZone(zoneName));
  const midnight = Math.floor(wall / DAY) * DAY;
  const day = isEnd && wall > midnight ? midnight + DAY : midnight;
  return { dateTime: `${formatDate(day)}T00:00:00.0000000`, timeZone: 'UTC' };
}

export function eventId(instance: EventInstance, idType: IdType): string {
  return encodeEventId(instance.ref, idType);
}

export function serializeEvent(instance: EventInstance, options: SerializeOptions): Record<string, unknown> {
  const { fields } = instance;
  const id = eventId(instance, options.idType);
  const shownZone = (own: string): string => options.timeZone ?? own;
  const values: Record<string, () => unknown> = {
    createdDateTime: () => formatTimestamp(instance.createdAt),
    lastModifiedDateTime: () => formatTimestamp(instance.lastModifiedAt),
    changeKey: () => instance.changeKey,
    categories: () => fields.categories,
    transactionId: () => fields.transactionId,
    originalStartTimeZone: () => fields.startTimeZone,
    originalEndTimeZone: () => fields.endTimeZone,
    iCalUId: () => instance.iCalUId,
    reminderMinutesBeforeStart: () => fields.reminderMinutesBeforeStart,
    isReminderOn: () => fields.isReminderOn,
    hasAttachments: () => false,
    subject: () => fields.subject,
    bodyPreview: () => bodyPreview(fields),
    importance: () => fields.importance,
    sensitivity: () => fields.sensitivity,
    isAllDay: () => fields.isAllDay,
    // Only an invitation can be cancelled and still be listed: an organizer's cancel moves their own
    // event to Deleted Items, and marks the attendees' copies cancelled.
    isCancelled: () => instance.invitation?.isCancelled ?? false,
    isOrganizer: () => instance.invitation === null,
    responseRequested: () => fields.responseRequested,
    seriesMasterId: () =>
      instance.seriesMasterKey ? encodeEventId({ key: instance.seriesMasterKey }, options.idType) : null,
    showAs: () => fields.showAs,
    type: () => instance.type,
    webLink: () =>
      `${options.webLinkBase}/owa/?itemid=${encodeURIComponent(id)}&exvsurl=1&path=/calendar/item`,
    onlineMeetingUrl: () => null,
    isOnlineMeeting: () => fields.isOnlineMeeting,
    onlineMeetingProvider: () => fields.onlineMeetingProvider,
    allowNewTimeProposals: () => fields.allowNewTimeProposals,
    isDraft: () => false,
    hideAttendees: () => fields.hideAttendees,
    originalStart: () =>
      instance.originalStart === undefined ? undefined : formatOffsetSeconds(instance.originalStart),
    // An attendee's copy not answered yet (responseType: notResponded).
    responseStatus: () => ({
      response: instance.invitation ? 'notResponded' : 'organizer',
      time: '0001-01-01T00:00:00Z',
    }),
    body: () => body(fields, options.bodyContentType),
    start: () =>
      fields.isAllDay
        ? allDayDateTime(fields.start, fields.startTimeZone, false)
        : toDateTimeTimeZone(fields.start, shownZone(fields.startTimeZone)),
    end: () =>
      fields.isAllDay
        ? allDayDateTime(fields.end, fields.startTimeZone, true)
        : toDateTimeTimeZone(fields.end, shownZone(fields.endTimeZone)),
    location: () => fields.location,
    locations: () => fields.locations,
    recurrence: () => instance.recurrence,
    attendees: () => fields.attendees,
    organizer: () => instance.invitation?.organizer ?? options.organizer(instance.ownerOid),
    onlineMeeting: () => null,
    cancelledOccurrences: () => cancelledOccurrenceIds(instance, id),
  };
  const names = options.select
    ? SELECTABLE_EVENT_PROPERTIES.filter((p) => p !== 'id' && options.select?.includes(p))
    : DEFAULT_PROPERTIES;
  const result: Record<string, unknown> = { '@odata.etag': `W/"${instance.changeKey}"`, id };
  for (const name of names) {
    const value = values[name]?.();
    if (value !== undefined) result[name] = structuredClone(value);
  }
  if (options.expandExtendedProperties) {
    result.singleValueExtendedProperties = instance.extendedProperties.list(
      options.expandExtendedProperties.ids,
    );
  }
  return result;
}

/** How delta reports an event that left the calendar view. */
export function removedEvent(id: string): Record<string, unknown> {
  return { '@odata.type': '#microsoft.graph.event', id, '@removed': { reason: 'deleted' } };
}
