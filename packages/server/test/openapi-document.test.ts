/**
 * The OpenAPI document describes what the routes answer: only the API under /api/v1/ (not demo
 * mode's emulators or sandbox), errors as application/problem+json, the statuses each route can
 * send, and the admin API's cookie authentication. Checked on the product in demo mode, where every
 * feature is mounted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, startDemoServer } from './browser/demo-sandbox.js';

type Response = { content?: Record<string, unknown> };
type Operation = { security?: unknown; requestBody?: unknown; responses: Record<string, Response> };
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
