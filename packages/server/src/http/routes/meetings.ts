/** The meetings API the add-in calls: /api/v1/meetings. */

import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type Meeting, meetingRecord } from '../../domain/meetings/meeting.js';
import { ITEM_KEY_HEADER, type MeetingAccess } from '../../domain/meetings/reclaim.js';
import type { MeetingService } from '../../domain/meetings/service.js';
import type { TenantRepository } from '../../domain/tenants/tenant.js';
import { pickFirstLanguage, renderInstructions } from '../../instructions/index.js';
import { requirePrincipal, requireSignedIn } from '../auth.js';
import {
  CreateMeetingBody,
  HostLinkResponse,
  LanguageQuery,
  MeetingHeaders,
  MeetingParams,
  MeetingResponse,
  ProblemResponse,
  UpdateMeetingBody,
} from './meeting-schemas.js';

export interface MeetingRoutesDeps {
  readonly meetings: MeetingService;
  readonly tenants: TenantRepository;
  /** ROOMLINK_HELP_URL: the instructions' "Need help?" link, or null for none. */
  readonly helpUrl: string | null;
}

const errors = {
  400: ProblemResponse,
  401: ProblemResponse,
  404: ProblemResponse,
  409: ProblemResponse,
  422: ProblemResponse,
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
        summary: 'Create a meeting room (idempotent with idempotencyKey)',
        tags: ['meetings'],
        body: CreateMeetingBody,
        querystring: LanguageQuery,
        response: { 200: MeetingResponse, 201: MeetingResponse, ...errors },
      },
    },
    async (request, reply) => {
      const actor = requirePrincipal(request);
      const b = request.body;
      // The organizer's own request: times that retention would purge at once, and a series with no
      // time zone, are refused.
      const { meeting, created } = await deps.meetings.create(
        actor,
        {
          subject: b.subject,
          start: new Date(b.start),
          end: new Date(b.end),
          timeZone: b.timeZone ?? null,
          recurrence: b.recurrence ?? null,
          idempotencyKey: b.idempotencyKey ?? null,
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
        summary: 'Read a meeting and its join instructions',
        tags: ['meetings'],
        params: MeetingParams,
        headers: MeetingHeaders,
        querystring: LanguageQuery,
        response: { 200: MeetingResponse, ...errors },
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
        summary: 'Change subject, times or options',
        tags: ['meetings'],
        params: MeetingParams,
        headers: MeetingHeaders,
        querystring: LanguageQuery,
        body: UpdateMeetingBody,
        response: { 200: MeetingResponse, ...errors },
      },
    },
    async (request) => {
      const b = request.body;
      const meeting = await deps.meetings.update(
        requirePrincipal(request),
        request.params.id,
        {
          ...(b.subject !== undefined ? { subject: b.subject } : {}),
          ...(b.start !== undefined ? { start: new Date(b.start) } : {}),
          ...(b.end !== undefined ? { end: new Date(b.end) } : {}),
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
        summary: 'Cancel the room; the join link then says the meeting was cancelled',
        tags: ['meetings'],
        params: MeetingParams,
        headers: MeetingHeaders,
        querystring: LanguageQuery,
        response: { 200: MeetingResponse, ...errors },
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
        summary: 'A one-click link into the room as host, for the organizer (single use, 15 minutes)',
        tags: ['meetings'],
        params: MeetingParams,
        headers: MeetingHeaders,
        response: { 201: HostLinkResponse, ...errors },
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
        summary: 'Cancel the room and delete the meeting now',
        tags: ['meetings'],
        params: MeetingParams,
        headers: MeetingHeaders,
        response: { 204: { type: 'null' }, ...errors },
      },
    },
    async (request, reply) => {
      await deps.meetings.delete(requirePrincipal(request), request.params.id, access(request));
      return reply.code(204).send(null);
    },
  );
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
    instructions: { language: instructions.language, html: instructions.html, text: instructions.text },
  };
}
