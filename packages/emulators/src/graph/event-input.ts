/**
 * Turns a POST/PATCH event body (or a control-API call) into validated event fields. Read-only and
 * unknown properties are ignored, as Graph ignores what it does not write; wrong types are 400s.
 */
import { GraphError } from './errors.js';
import { normalizeRecurrence } from './recurrence.js';
import { parseDateTimeTimeZone, requireZone } from './time.js';
import type {
  Attendee,
  BodyType,
  FreeBusyStatus,
  Importance,
  Location,
  OnlineMeetingProviderType,
  PatternedRecurrence,
  Sensitivity,
  SingleValueExtendedProperty,
} from './types.js';

/** Everything an event instance shows, with times as instants. */
export interface EventFields {
  subject: string;
  body: { contentType: BodyType; content: string };
  start: number;
  end: number;
  /** The zone names the organizer used; Graph returns them as originalStart/EndTimeZone. */
  startTimeZone: string;
  endTimeZone: string;
  isAllDay: boolean;
  location: Location;
  locations: Location[];
  attendees: Attendee[];
  isOnlineMeeting: boolean;
  onlineMeetingProvider: OnlineMeetingProviderType;
  showAs: FreeBusyStatus;
  importance: Importance;
  sensitivity: Sensitivity;
  categories: string[];
  isReminderOn: boolean;
  reminderMinutesBeforeStart: number;
  responseRequested: boolean;
  allowNewTimeProposals: boolean;
  hideAttendees: boolean;
  transactionId: string | null;
}

export interface ParsedEventInput {
  fields: EventFields;
  /** Field names whose value the input changed. */
  changed: Set<keyof EventFields>;
  /** undefined: not given; null: removed. */
  recurrence: PatternedRecurrence | null | undefined;
  extendedProperties: SingleValueExtendedProperty[] | undefined;
}

const EMPTY_LOCATION: Location = {
  displayName: '',
  locationType: 'default',
  uniqueIdType: 'unknown',
  address: {},
  coordinates: {},
};

const ENUMS = {
  showAs: ['unknown', 'free', 'tentative', 'busy', 'oof', 'workingElsewhere'],
  importance: ['low', 'normal', 'high'],
  sensitivity: ['normal', 'personal', 'private', 'confidential'],
  onlineMeetingProvider: ['unknown', 'skypeForBusiness', 'skypeForConsumer', 'teamsForBusiness'],
} as const;

const wrongType = (property: string, expected: string): GraphError =>
  new GraphError(
    400,
    'RequestBodyRead',
    `Cannot convert the value of property '${property}' to the expected type '${expected}'.`,
  );

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function defaults(now: number): EventFields {
  return {
    subject: '',
    body: { contentType: 'html', content: '' },
    start: now,
    end: now,
    startTimeZone: 'UTC',
    endTimeZone: 'UTC',
    isAllDay: false,
    location: { ...EMPTY_LOCATION },
    locations: [],
    attendees: [],
    isOnlineMeeting: false,
    onlineMeetingProvider: 'unknown',
    showAs: 'busy',
    importance: 'normal',
    sensitivity: 'normal',
    categories: [],
    isReminderOn: true,
    reminderMinutesBeforeStart: 15,
    responseRequested: true,
    allowNewTimeProposals: true,
    hideAttendees: false,
    transactionId: null,
  };
}

function location(value: unknown, property: string): Location {
  if (value === null) return { ...EMPTY_LOCATION };
  if (!isObject(value)) throw wrongType(property, 'microsoft.graph.location');
  return { ...EMPTY_LOCATION, ...(value as Location) };
}

function extendedProperties(value: unknown): SingleValueExtendedProperty[] {
  if (!Array.isArray(value)) throw wrongType('singleValueExtendedProperties', 'Collection');
  return value.map((entry) => {
    if (!isObject(entry) || typeof entry.id !== 'string' || !(typeof entry.value === 'string')) {
      throw wrongType('singleValueExtendedProperties', 'microsoft.graph.singleValueLegacyExtendedProperty');
    }
    return { id: entry.id, value: entry.value };
  });
}

/**
 * Applies `raw` over `base` (a PATCH) or over defaults (a POST, when base is undefined).
 * `now` only seeds defaults; a POST without start/end is rejected.
 */
export function parseEventInput(raw: unknown, base: EventFields | undefined, now: number): ParsedEventInput {
  if (!isObject(raw)) throw new GraphError(400, 'RequestBodyRead', 'Empty Payload, JSON content expected.');
  const fields: EventFields = base ? structuredClone(base) : defaults(now);
  const before = structuredClone(fields);
  const string = (name: 'subject' | 'transactionId'): void => {
    const value = raw[name];
    if (value === undefined) return;
    if (value !== null && typeof value !== 'string') throw wrongType(name, 'Edm.String');
    if (name === 'subject') fields.subject = value ?? '';
    else fields.transactionId = value;
  };
  const boolean = (
    name:
      | 'isAllDay'
      | 'isOnlineMeeting'
      | 'isReminderOn'
      | 'responseRequested'
      | 'allowNewTimeProposals'
      | 'hideAttendees',
  ): void => {
    const value = raw[name];
    if (value === undefined) return;
    if (typeof value !== 'boolean') throw wrongType(name, 'Edm.Boolean');
    fields[name] = value;
  };
  const enumeration = <K extends keyof typeof ENUMS>(name: K): void => {
    const value = raw[name];
    if (value === undefined) return;
    if (!(ENUMS[name] as readonly unknown[]).includes(value))
      throw wrongType(name, `microsoft.graph.${name}`);
    (fields as unknown as Record<string, unknown>)[name] = value;
  };

  string('subject');
  string('transactionId');
  for (const name of [
    'isAllDay',
    'isOnlineMeeting',
    'isReminderOn',
    'responseRequested',
    'allowNewTimeProposals',
    'hideAttendees',
  ] as const) {
    boolean(name);
  }
  for (const name of ['showAs', 'importance', 'sensitivity', 'onlineMeetingProvider'] as const)
    enumeration(name);

  if (raw.body !== undefined) {
    if (raw.body === null) fields.body = { contentType: 'html', content: '' };
    else if (!isObject(raw.body)) throw wrongType('body', 'microsoft.graph.itemBody');
    else {
      const contentType = raw.body.contentType ?? fields.body.contentType;
      if (contentType !== 'text' && contentType !== 'html')
        throw wrongType('contentType', 'microsoft.graph.bodyType');
      if (
        raw.body.content !== undefined &&
        raw.body.content !== null &&
        typeof raw.body.content !== 'string'
      ) {
        throw wrongType('content', 'Edm.String');
      }
      fields.body = { contentType, content: (raw.body.content as string | null | undefined) ?? '' };
    }
  }
  if (raw.start !== undefined) {
    if (!isObject(raw.start)) throw wrongType('start', 'microsoft.graph.dateTimeTimeZone');
    fields.start = parseDateTimeTimeZone(raw.start, 'start');
    fields.startTimeZone =
      typeof raw.start.timeZone === 'string' && raw.start.timeZone ? raw.start.timeZone : 'UTC';
  } else if (!base) {
    throw new GraphError(400, 'ErrorInvalidRequest', "The 'start' property is required.");
  }
  if (raw.end !== undefined) {
    if (!isObject(raw.end)) throw wrongType('end', 'microsoft.graph.dateTimeTimeZone');
    fields.end = parseDateTimeTimeZone(raw.end, 'end');
    fields.endTimeZone = typeof raw.end.timeZone === 'string' && raw.end.timeZone ? raw.end.timeZone : 'UTC';
  } else if (!base) {
    throw new GraphError(400, 'ErrorInvalidRequest', "The 'end' property is required.");
  }
  if (fields.end < fields.start) {
    throw new GraphError(
      400,
      'ErrorInvalidRequest',
      'The end time of the event must be after its start time.',
    );
  }
  if (raw.location !== undefined) fields.location = location(raw.location, 'location');
  if (raw.locations !== undefined) {
    if (!Array.isArray(raw.locations)) throw wrongType('locations', 'Collection(microsoft.graph.location)');
    fields.locations = raw.locations.map((l) => location(l, 'locations'));
  }
  if (raw.attendees !== undefined) {
    if (!Array.isArray(raw.attendees) || !raw.attendees.every(isObject)) {
      throw wrongType('attendees', 'Collection(microsoft.graph.attendee)');
    }
    fields.attendees = raw.attendees.map((a) => ({
      type: 'required',
      status: { response: 'none', time: '0001-01-01T00:00:00Z' },
      ...(a as Attendee),
    }));
  }
  if (raw.categories !== undefined) {
    if (!Array.isArray(raw.categories) || !raw.categories.every((c) => typeof c === 'string')) {
      throw wrongType('categories', 'Collection(Edm.String)');
    }
    fields.categories = raw.categories;
  }
  if (raw.reminderMinutesBeforeStart !== undefined) {
    if (!Number.isInteger(raw.reminderMinutesBeforeStart))
      throw wrongType('reminderMinutesBeforeStart', 'Edm.Int32');
    fields.reminderMinutesBeforeStart = raw.reminderMinutesBeforeStart as number;
  }
  const changed = new Set<keyof EventFields>();
  for (const key of Object.keys(fields) as (keyof EventFields)[]) {
    if (JSON.stringify(fields[key]) !== JSON.stringify(before[key])) changed.add(key);
  }
  let recurrence: PatternedRecurrence | null | undefined;
  if (raw.recurrence === null) recurrence = null;
  else if (raw.recurrence !== undefined) {
    const zone = fields.startTimeZone;
    requireZone(zone);
    recurrence = normalizeRecurrence(raw.recurrence, zone);
  }
  return {
    fields,
    changed,
    recurrence,
    extendedProperties:
      raw.singleValueExtendedProperties === undefined
        ? undefined
        : extendedProperties(raw.singleValueExtendedProperties),
  };
}
