/**
 * JSON bodies as Fastify parses them, except that an empty body is no body at all on a route that
 * declares none: many HTTP clients send `Content-Type: application/json` on every request, DELETE
 * included. A route that takes a body still refuses an empty one (malformed_json, "the body is empty").
 *
 * JSON is the only type parsed application-wide: Fastify's built-in text/plain parser is replaced, so
 * a text/plain body answers 415 unsupported_media_type like any other type, instead of reaching the
 * route as a string (and failing its schema with "body must be object"); an empty one is no body. A plugin that takes another
 * type adds its parser in its own scope (the identity emulator's form posts). Graph's text/plain
 * validation handshake is answered before any body is parsed (graph/webhook-routes.ts).
 *
 * A request with no body at all and no Content-Type (a bare `POST`) reaches no parser: on a route that
 * takes a body it answers malformed_json ("the body is missing"), as an empty one does, rather than
 * the schema's "body must be object" (invalid_request), which would not say what is wrong.
 */
import type { FastifyInstance } from 'fastify';
import { HttpError } from './errors.js';

export function registerJsonBodyParser(app: FastifyInstance): void {
  const { onProtoPoisoning, onConstructorPoisoning } = app.initialConfig;
  // Fastify's own parser: same size limit, same prototype-poisoning refusals, same errors.
  const parseJson = app.getDefaultJsonParser(onProtoPoisoning ?? 'error', onConstructorPoisoning ?? 'error');
  // preValidation: after the session check (onRequest) and parsing, before the schema's check.
  // A callback hook, not an async one: it runs on every request, the meeting create's hot path too.
  app.addHook('preValidation', (request, _reply, done) => {
    if (request.body === undefined && request.routeOptions.schema?.body !== undefined) {
      done(
        new HttpError(
          'malformed_json',
          'the body is missing: send a JSON object, with Content-Type: application/json',
        ),
      );
      return;
    }
    done();
  });
  app.removeContentTypeParser('text/plain');
  // An empty text/plain body (.NET's StringContent(""), sendBeacon(url, '')) is no body, as for JSON.
  app.addContentTypeParser<string>('text/plain', { parseAs: 'string' }, (request, body, done) => {
    if (body.length === 0 && request.routeOptions.schema?.body === undefined) done(null, undefined);
    else done(new HttpError('unsupported_media_type', 'send the body as application/json'), undefined);
  });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser<string>('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body.length === 0 && request.routeOptions.schema?.body === undefined) {
      done(null, undefined);
      return;
    }
    // A `\uD800`-style escape can make a string no UTF-8 holds; stored encrypted (as UTF-8) it would
    // silently become U+FFFD. The cheap test on the raw text keeps the walk off the common path.
    if (!SURROGATE_ESCAPE.test(body)) {
      parseJson(request, body, (error, value) => {
        if (error) done(namedParseError(error, body), undefined);
        else done(null, value);
      });
      return;
    }
    parseJson(request, body, (error, value) => {
      if (error) done(namedParseError(error, body), undefined);
      else if (holdsUnpairedSurrogate(value))
        done(
          new HttpError(
            'malformed_json',
            'the body holds text that is not valid Unicode (an unpaired surrogate)',
          ),
          undefined,
        );
      else done(null, value);
    });
  });
}

/**
 * Fastify answers "not valid JSON" for a body that is valid JSON but holds a `__proto__` or
 * `constructor.prototype` key (refused against prototype poisoning): say which it is. Runs only
 * on the failure path.
 */
function namedParseError(error: Error, body: string): Error {
  if ((error as { code?: string }).code !== 'FST_ERR_CTP_INVALID_JSON_BODY') return error;
  try {
    JSON.parse(body);
  } catch {
    return error;
  }
  return new HttpError(
    'malformed_json',
    'the body holds a "__proto__" or "constructor" key with a prototype, which is refused',
  );
}

const SURROGATE_ESCAPE = /\\u[dD][89a-fA-F]/;
/** With the u flag a surrogate pair is one code point: only an unpaired half matches. */
const UNPAIRED = /\p{Cs}/u;

/** Walks with its own stack: a body nested thousands deep must not overflow the call stack. */
function holdsUnpairedSurrogate(root: unknown): boolean {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'string') {
      if (UNPAIRED.test(value)) return true;
    } else if (Array.isArray(value)) {
      for (const item of value) pending.push(item);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        if (UNPAIRED.test(key)) return true;
        pending.push(item);
      }
    }
  }
  return false;
}
