/**
 * The OpenAPI document at GET /api/v1/openapi.json (@fastify/swagger builds it from the routes'
 * schemas). Only the API under /api/v1/ is described: the emulators and the Outlook sandbox of
 * demo mode, pages and assets are not part of it. What every route shares is added here rather than
 * repeated in each schema: errors are application/problem+json; a route with a body can answer 413
 * and 415, a write 503; the admin API is authenticated by the admin console's cookie, not an add-in session.
 * Every operation gets an operationId (its route's own, else the one OPERATION_IDS gives it) and every
 * response a description (its schema's own, else what its status means).
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import { roomlinkCookies } from './cookies.js';
import { ERROR_CATALOGUE } from './errors.js';
import { ProblemResponse } from './routes/meeting-schemas.js';

const DOCUMENTED_PREFIX = '/api/v1/';
const ADMIN_PREFIX = '/api/v1/admin/';
const PROBLEM_JSON = 'application/problem+json';
/** What @fastify/swagger calls a response whose schema has no description. */
const UNDESCRIBED = 'Default Response';

/**
 * operationIds of the routes whose schemas name none (the meetings routes name their own): stable
 * camelCase names for generated clients, by `<method> <path>` as the document spells it.
 */
const OPERATION_IDS: Readonly<Record<string, string>> = {
  'post /api/v1/session': 'createSession',
  'post /api/v1/session/sign-out': 'signOut',
  'get /api/v1/me': 'getMe',
  'put /api/v1/me/settings': 'updateMySettings',
  'get /api/v1/rooms/{slug}': 'getRoom',
  'get /api/v1/rooms/{slug}/admission': 'getRoomAdmission',
  'get /api/v1/admin/overview': 'getAdminOverview',
  'get /api/v1/admin/settings': 'getTenantSettings',
  'put /api/v1/admin/settings': 'updateTenantSettings',
  'post /api/v1/admin/templates/preview': 'previewTemplates',
  'get /api/v1/admin/users': 'listUsers',
  'get /api/v1/admin/users/{id}/export': 'exportUser',
  'delete /api/v1/admin/users/{id}': 'eraseUser',
  'get /api/v1/admin/export': 'exportTenant',
  'get /api/v1/admin/audit': 'listAuditEntries',
  'delete /api/v1/admin/session': 'signOutOfAdminConsole',
};

type Operation = {
  operationId?: string;
  security?: Record<string, string[]>[];
  requestBody?: unknown;
  responses?: Record<string, { description?: string; content?: Record<string, unknown> }>;
};

export function openApiOptions(baseUrl: URL): FastifyDynamicSwaggerOptions {
  return {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Roomlink API',
        version: '1.0.0',
        description:
          'The API the Roomlink Outlook add-in and admin console call. Errors are application/problem+json (docs/errors.md).',
      },
      servers: [{ url: baseUrl.toString().replace(/\/$/, '') }],
      components: {
        securitySchemes: {
          addinSession: { type: 'http', scheme: 'bearer', description: 'Add-in session token' },
          adminConsole: {
            type: 'apiKey',
            in: 'cookie',
            // `__Host-roomlink_session` with an https base URL (http/cookies.ts).
            name: roomlinkCookies(baseUrl).session.name,
            description:
              "The admin console's browser session (a tenant admin's sign-in at /auth/signin); unsafe methods also need Roomlink's own Origin",
          },
        },
      },
      security: [{ addinSession: [] }],
    },
    transform: ({ schema, url }) => ({
      schema: url.startsWith(DOCUMENTED_PREFIX) ? schema : { ...schema, hide: true },
      url,
    }),
    transformObject: (documentObject) => {
      if (!('openapiObject' in documentObject)) return documentObject.swaggerObject;
      const document = documentObject.openapiObject;
      for (const [path, operations] of Object.entries(document.paths ?? {})) {
        for (const [method, operation] of Object.entries(operations as Record<string, Operation>)) {
          describeShared(path, method, operation);
        }
      }
      return document;
    },
  };
}

function describeShared(path: string, method: string, operation: Operation): void {
  operation.operationId ??= OPERATION_IDS[`${method} ${path}`] ?? derivedOperationId(method, path);
  operation.responses ??= {};
  const responses = operation.responses;
  if (path.startsWith(ADMIN_PREFIX)) {
    operation.security = [{ adminConsole: [] }];
    responses['403'] ??= problemResponse('forbidden');
  }
  const isPublic = Array.isArray(operation.security) && operation.security.length === 0;
  if (!isPublic) responses['401'] ??= problemResponse('unauthorized');
  // A write the store cannot take right now (docs/errors.md, `unavailable`).
  if (method !== 'get') responses['503'] ??= problemResponse('unavailable');
  if (operation.requestBody !== undefined) {
    responses['400'] ??= problemResponse('invalid_request');
    responses['413'] ??= problemResponse('payload_too_large');
    responses['415'] ??= problemResponse('unsupported_media_type');
  }
  for (const [status, response] of Object.entries(responses)) {
    if (!response.description || response.description === UNDESCRIBED)
      response.description = statusDescription(status);
    const content = response.content;
    if (Number(status) < 400 || !content?.['application/json']) continue;
    response.content = { [PROBLEM_JSON]: content['application/json'] };
  }
}

function problemResponse(code: keyof typeof ERROR_CATALOGUE) {
  return {
    description: ERROR_CATALOGUE[code].title,
    content: { [PROBLEM_JSON]: { schema: ProblemResponse } },
  };
}

/**
 * A response's description when its route gives none: the catalogue's title when one code has that
 * status, else the status's reason phrase.
 */
function statusDescription(status: string): string {
  const codes = Object.entries(ERROR_CATALOGUE).filter(([, entry]) => String(entry.status) === status);
  if (codes.length === 1 && codes[0]) return codes[0][1].title;
  return STATUS_CODES[status] ?? `HTTP ${status}`;
}

/** A route added without an OPERATION_IDS entry still gets a unique one: `post /api/v1/a/{id}/b` → postApiV1AIdB. */
function derivedOperationId(method: string, path: string): string {
  const words = path
    .split(/[^A-Za-z0-9]+/)
    .filter((word) => word !== '')
    .map((word) => word[0]?.toUpperCase() + word.slice(1));
  return method + words.join('');
}
