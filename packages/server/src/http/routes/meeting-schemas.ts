/** JSON schemas of the meetings API (TypeBox): they validate requests and generate the OpenAPI document. */
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import {
  DAYS_OF_WEEK,
  PATTERN_TYPES,
  RANGE_TYPES,
  WEEK_INDEXES,
} from '../../domain/meetings/recurrence-rules.js';

export const Language = Type.Union([Type.Literal('en'), Type.Literal('fr')]);

export const MeetingOptions = Type.Object(
  {
    guestPin: Type.Optional(Type.Boolean({ description: 'Require a guest PIN to join' })),
    lobby: Type.Optional(Type.Boolean({ description: 'Guests wait until a host admits them' })),
    language: Type.Optional(Language),
  },
  { additionalProperties: false },
);

const DateTime = Type.String({ format: 'date-time', description: 'RFC 3339 date-time with offset' });
/**
 * A date-time a request sets. The schema's format takes a leap second (`23:59:60Z`) that no JavaScript
 * Date holds: the route refuses it, and any other one Date cannot read, with 400 invalid_request
 * naming the field (routes/meetings.ts, `dateTimeOf`).
 */
const RequestDateTime = Type.String({
  format: 'date-time',
  description: 'RFC 3339 date-time with offset; seconds 00 to 59 (a leap second, :60, is refused)',
});

/** One of Graph's enum members (a union of constants, as `Language`: its error lists them). */
const StringEnum = <T extends string>(values: readonly T[], description: string) =>
  // Unsafe<T> types it as its members (the union of a mapped array would type as never).
  Type.Unsafe<T>(
    Type.Union(
      values.map((v) => Type.Literal(v)),
      { description },
    ),
  );
/** Graph's Edm.Int32. */
const Int32 = (description: string) =>
  Type.Integer({ minimum: -2_147_483_648, maximum: 2_147_483_647, description });
/** A property Graph's metadata leaves nullable (no Nullable="false"). */
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
/** Graph's Edm.Date. */
const GraphDate = Type.String({ format: 'date', description: 'A calendar date, YYYY-MM-DD' });
const DayOfWeek = StringEnum(DAYS_OF_WEEK, "Graph's dayOfWeek");

/**
 * Microsoft Graph's patternedRecurrence, property by property as Graph v1.0's published metadata
 * declares it (ComplexType patternedRecurrence, recurrencePattern, recurrenceRange; EnumType
 * recurrencePatternType, recurrenceRangeType, dayOfWeek, weekIndex): the same names, enum members,
 * Edm.Int32 and Edm.Date types, nullability, and nothing else, so that no value of any depth can
 * ride along (the recurrence is stored encrypted and read back). What the values must mean (a real
 * date, an end date not before the start date, Outlook's limits, what each pattern type needs) is
 * checked by the domain: 422 invalid_recurrence (domain/meetings/recurrence-rules.ts).
 */
const RecurrencePattern = Type.Object(
  {
    type: StringEnum(PATTERN_TYPES, "Graph's recurrencePatternType"),
    interval: Type.Optional(Int32('Days, weeks, months or years between occurrences (1 or more)')),
    daysOfWeek: Type.Optional(Type.Array(DayOfWeek, { maxItems: 7 })),
    firstDayOfWeek: Type.Optional(Nullable(DayOfWeek)),
    index: Type.Optional(Nullable(StringEnum(WEEK_INDEXES, "Graph's weekIndex"))),
    dayOfMonth: Type.Optional(Int32('1 to 31; 0 when the pattern type uses none')),
    month: Type.Optional(Int32('1 to 12; 0 when the pattern type uses none')),
  },
  { additionalProperties: false, description: "Graph's recurrencePattern" },
);
const RecurrenceRange = Type.Object(
  {
    type: StringEnum(RANGE_TYPES, "Graph's recurrenceRangeType"),
    startDate: Type.Optional(Nullable(GraphDate)),
    endDate: Type.Optional(Nullable(GraphDate)),
    numberOfOccurrences: Type.Optional(Int32('For a numbered range: 1 to 999')),
    recurrenceTimeZone: Type.Optional(Nullable(Type.String({ maxLength: 100 }))),
  },
  { additionalProperties: false, description: "Graph's recurrenceRange" },
);
/** The recurrence of a request and of a response: one schema, so the document types both alike. */
export const Recurrence = Type.Union([
  Type.Object(
    { pattern: RecurrencePattern, range: RecurrenceRange },
    {
      additionalProperties: false,
      description:
        "Microsoft Graph's patternedRecurrence. A series must name its time zone, in " +
        'range.recurrenceTimeZone or in timeZone (422 invalid_recurrence otherwise): its room opens ' +
        "at each occurrence's local time",
    },
  ),
  Type.Null(),
]);

/** Checked by the domain: an IANA or a Windows time zone name (422 invalid_meeting_times otherwise). */
const TimeZone = Type.Union([
  Type.String({
    maxLength: 100,
    description: 'IANA (Europe/Paris) or Windows (W. Europe Standard Time) time zone name',
  }),
  Type.Null(),
]);

/** An Outlook item's idempotency key: the body's `idempotencyKey`, the `Idempotency-Key` header. */
const IdempotencyKey = (description: string) =>
  Type.String({ minLength: 8, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$', description });

export const CreateMeetingBody = Type.Object(
  {
    subject: Type.String({ maxLength: 255, description: 'The appointment subject (stored encrypted)' }),
    start: RequestDateTime,
    end: RequestDateTime,
    timeZone: Type.Optional(TimeZone),
    recurrence: Type.Optional(Recurrence),
    idempotencyKey: Type.Optional(
      IdempotencyKey(
        'One per Outlook item, not per request: a repeated create with the same key (a retry, or a second click on the same item) answers 200 with the meeting already made for that item, as it is now (cancelled included), and ignores the rest of its body; change the meeting with PATCH. A key of a deleted meeting makes a new one. Only a series asked for with the key of a single meeting (or the reverse) that never changed shape is refused (422 idempotency_key_reused). May be sent instead in the Idempotency-Key header; if both are sent they must be equal (400 invalid_request otherwise).',
      ),
    ),
    options: Type.Optional(MeetingOptions),
  },
  { additionalProperties: false },
);
export type CreateMeetingBody = Static<typeof CreateMeetingBody>;

export const UpdateMeetingBody = Type.Object(
  {
    subject: Type.Optional(Type.String({ maxLength: 255 })),
    start: Type.Optional(RequestDateTime),
    end: Type.Optional(RequestDateTime),
    timeZone: Type.Optional(TimeZone),
    recurrence: Type.Optional(Recurrence),
    options: Type.Optional(MeetingOptions),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateMeetingBody = Static<typeof UpdateMeetingBody>;

/** Headers of a create: the idempotency key may come as a header instead of in the body. */
export const CreateMeetingHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    IdempotencyKey(
      "Idempotency-Key: the body's idempotencyKey, as a header (the same rules and meaning). Send " +
        'either; if both are sent they must be equal, or the create is refused (400 invalid_request).',
    ),
  ),
});

export const MeetingParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

/**
 * Headers of a request about one meeting. `Roomlink-Item-Key` proves the caller can open the Outlook
 * appointment carrying the meeting: after a sign-out and a new sign-in (a new user record), the
 * meeting of the signed-out record is taken back with it (docs/auth.md, domain/meetings/reclaim.ts).
 */
export const MeetingHeaders = Type.Object({
  'roomlink-item-key': Type.Optional(
    Type.String({
      minLength: 8,
      maxLength: 128,
      pattern: '^[A-Za-z0-9._:-]+$',
      description:
        "Roomlink-Item-Key: the idempotencyKey the meeting was created with, read from the Outlook item's " +
        'custom properties. When the meeting belongs to a signed-out user record of the same tenant ' +
        '(the caller signed out, then in again), it is moved to the caller; otherwise it changes nothing.',
    }),
  ),
});
export const LanguageQuery = Type.Object(
  { lang: Type.Optional(Type.String({ maxLength: 35, description: 'Language of the join instructions' })) },
  { additionalProperties: false },
);

export const Instructions = Type.Object({
  language: Language,
  html: Type.String({ description: 'Join block for the appointment body, wrapped in Roomlink markers' }),
  text: Type.String(),
});

export const MeetingResponse = Type.Object({
  id: Type.String({ format: 'uuid' }),
  status: Type.Union([Type.Literal('scheduled'), Type.Literal('cancelled')]),
  subject: Type.String(),
  start: DateTime,
  end: DateTime,
  timeZone: Type.Union([Type.String(), Type.Null()]),
  recurrence: Recurrence,
  options: MeetingOptions,
  joinUrl: Type.String({ format: 'uri' }),
  sipUri: Type.Union([Type.String(), Type.Null()], {
    description: 'Null when this Roomlink takes no SIP calls (ROOMLINK_SIP_DOMAIN=none)',
  }),
  conferenceId: Type.String(),
  hostPin: Type.String({ description: 'For the organizer only; never in the join instructions' }),
  guestPin: Type.Union([Type.String(), Type.Null()]),
  dialIn: Type.Union([Type.String(), Type.Null()]),
  validFrom: DateTime,
  validUntil: DateTime,
  version: Type.Integer(),
  createdAt: DateTime,
  updatedAt: DateTime,
  instructions: Instructions,
});

export const HostLinkResponse = Type.Object({
  url: Type.String({
    format: 'uri',
    description:
      'The join link with a host ticket in its fragment (#host=…): opens the room as host, no PIN. Single use; give it to nobody.',
  }),
  expiresAt: Type.String({ format: 'date-time', description: 'When the ticket stops working if unused' }),
});

export const ProblemResponse = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
  },
  { additionalProperties: true },
);
