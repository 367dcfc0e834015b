/**
 * JSON bodies as Fastify parses them, except that an empty body is no body at all on a route that
 * declares none: many HTTP clients send `Content-Type: application/json` on every request, DELETE
 * included. A route that takes a body still refuses an empty one (malformed_json, "the body is empty").
 */
import type { FastifyInstance } from 'fastify';

export function registerJsonBodyParser(app: FastifyInstance): void {
  const { onProtoPoisoning, onConstructorPoisoning } = app.initialConfig;
  // Fastify's own parser: same size limit, same prototype-poisoning refusals, same errors.
  const parseJson = app.getDefaultJsonParser(onProtoPoisoning ?? 'error', onConstructorPoisoning ?? 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser<string>('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body.length === 0 && request.routeOptions.schema?.body === undefined) {
      done(null, undefined);
      return;
    }
    parseJson(request, body, done);
  });
}
