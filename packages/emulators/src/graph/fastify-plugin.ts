/**
 * The HTTP face of the emulator: one Fastify catch-all under `/v1.0/*` that turns requests into
 * GraphRequests for the dispatcher (Graph matches path segments case-insensitively, which Fastify
 * routes cannot), with JSON parsing and errors in Graph's format.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Dispatcher } from './dispatcher.js';
import { errorBody, GraphError } from './errors.js';
import { type GraphRequest, JSON_CONTENT_TYPE } from './http.js';
import { parseQuery } from './odata.js';

export interface GraphPluginOptions {
  dispatcher: Dispatcher;
  now: () => Date;
  bodyLimitBytes: number;
  onClose: () => Promise<void>;
}

/** Marks a body that is not valid JSON; the route answers Graph's 400. */
const INVALID_BODY = Symbol('invalid JSON body');

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function toGraphRequest(request: FastifyRequest): GraphRequest {
  const routeUrl = request.routeOptions.url ?? '/v1.0/*';
  const afterVersion = request.url.slice(routeUrl.length - '/*'.length);
  const queryAt = afterVersion.indexOf('?');
  const rawPath = queryAt < 0 ? afterVersion : afterVersion.slice(0, queryAt);
  const rawQuery = queryAt < 0 ? '' : afterVersion.slice(queryAt + 1);
  const segments = rawPath.split('/').filter(Boolean).map(safeDecode);
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const requestId = randomUUID();
  return {
    method: request.method.toUpperCase(),
    path: `/${segments.join('/')}`,
    segments,
    rawQuery,
    query: parseQuery(rawQuery),
    headers,
    body: request.body === INVALID_BODY ? undefined : request.body,
    ...(request.body === INVALID_BODY ? { bodyInvalid: true } : {}),
    requestId,
    clientRequestId: headers['client-request-id'] ?? requestId,
  };
}

export function graphPlugin(options: GraphPluginOptions): FastifyPluginAsync {
  const bodyLimit = options.bodyLimitBytes;
  return async (app: FastifyInstance) => {
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (_req, body, done) => {
      const text = String(body);
      if (text.trim() === '') return done(null, undefined);
      try {
        done(null, JSON.parse(text));
      } catch {
        done(null, INVALID_BODY);
      }
    });
    app.addContentTypeParser('*', { parseAs: 'string', bodyLimit }, (_req, body, done) => {
      done(null, String(body) === '' ? undefined : INVALID_BODY);
    });
    app.addHook('onClose', async () => options.onClose());
    // Body-parsing failures (too large, bad encoding) still answer in Graph's error format.
    app.setErrorHandler((error: { statusCode?: number; message: string }, _request, reply) => {
      const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 500;
      const requestId = randomUUID();
      const code =
        status === 413 ? 'RequestEntityTooLarge' : status >= 500 ? 'generalException' : 'BadRequest';
      const body = errorBody(
        new GraphError(status, code, error.message),
        options.now(),
        requestId,
        requestId,
      );
      reply.code(status).header('content-type', JSON_CONTENT_TYPE).header('request-id', requestId);
      return reply.send(JSON.stringify(body));
    });
    app.all('/v1.0/*', { bodyLimit }, async (request, reply) => {
      const response = await options.dispatcher.handle(toGraphRequest(request));
      reply.code(response.status).headers(response.headers);
      return response.body === undefined ? reply.send() : reply.send(JSON.stringify(response.body));
    });
  };
}
