/**
 * Logging policy: structured JSON (pino). Requests are logged by method, route pattern and status;
 * never the query string (it can carry authorization codes), headers that authenticate, or bodies
 * (titles, e-mail addresses, chat). Redaction is a second net for fields that slip through; the
 * per-request line, made only of what the serializers below pick, does without it (see app.ts).
 */
import type { FastifyRequest } from 'fastify';
import type { LoggerOptions } from 'pino';

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.secret',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.access_token',
  '*.refresh_token',
  '*.id_token',
  '*.subject',
  '*.email',
  '*.upn',
  '*.hostPin',
  '*.guestPin',
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
    },
  };
}
