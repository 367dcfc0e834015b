/** Turns every error into application/problem+json and never leaks internals or request data. */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, SessionEndedError } from '../domain/errors.js';
import { serializeError } from '../observability/logger.js';
import { StoreUnusableError } from '../store/store.js';
import { HttpError, type Problem, problem } from './errors.js';
import { fieldErrors } from './validation-messages.js';

export function registerProblemHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const body = toProblem(error);
    if (body.status >= 500) request.log.error({ err: serializeError(error) }, 'request failed');
    else request.log.info({ code: body.code }, 'request refused');
    void reply.code(body.status).type('application/problem+json').send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply
      .code(404)
      .type('application/problem+json')
      .send(problem('not_found', `nothing at ${request.method} ${request.url.split('?')[0]}`));
  });
}

/** Fastify's `frameworkErrors`: errors its router raises before any route or error handler runs. */
export function frameworkErrorProblem(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const body =
    error.code === 'FST_ERR_MAX_PARAM_LENGTH'
      ? problem('invalid_request', 'a path parameter is too long')
      : error.code === 'FST_ERR_BAD_URL'
        ? problem('invalid_request', 'the URL is not valid (malformed percent-encoding)')
        : toProblem(error);
  request.log.info({ code: body.code }, 'request refused');
  void reply.code(body.status).type('application/problem+json').send(body);
}

function toProblem(error: FastifyError): Problem {
  if (error instanceof HttpError) return problem(error.code, error.detail);
  if (error instanceof DomainError) return problem(error.code, error.message);
  if (error instanceof SessionEndedError) return problem('unauthorized', error.message);
  // The operator's reason is logged; the caller learns only that it may retry later.
  if (error instanceof StoreUnusableError)
    return problem('unavailable', 'Roomlink cannot save changes right now; try again later');
  if (error.validation) {
    const errors = fieldErrors(error.validation, error.validationContext ?? 'body');
    return problem('invalid_request', errors.map((e) => `${e.path} ${e.message}`).join('; '), { errors });
  }
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return problem('unsupported_media_type', 'send the body as application/json');
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return problem('payload_too_large', 'the body exceeds the allowed size');
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return problem('malformed_json', 'the body is empty');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return problem('malformed_json', 'the body is not valid JSON');
    default:
      break;
  }
  // Not every SyntaxError is the client's: a JSON.parse of server-side data (a keyring file, say)
  // failing is ours. The body parser's own errors carry FST_ERR_CTP_* codes (above) or HttpError.
  if (error.statusCode && error.statusCode < 500) return problem('invalid_request', error.message);
  return problem('internal_error', 'something went wrong on our side; it was logged');
}
