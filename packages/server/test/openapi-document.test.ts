/**
 * The OpenAPI document describes what the routes answer: only the API under /api/v1/ (not demo
 * mode's emulators or sandbox), errors as application/problem+json, the statuses each route can
 * send, and the admin API's cookie authentication. Checked on the product in demo mode, where every
 * feature is mounted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, startDemoServer } from './browser/demo-sandbox.js';

type Response = {
  description?: string;
  headers?: Record<string, { schema?: unknown; description?: string }>;
  content?: Record<string, { schema?: unknown }>;
};
type Parameter = { in: string; name: string; required?: boolean; schema?: unknown; description?: string };
type Operation = {
  operationId?: string;
  security?: unknown;
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown> } }> };
  responses: Record<string, Response>;
};
type Document = { paths: Record<string, Record<string, Operation>>; components: Record<string, unknown> };

describe('the OpenAPI document (GET /api/v1/openapi.json)', () => {
  let server: DemoServer;
  let doc: Document;
  beforeAll(async () => {
    server = await startDemoServer();
    doc = (await (await fetch(new URL('api/v1/openapi.json', server.baseUrl))).json()) as Document;
  });
  afterAll(async () => server?.close());

  const operations = () =>
    Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => ({ path, method, op })),
    );
  const op = (method: string, path: string) => {
    const found = doc.paths[path]?.[method];
    if (!found) throw new Error(`${method} ${path} is not in the document`);
    return found;
  };

  it('describes the API under /api/v1/ only, not the emulators or the sandbox', () => {
    const paths = Object.keys(doc.paths);
    expect(paths).toContain('/api/v1/meetings');
    expect(paths.filter((p) => !p.startsWith('/api/v1/'))).toEqual([]);
  });

  it('gives every error response as application/problem+json', () => {
    for (const { path, method, op: operation } of operations()) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (Number(status) < 400) continue;
        expect(Object.keys(response.content ?? {}), `${method} ${path} ${status}`).toEqual([
          'application/problem+json',
        ]);
      }
    }
  });

  it('lists the statuses routes send beyond their own schemas', () => {
    for (const { path, method, op: operation } of operations()) {
      const statuses = Object.keys(operation.responses);
      if (operation.requestBody)
        expect(statuses, `${method} ${path}`).toEqual(expect.arrayContaining(['413', '415']));
      if (method !== 'get') expect(statuses, `${method} ${path}`).toContain('503');
    }
    expect(Object.keys(op('post', '/api/v1/session/sign-out').responses).sort()).toEqual([
      '204',
      '401',
      '503',
    ]);
    expect(Object.keys(op('post', '/api/v1/session').responses)).toContain('429');
    expect(Object.keys(op('get', '/api/v1/rooms/{slug}').responses)).toEqual(
      expect.arrayContaining(['404', '503']),
    );
    expect(Object.keys(op('put', '/api/v1/me/settings').responses)).toEqual(
      expect.arrayContaining(['400', '401']),
    );
  });

  it('names every operation with a unique, camelCase operationId; the meetings API by what it does', () => {
    const ids = operations().map(({ path, method, op: operation }) => {
      expect(operation.operationId, `${method} ${path}`).toMatch(/^[a-z][A-Za-z0-9]*$/);
      return operation.operationId;
    });
    expect(new Set(ids).size).toBe(ids.length);
    expect({
      create: op('post', '/api/v1/meetings').operationId,
      get: op('get', '/api/v1/meetings/{id}').operationId,
      update: op('patch', '/api/v1/meetings/{id}').operationId,
      delete: op('delete', '/api/v1/meetings/{id}').operationId,
      cancel: op('post', '/api/v1/meetings/{id}/cancel').operationId,
      hostLink: op('post', '/api/v1/meetings/{id}/host-link').operationId,
    }).toEqual({
      create: 'createMeeting',
      get: 'getMeeting',
      update: 'updateMeeting',
      delete: 'deleteMeeting',
      cancel: 'cancelMeeting',
      hostLink: 'createHostLink',
    });
  });

  it('describes every response (none left as "Default Response")', () => {
    for (const { path, method, op: operation } of operations()) {
      for (const [status, response] of Object.entries(operation.responses)) {
        expect(response.description, `${method} ${path} ${status}`).toBeTruthy();
        expect(response.description, `${method} ${path} ${status}`).not.toBe('Default Response');
      }
    }
    expect(op('post', '/api/v1/meetings').responses['201']?.description).toMatch(/created/);
    expect(op('post', '/api/v1/meetings').responses['200']?.description).toMatch(/idempotency key/);
  });

  it('declares the Location header a create answers with, on 201 and on 200', () => {
    for (const status of ['201', '200']) {
      expect(op('post', '/api/v1/meetings').responses[status]?.headers, status).toEqual({
        location: {
          schema: { type: 'string', format: 'uri-reference' },
          description: expect.stringContaining('/api/v1/meetings/{id}'),
        },
      });
    }
  });

  it('documents the Idempotency-Key header of a create, validated as the body field', () => {
    const create = op('post', '/api/v1/meetings');
    const header = create.parameters?.find((p) => p.in === 'header' && p.name === 'idempotency-key');
    expect(header).toMatchObject({
      required: false,
      schema: { type: 'string', minLength: 8, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' },
      description: expect.stringMatching(/both are sent they must be equal/),
    });
    const body = create.requestBody?.content['application/json']?.schema.properties;
    const { description: _bodyDescription, ...bodyKey } = (body?.idempotencyKey ?? {}) as Record<
      string,
      unknown
    >;
    expect(header?.schema).toEqual(bodyKey);
  });

  it('types a meeting’s recurrence in responses as precisely as in requests', () => {
    const requestRecurrence = op('post', '/api/v1/meetings').requestBody?.content['application/json']?.schema
      .properties.recurrence;
    expect(requestRecurrence).toBeDefined();
    for (const [method, path, status] of [
      ['post', '/api/v1/meetings', '201'],
      ['post', '/api/v1/meetings', '200'],
      ['get', '/api/v1/meetings/{id}', '200'],
      ['patch', '/api/v1/meetings/{id}', '200'],
      ['post', '/api/v1/meetings/{id}/cancel', '200'],
    ] as const) {
      const schema = op(method, path).responses[status]?.content?.['application/json']?.schema as {
        properties: Record<string, unknown>;
      };
      expect(schema.properties.recurrence, `${method} ${path} ${status}`).toEqual(requestRecurrence);
    }
  });

  it('authenticates the admin API by the console’s cookie, the add-in API by bearer, public routes by nothing', () => {
    expect(doc.components.securitySchemes).toMatchObject({
      addinSession: { type: 'http', scheme: 'bearer' },
      adminConsole: { type: 'apiKey', in: 'cookie', name: 'roomlink_session' },
    });
    for (const { path, method, op: operation } of operations()) {
      if (path.startsWith('/api/v1/admin/')) {
        expect(operation.security, `${method} ${path}`).toEqual([{ adminConsole: [] }]);
        expect(Object.keys(operation.responses), `${method} ${path}`).toEqual(
          expect.arrayContaining(['401', '403']),
        );
      }
    }
    expect(op('get', '/api/v1/rooms/{slug}').security).toEqual([]);
    expect(op('post', '/api/v1/meetings').security).toBeUndefined(); // the document's default: bearer
    expect(Object.keys(op('post', '/api/v1/meetings').responses)).toContain('401');
  });
});
