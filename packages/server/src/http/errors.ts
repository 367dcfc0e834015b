/**
 * The catalogue of errors the HTTP API answers with, as RFC 9457 problem details. Each code has a
 * stable `type` URI (documented in docs/errors.md; a test keeps the two in step).
 *
 * Only codes the API sends belong here. Not in it: a 405 (Fastify's router answers a known path
 * with an unrouted method as no route, so that is `not_found`), and a Conditional Access claims
 * challenge, which no request meets (Graph is called by calendar sync in the background, and
 * GET /api/v1/me reports it as status `needs_sign_in` with its `claims`; every other add-in request of
 * such a user is refused with `sign_in_required`).
 */
import type { DomainErrorCode } from '../domain/errors.js';

export type HttpErrorCode =
  | DomainErrorCode
  | 'invalid_request'
  | 'malformed_json'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'unauthorized'
  | 'sign_in_required'
  | 'forbidden'
  | 'not_found'
  | 'rate_limited'
  | 'request_timeout'
  | 'header_fields_too_large'
  | 'unavailable'
  | 'internal_error'
  | 'precondition_failed'
  | 'precondition_required'
  | 'export_in_progress';

export const ERROR_CATALOGUE: Readonly<Record<HttpErrorCode, { status: number; title: string }>> = {
  invalid_request: { status: 400, title: 'The request is not valid' },
  malformed_json: { status: 400, title: 'The request body is not valid JSON' },
  unsupported_media_type: { status: 415, title: 'The request body must be application/json' },
  payload_too_large: { status: 413, title: 'The request body is too large' },
  unauthorized: { status: 401, title: 'Sign-in required' },
  sign_in_required: { status: 401, title: 'Microsoft asks the user to sign in again' },
  forbidden: { status: 403, title: 'Not allowed' },
  not_found: { status: 404, title: 'Not found' },
  rate_limited: { status: 429, title: 'Too many requests' },
  request_timeout: { status: 408, title: 'The request took too long to arrive' },
  header_fields_too_large: { status: 431, title: 'The request headers are too large' },
  unavailable: { status: 503, title: 'Service unavailable' },
  internal_error: { status: 500, title: 'Internal error' },
  meeting_not_found: { status: 404, title: 'Meeting not found' },
  meeting_cancelled: { status: 409, title: 'The meeting was cancelled' },
  invalid_meeting_times: { status: 422, title: 'The meeting times are not valid' },
  invalid_recurrence: { status: 422, title: 'The recurrence is not valid' },
  idempotency_key_reused: { status: 422, title: 'The idempotency key was used for another meeting' },
  concurrent_update: { status: 409, title: 'The meeting was changed by someone else' },
  invalid_tenant_settings: { status: 422, title: 'The tenant settings are not valid' },
  room_codes_exhausted: { status: 503, title: 'No room could be allocated' },
  precondition_failed: { status: 412, title: 'Changed by someone else since it was read' },
  precondition_required: { status: 428, title: 'If-Match is required' },
  export_in_progress: { status: 429, title: 'Another export is running' },
};

export const PROBLEM_TYPE_BASE = 'https://roomlink.dev/problems/';

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: HttpErrorCode;
  readonly errors?: readonly { path: string; message: string }[];
}

export function problem(code: HttpErrorCode, detail: string, extra: Partial<Problem> = {}): Problem {
  const { status, title } = ERROR_CATALOGUE[code];
  return { type: `${PROBLEM_TYPE_BASE}${code.replaceAll('_', '-')}`, title, status, detail, code, ...extra };
}

/** Thrown by route handlers and hooks to answer with a problem. */
export class HttpError extends Error {
  constructor(
    readonly code: HttpErrorCode,
    readonly detail: string,
  ) {
    super(detail);
    this.name = 'HttpError';
  }
}
