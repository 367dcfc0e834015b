/**
 * Logging policy: structured JSON (pino). Requests are logged by method, route pattern and status;
 * never the query string (it can carry authorization codes), headers that authenticate, or bodies
 * (titles, e-mail addresses, chat). Errors are logged by type, code and stack frames only (see
 * `serializeError`). Redaction is a second net for fields that slip through; the per-request line,
 * made only of what the serializers below pick, does without it (see app.ts).
 */
import type { FastifyRequest } from 'fastify';
import type { LoggerOptions } from 'pino';

/**
 * Field names whose value is never logged, at the top level of a line (`{ subject }`) or one level
 * down (`{ meeting: { subject } }`). Deeper ones are not matched: pino's redaction has no recursive
 * wildcard, and each level of `*.*.` costs as much again on every line (measured: 7 µs a small line
 * with these paths, 12 µs with two levels, 22 µs with three). Log ids and counts instead.
 */
export const REDACTED_FIELDS = [
  'password',
  'secret',
  'token',
  'accessToken',
  'refreshToken',
  'access_token',
  'refresh_token',
  'id_token',
  'subject',
  'email',
  'upn',
  'hostPin',
  'guestPin',
  // Node's HTTP parser errors carry the raw request bytes received (request line, headers, body).
  'rawPacket',
] as const;

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  ...REDACTED_FIELDS,
  ...REDACTED_FIELDS.map((field) => `*.${field}`),
];

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: {
      // No id: every request line carries it as `reqId` (Fastify's per-request logger binds it).
      req: (req: FastifyRequest) => ({
        method: req.method,
        // The route pattern (/api/v1/meetings/:id), not the URL: no ids of other people, no query.
        route: req.routeOptions?.url ?? 'unmatched',
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
      err: serializeError,
    },
  };
}

export interface SerializedError {
  readonly type?: string;
  readonly code?: string | number;
  readonly statusCode?: number;
  /** The stack's frames (`    at …` lines), without the message heading it. */
  readonly stack?: string;
  readonly cause?: SerializedError;
}

/**
 * What a log line keeps of an error: its type, code, HTTP status and stack frames. Never its message
 * (errors quote request data: a JSON parse error quotes the body, a database error the value) nor
 * any other property (pino's own serializer copies every enumerable one, e.g. the `rawPacket` of
 * Node's HTTP parser errors: the whole raw request, Authorization header and body included). The
 * same as http/problem-plugin.ts's `scrub`, whose result it leaves as it is.
 */
export function serializeError(error: unknown, depth = 0): SerializedError | undefined {
  if (error === null || error === undefined) return undefined;
  if (typeof error !== 'object') return { type: typeof error };
  const e = error as {
    name?: unknown;
    type?: unknown;
    code?: unknown;
    statusCode?: unknown;
    stack?: unknown;
    cause?: unknown;
  };
  const type = error instanceof Error ? error.name : typeof e.type === 'string' ? e.type : undefined;
  const frames =
    typeof e.stack === 'string'
      ? e.stack
          .split('\n')
          .filter((line) => /^\s+at /.test(line))
          .join('\n')
      : '';
  const cause = depth < 3 && e.cause !== undefined ? serializeError(e.cause, depth + 1) : undefined;
  return {
    ...(type !== undefined ? { type } : {}),
    ...(typeof e.code === 'string' || typeof e.code === 'number' ? { code: e.code } : {}),
    ...(typeof e.statusCode === 'number' ? { statusCode: e.statusCode } : {}),
    ...(frames ? { stack: frames } : {}),
    ...(cause ? { cause } : {}),
  };
}
