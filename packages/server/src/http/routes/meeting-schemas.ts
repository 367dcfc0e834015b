/** JSON schemas of the meetings API (TypeBox): they validate requests and generate the OpenAPI document. */
import { type Static, Type } from '@sinclair/typebox';

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
const Recurrence = Type.Union([
  Type.Object(
    {
      pattern: Type.Object({ type: Type.String({ maxLength: 32 }) }, { additionalProperties: true }),
      range: Type.Object({ type: Type.String({ maxLength: 32 }) }, { additionalProperties: true }),
    },
    { additionalProperties: false, description: "Microsoft Graph's patternedRecurrence" },
  ),
  Type.Null(),
]);

export const CreateMeetingBody = Type.Object(
  {
    subject: Type.String({ maxLength: 255, description: 'The appointment subject (stored encrypted)' }),
    start: DateTime,
    end: DateTime,
    timeZone: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()])),
    recurrence: Type.Optional(Recurrence),
    idempotencyKey: Type.Optional(
      Type.String({
        minLength: 8,
        maxLength: 128,
        pattern: '^[A-Za-z0-9._:-]+$',
        description: 'One per Outlook item: a repeated create with the same key returns the same meeting',
      }),
    ),
    options: Type.Optional(MeetingOptions),
  },
  { additionalProperties: false },
);
export type CreateMeetingBody = Static<typeof CreateMeetingBody>;

export const UpdateMeetingBody = Type.Object(
  {
    subject: Type.Optional(Type.String({ maxLength: 255 })),
    start: Type.Optional(DateTime),
    end: Type.Optional(DateTime),
    timeZone: Type.Optional(Type.Union([Type.String({ maxLength: 100 }), Type.Null()])),
    recurrence: Type.Optional(Recurrence),
    options: Type.Optional(MeetingOptions),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type UpdateMeetingBody = Static<typeof UpdateMeetingBody>;

export const MeetingParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
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
  recurrence: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
  options: MeetingOptions,
  joinUrl: Type.String({ format: 'uri' }),
  sipUri: Type.String(),
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
