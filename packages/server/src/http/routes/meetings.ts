/** The meetings API the add-in calls: /api/v1/meetings. */

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Static } from '@sinclair/typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Meeting, meetingRecord } from '../../domain/meetings/meeting.js';
import { ITEM_KEY_HEADER, type MeetingAccess } from '../../domain/meetings/reclaim.js';
import type { MeetingService } from '../../domain/meetings/service.js';
import type { TenantRepository } from '../../domain/tenants/tenant.js';
import { pickFirstLanguage, renderInstructions } from '../../instructions/index.js';
import { requirePrincipal, requireSignedIn } from '../auth.js';
import { HttpError } from '../errors.js';
import type { AjvError } from '../validation-messages.js';
import {
  CreateMeetingBody,
  CreateMeetingHeaders,
  HostLinkResponse,
  LanguageQuery,
  MeetingHeaders,
  MeetingParams,
  MeetingResponse,
  ProblemResponse,
  type Recurrence,
  UpdateMeetingBody,
} from './meeting-schemas.js';

export interface MeetingRoutesDeps {
  readonly meetings: MeetingService;
  readonly tenants: TenantRepository;
  /** ROOMLINK_HELP_URL: the instructions' "Need help?" link, or null for none. */
  readonly helpUrl: string | null;
}

/** A response schema with the description the OpenAPI document gives that response. */
const described = <T extends object>(schema: T, description: string) => ({ ...schema, description });

const LOCATION = {
  location: {
    type: 'string',
    format: 'uri-reference',
    description: "The meeting's own URL: /api/v1/meetings/{id}",
  },
};
/** The meeting, with its URL in `Location` (create). */
const meetingAt = (description: string) => ({
  ...described(MeetingResponse, description),
  headers: LOCATION,
});

/** The problems the meetings routes answer with, described by the codes each status carries. */
const problems = {
  400: described(
    ProblemResponse,
    'invalid_request: a parameter, header or the body does not match the schema (see `errors`), or a date-time that does not exist (a leap second); malformed_json: the body is missing, empty or not JSON',
  ),
  401: described(ProblemResponse, 'unauthorized: no valid add-in session (or sign_in_required)'),
  404: described(ProblemResponse, "meeting_not_found: no such meeting among the caller's"),
  409: described(
    ProblemResponse,
    'meeting_cancelled: the meeting was cancelled and can no longer change; concurrent_update: it changed meanwhile, read it again and retry',
  ),
  422: described(
    ProblemResponse,
    'invalid_meeting_times, invalid_recurrence or idempotency_key_reused: well-formed, but refused (`detail` names the field)',
  ),
};

/** A plugin (register it): its hook applies to these routes only. */
export async function meetingRoutes(app: FastifyInstance, deps: MeetingRoutesDeps): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  // Every route needs a session, checked before the body is parsed or validated: an anonymous
  // caller learns nothing of the schemas.
  app.addHook('onRequest', requireSignedIn);

  const present = async (request: FastifyRequest, meeting: Meeting, lang: string | undefined) => {
    const tenant = await deps.tenants.ensure(meeting.tenantId, new Date());
    // Chosen per request (the add-in sends its UI language), then the meeting's own, then the browser's.
    const language = pickFirstLanguage(
      [lang, meeting.options.language, request.headers['accept-language']],
      tenant.settings.defaultLanguage,
    );
    const instructions = renderInstructions(joinDetails(meeting), language, tenant.settings.templates, {
      helpUrl: deps.helpUrl,
      onTemplateError: (error) =>
        request.log.warn(
          { field: error.field, language: error.language },
          'stored join template unusable; default used',
        ),
    });
    return toResponse(meeting, instructions);
  };

  api.post(
    '/api/v1/meetings',
    {
      schema: {
        operationId: 'createMeeting',
        summary: 'Create a meeting room (idempotent with idempotencyKey or Idempotency-Key)',
        tags: ['meetings'],
        headers: CreateMeetingHeaders,
        body: CreateMeetingBody,
        querystring: LanguageQuery,
        response: {
          200: meetingAt(
            'The meeting already made with this idempotency key, as it is now (cancelled included); the rest of the body was ignored',
          ),
          201: meetingAt('The meeting was created, with its room'),
          400: problems[400],
          401: problems[401],
          422: problems[422],
        },
      },
    },
    async (request, reply) => {
      const actor = requirePrincipal(request);
      const b = request.body;
      const idempotencyKey = idempotencyKeyOf(request.headers['idempotency-key'], b.idempotencyKey);
      const start = dateTimeOf(b.start, 'start');
      const end = dateTimeOf(b.end, 'end');
      // The organizer's own request: times that retention would purge at once, and a series with no
      // time zone, are refused.
      const { meeting, created } = await deps.meetings.create(
        actor,
        {
          subject: b.subject,
          start,
          end,
          timeZone: b.timeZone ?? null,
          recurrence: b.recurrence ?? null,
          idempotencyKey,
          ...(b.options ? { options: b.options } : {}),
        },
        { refuseExpired: true, requireSeriesZone: true },
      );
      void reply.code(created ? 201 : 200).header('location', `/api/v1/meetings/${meeting.id}`);
      return present(request, meeting, request.query.lang);
    },
  );

  api.get(
    '/api/v1/meetings/:id',
    {
      schema: {
        operationId: 'getMeeting',
        summary: 'Read a meeting and its join instructions',
        tags: ['meetings'],
        params: MeetingParams,
        headers: MeetingHeaders,
        querystring: LanguageQuery,
        response: {
          200: described(MeetingResponse, 'The meeting (cancelled included) and its join instructions'),
          400: problems[400],
          401: problems[401],
          404: problems[404],
        },
      },
    },
    async (request) => {
      const meeting = await deps.meetings.get(requirePrincipal(request), request.params.id, access(request));
      return present(request, meeting, request.query.lang);
    },
  );

  api.patch(
    '/api/v1/meetings/:id',
    {
      schema: {
        operationId: 'updateMeeting',
        summary: 'Change subject, times or options',
        tags: ['meetings'],
        params: MeetingParams,
        headers: MeetingHeaders,
        querystring: LanguageQuery,
        body: UpdateMeetingBody,
        response: {
          200: described(MeetingResponse, 'The meeting as changed, with its join instructions'),
          ...problems,
        },
      },
    },
    async (request) => {
      const b = request.body;
      const start = b.start === undefined ? undefined : dateTimeOf(b.start, 'start');
      const end = b.end === undefined ? undefined : dateTimeOf(b.end, 'end');
      const meeting = await deps.meetings.update(
        requirePrincipal(request),
        request.params.id,
        {
          ...(b.subject !== undefined ? { subject: b.subject } : {}),
          ...(start !== undefined ? { start } : {}),
          ...(end !== undefined ? { end } : {}),
          ...(b.timeZone !== undefined ? { timeZone: b.timeZone } : {}),
          ...(b.recurrence !== undefined ? { recurrence: b.recurrence } : {}),
          ...(b.options ? { options: b.options } : {}),
        },
        { refuseExpired: true, requireSeriesZone: true },
        access(request),
      );
      return present(request, meeting, request.query.lang);
    },
  );

  api.post(
    '/api/v1/meetings/:id/cancel',
    {
      schema: {
        operationId: 'cancelMeeting',
        summary: 'Cancel the room; the join link then says the meeting was cancelled',
        tags: ['meetings'],
        params: MeetingParams,
        headers: MeetingHeaders,
        querystring: LanguageQuery,
        response: {
          200: described(
            MeetingResponse,
            'The meeting, cancelled (also when it already was); anyone in its room was sent out',
          ),
          400: problems[400],
          401: problems[401],
          404: problems[404],
          409: problems[409],
        },
      },
    },
    async (request) => {
      const meeting = await deps.meetings.cancel(
        requirePrincipal(request),
        request.params.id,
        access(request),
      );
      return present(request, meeting, request.query.lang);
    },
  );

  api.post(
    '/api/v1/meetings/:id/host-link',
    {
      schema: {
        operationId: 'createHostLink',
        summary: 'A one-click link into the room as host, for the organizer (single use, 15 minutes)',
        tags: ['meetings'],
        params: MeetingParams,
        headers: MeetingHeaders,
        response: {
          201: described(HostLinkResponse, 'A new host link, single use, valid 15 minutes'),
          400: problems[400],
          401: problems[401],
          404: problems[404],
          409: problems[409],
        },
      },
    },
    async (request, reply) => {
      const link = await deps.meetings.hostLinks.issue(
        requirePrincipal(request),
        request.params.id,
        access(request),
      );
      void reply.code(201);
      return { url: link.url, expiresAt: link.expiresAt.toISOString() };
    },
  );

  api.delete(
    '/api/v1/meetings/:id',
    {
      schema: {
        operationId: 'deleteMeeting',
        summary: 'Cancel the room and delete the meeting now',
        tags: ['meetings'],
        params: MeetingParams,
        headers: MeetingHeaders,
        response: {
          204: { type: 'null', description: 'The meeting was deleted, its room cancelled' },
          400: problems[400],
          401: problems[401],
          404: problems[404],
        },
      },
    },
    async (request, reply) => {
      await deps.meetings.delete(requirePrincipal(request), request.params.id, access(request));
      return reply.code(204).send(null);
    },
  );
}

/**
 * The create's idempotency key: the `Idempotency-Key` header or the body's `idempotencyKey` (both
 * validated alike by the schemas), which must agree when both are sent.
 */
function idempotencyKeyOf(header: unknown, body: string | undefined): string | null {
  const fromHeader = typeof header === 'string' ? header : undefined;
  if (fromHeader !== undefined && body !== undefined && fromHeader !== body) {
    throw new HttpError(
      'invalid_request',
      "the Idempotency-Key header and the body's idempotencyKey differ: send the key in one of them, or the same key in both",
    );
  }
  return fromHeader ?? body ?? null;
}

/**
 * A date-time the schema passed, as a Date. The schema's `date-time` format takes a leap second
 * (`23:59:60Z`), which no Date holds: refused as the schema refuses any other invalid date-time (400
 * invalid_request naming the field, `errors` included), before the domain would call it 422.
 */
function dateTimeOf(value: string, field: 'start' | 'end'): Date {
  const date = new Date(value);
  if (!Number.isNaN(date.getTime())) return date;
  const validation: AjvError[] = [
    {
      keyword: 'format',
      instancePath: `/${field}`,
      params: { format: 'date-time' },
      message: 'must be a date-time that exists (seconds 00 to 59: a leap second is not taken)',
    },
  ];
  throw Object.assign(new Error(`body/${field} is not a date-time that exists`), {
    statusCode: 400,
    validation,
    validationContext: 'body',
  });
}

/** The item key the add-in sent, validated by MeetingHeaders. */
function access(request: FastifyRequest): MeetingAccess {
  const key = request.headers[ITEM_KEY_HEADER];
  return typeof key === 'string' ? { itemKey: key } : {};
}

function joinDetails(m: Meeting) {
  return {
    meetingId: m.id,
    joinUrl: m.room.joinUrl,
    conferenceId: m.room.conferenceId,
    sipUri: m.room.sipUri,
    hostPin: m.room.hostPin,
    guestPin: m.room.guestPin,
    dialIn: m.room.dialIn ? { number: m.room.dialIn } : null,
  };
}

function toResponse(m: Meeting, instructions: { language: 'en' | 'fr'; html: string; text: string }) {
  return {
    ...meetingRecord(m),
    recurrence: graphRecurrence(m.recurrence),
    instructions: { language: instructions.language, html: instructions.html, text: instructions.text },
  };
}

const PATTERN_KEYS = ['type', 'interval', 'daysOfWeek', 'firstDayOfWeek', 'index', 'dayOfMonth', 'month'];
const RANGE_KEYS = ['type', 'startDate', 'endDate', 'numberOfOccurrences', 'recurrenceTimeZone'];

/**
 * A stored recurrence as the response schema types it: Graph's patternedRecurrence, its values
 * checked on every write (the request schema, recurrence-rules.ts). Calendar sync stores Graph's
 * recurrence as Graph sent it: a property Graph may add one day is left out here, where the response
 * schema (no additional properties) would otherwise fail the whole answer.
 */
function graphRecurrence(recurrence: Meeting['recurrence']): Static<typeof Recurrence> | null {
  if (recurrence === null) return null;
  return {
    pattern: pick(recurrence.pattern, PATTERN_KEYS),
    range: pick(recurrence.range, RANGE_KEYS),
  } as Static<typeof Recurrence>;
}

function pick(value: unknown, keys: readonly string[]): Record<string, unknown> {
  const from = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  return Object.fromEntries(keys.filter((key) => from[key] !== undefined).map((key) => [key, from[key]]));
}
