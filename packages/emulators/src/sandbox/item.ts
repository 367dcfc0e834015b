/**
 * The appointment as the sandbox page holds it, and its mapping to and from the calendar's Graph
 * shape. Times travel as UTC instants; the body is the editor's HTML (the page wraps it in
 * <html><body> for Office.js, as Outlook on the web does).
 */
import {
  customPropertiesPropertyId,
  type SandboxDay,
  type SandboxEvent,
  type SandboxEventInput,
  type SandboxRecurrence,
} from './types.js';

/** Office.js's recurrence vocabulary, restricted to what the sandbox form offers. */
export interface ItemRecurrence {
  readonly recurrenceType: 'daily' | 'weekday' | 'weekly' | 'monthly';
  readonly interval: number;
  /** Office day names (`mon`…) for weekly. */
  readonly days?: string[];
  readonly dayOfMonth?: number;
  readonly startDate: string;
  readonly endDate: string | null;
  readonly timeZone: string;
}

/** One of the appointment's locations (Office.js LocationDetails): `id` is a room's address, else the text. */
export interface ItemLocation {
  readonly type: 'custom' | 'room';
  readonly id: string;
  readonly displayName: string;
}

export interface SandboxItem {
  readonly id: string | null;
  readonly subject: string;
  readonly start: string;
  readonly end: string;
  readonly location: string;
  /** The entries behind `location` (Mailbox 1.8); absent: `location` is one custom entry. */
  readonly locations?: readonly ItemLocation[];
  readonly body: string;
  readonly attendees: readonly string[];
  readonly recurrence: ItemRecurrence | null;
  /** null until the add-in saves custom properties on this item. */
  readonly customProperties: Record<string, unknown> | null;
}

/**
 * JSON Schema of the body of the save routes: a SandboxItem, so that a missing, empty or malformed
 * body is refused with 400 before toEventInput reads it. Extra properties (the page also sends the
 * recurrence's times and duration) are allowed and ignored; `id` is optional (the route names the event).
 */
export const sandboxItemSchema = {
  type: 'object',
  required: ['subject', 'start', 'end', 'location', 'body', 'attendees', 'recurrence', 'customProperties'],
  properties: {
    id: { type: ['string', 'null'] },
    subject: { type: 'string' },
    start: { type: 'string', format: 'date-time' },
    end: { type: 'string', format: 'date-time' },
    location: { type: 'string' },
    locations: {
      type: 'array',
      items: {
        type: 'object',
        required: ['type', 'id', 'displayName'],
        properties: {
          type: { type: 'string', enum: ['custom', 'room'] },
          id: { type: 'string', minLength: 1 },
          displayName: { type: 'string' },
        },
      },
    },
    body: { type: 'string' },
    attendees: { type: 'array', items: { type: 'string' } },
    recurrence: {
      type: ['object', 'null'],
      required: ['recurrenceType', 'interval', 'startDate', 'endDate', 'timeZone'],
      properties: {
        recurrenceType: { type: 'string', enum: ['daily', 'weekday', 'weekly', 'monthly'] },
        interval: { type: 'integer' },
        days: { type: 'array', items: { type: 'string' } },
        dayOfMonth: { type: 'integer', minimum: 1, maximum: 31 },
        startDate: { type: 'string', format: 'date' },
        endDate: { type: ['string', 'null'], format: 'date' },
        timeZone: { type: 'string' },
      },
    },
    customProperties: { type: ['object', 'null'] },
  },
} as const;

const OFFICE_DAYS: Record<string, SandboxDay> = {
  sun: 'sunday',
  mon: 'monday',
  tue: 'tuesday',
  wed: 'wednesday',
  thu: 'thursday',
  fri: 'friday',
  sat: 'saturday',
};
const WEEKDAYS: SandboxDay[] = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'];

const toGraphTime = (iso: string) => ({
  dateTime: new Date(iso).toISOString().slice(0, 19),
  timeZone: 'UTC',
});
const fromGraphTime = (t: { dateTime: string; timeZone: string }) =>
  new Date(t.timeZone === 'UTC' ? `${t.dateTime.slice(0, 19)}Z` : t.dateTime).toISOString();

export function toGraphRecurrence(r: ItemRecurrence | null): SandboxRecurrence | null {
  if (!r) return null;
  const interval = r.interval > 0 ? r.interval : 1;
  const pattern: SandboxRecurrence['pattern'] =
    r.recurrenceType === 'daily'
      ? { type: 'daily', interval }
      : r.recurrenceType === 'weekday'
        ? { type: 'weekly', interval: 1, daysOfWeek: [...WEEKDAYS] }
        : r.recurrenceType === 'weekly'
          ? { type: 'weekly', interval, daysOfWeek: (r.days ?? []).map((d) => OFFICE_DAYS[d] ?? 'monday') }
          : { type: 'absoluteMonthly', interval, dayOfMonth: r.dayOfMonth ?? 1 };
  return {
    pattern,
    range: {
      ...(r.endDate ? { type: 'endDate' as const, endDate: r.endDate } : { type: 'noEnd' as const }),
      startDate: r.startDate,
      recurrenceTimeZone: r.timeZone,
    },
  };
}

export function fromGraphRecurrence(r: SandboxRecurrence | null | undefined): ItemRecurrence | null {
  if (!r) return null;
  const officeDay = (d: SandboxDay) => d.slice(0, 3);
  const days = r.pattern.daysOfWeek ?? [];
  const recurrenceType =
    r.pattern.type === 'daily'
      ? 'daily'
      : r.pattern.type === 'absoluteMonthly'
        ? 'monthly'
        : days.length === 5 && WEEKDAYS.every((d) => days.includes(d)) && r.pattern.interval === 1
          ? 'weekday'
          : 'weekly';
  return {
    recurrenceType,
    interval: r.pattern.interval,
    ...(recurrenceType === 'weekly' ? { days: days.map(officeDay) } : {}),
    ...(r.pattern.dayOfMonth ? { dayOfMonth: r.pattern.dayOfMonth } : {}),
    startDate: r.range.startDate,
    endDate: r.range.type === 'endDate' ? (r.range.endDate ?? null) : null,
    timeZone: r.range.recurrenceTimeZone ?? 'UTC',
  };
}

export function toEventInput(item: SandboxItem, addinId: string): SandboxEventInput {
  return {
    subject: item.subject,
    body: { contentType: 'html', content: `<html><body>${item.body}</body></html>` },
    start: toGraphTime(item.start),
    end: toGraphTime(item.end),
    location: { displayName: item.location },
    // Graph keeps every entry in `locations` and their names, joined, in `location`; a room is a
    // conferenceRoom with its mailbox address.
    locations: (item.locations ?? customLocation(item.location)).map((l) =>
      l.type === 'room'
        ? { displayName: l.displayName, locationType: 'conferenceRoom' as const, locationEmailAddress: l.id }
        : { displayName: l.displayName, locationType: 'default' as const },
    ),
    attendees: item.attendees.map((address) => ({ emailAddress: { address }, type: 'required' as const })),
    recurrence: toGraphRecurrence(item.recurrence),
    ...(item.customProperties
      ? {
          singleValueExtendedProperties: [
            { id: customPropertiesPropertyId(addinId), value: JSON.stringify(item.customProperties) },
          ],
        }
      : {}),
  };
}

export function fromEvent(event: SandboxEvent, addinId: string): SandboxItem {
  const propertyId = customPropertiesPropertyId(addinId).toLowerCase();
  const stored = event.singleValueExtendedProperties?.find((p) => p.id.toLowerCase() === propertyId);
  let customProperties: Record<string, unknown> | null = null;
  if (stored) {
    try {
      customProperties = JSON.parse(stored.value) as Record<string, unknown>;
    } catch {
      customProperties = null;
    }
  }
  const html = event.body?.content ?? '';
  const inner = /<body[^>]*>([\s\S]*)<\/body>/i.exec(html)?.[1] ?? html;
  return {
    id: event.id,
    subject: event.subject ?? '',
    start: fromGraphTime(event.start),
    end: fromGraphTime(event.end),
    location: event.location?.displayName ?? '',
    locations: fromGraphLocations(event),
    body: event.body?.contentType === 'text' ? escapeText(html) : inner,
    attendees: (event.attendees ?? []).map((a) => a.emailAddress.address),
    recurrence: fromGraphRecurrence(event.recurrence),
    customProperties,
  };
}

/** Graph's entries as Office.js's; a nameless one (no room address either) is no entry. */
function fromGraphLocations(event: SandboxEvent): ItemLocation[] {
  const entries = (event.locations ?? []).flatMap((l): ItemLocation[] => {
    const name = l.displayName ?? '';
    if (l.locationType === 'conferenceRoom' && l.locationEmailAddress)
      return [{ type: 'room', id: l.locationEmailAddress, displayName: name || l.locationEmailAddress }];
    return name === '' ? [] : [{ type: 'custom', id: name, displayName: name }];
  });
  return entries.length > 0 ? entries : customLocation(event.location?.displayName ?? '');
}

function customLocation(text: string): ItemLocation[] {
  return text === '' ? [] : [{ type: 'custom', id: text, displayName: text }];
}

function escapeText(text: string): string {
  return text.replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`).replace(/\r?\n/g, '<br>');
}
