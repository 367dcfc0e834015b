/**
 * Logging policy: structured JSON (pino). Requests are logged by method, route pattern and status;
 * never the query string (it can carry authorization codes), headers that authenticate, or bodies
 * (titles, e-mail addresses, chat). Errors are logged by type, code and stack frames only (see
 * `serializeError`). Redaction (`redactLine`) is a second net for fields that slip through.
 */
import type { FastifyRequest } from 'fastify';
import type { LoggerOptions } from 'pino';

/**
 * Field names whose value is never logged, in any letter case, at any depth of a line (`{ subject }`,
 * `{ meeting: { subject } }`, `{ changes: [{ attendee: { Email } }] }`) and in a child logger's
 * bindings. Log ids and counts instead.
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
  // An event's body holds the join details and the organizer's own text.
  'body',
  'email',
  // Graph's shapes: { emailAddress: { name, address } }, attendees' and organizers' displayName.
  'emailAddress',
  'address',
  'displayName',
  'upn',
  // Who a Microsoft user is, as Graph's user objects and the identity platform's claims name it.
  'userPrincipalName',
  'mail',
  'preferred_username',
  'unique_name',
  'given_name',
  'family_name',
  'login_hint',
  // The Exchange/Entra user id: kept only until sign-out, so never in a log that outlives it.
  'oid',
  // A delta or paging link carries Graph's sync state for one mailbox.
  '@odata.deltaLink',
  '@odata.nextLink',
  'deltaLink',
  'pin',
  'hostPin',
  'guestPin',
  // A host link's ticket and a host's rejoin token each let one in as host.
  'ticket',
  'rejoin',
  // A Graph subscription's shared secret: notifications carrying it are believed.
  'clientState',
  'authorization',
  'cookie',
  'set-cookie',
  // Node's HTTP parser errors carry the raw request bytes received (request line, headers, body).
  'rawPacket',
] as const;

const CENSOR = '[redacted]';
const REDACTED = new Set<string>(REDACTED_FIELDS.map((field) => field.toLowerCase()));

/**
 * A redacted field's name as a key in JSON text. Inside a string value the quotes around such a name
 * are escaped (`\"subject\":`), so this matches keys only; a false match would cost a parse, never
 * a leak.
 */
const REDACTED_KEY = new RegExp(`"(?:${REDACTED_FIELDS.join('|')})":`, 'i');

/**
 * The redaction pass, run on each line as pino hands it to the stream (its `streamWrite` hook), so
 * it sees everything the line holds: fields at any depth, what serializers made, the bindings of
 * every child logger. pino's own redaction matches fixed paths only (no recursive wildcard, and each
 * level of `*.` costs as much again on every line). Most lines name no such field: one regular
 * expression over the text, well under a microsecond on a request line. A line that does is parsed,
 * censored and written again.
 */
export function redactLine(line: string): string {
  if (!REDACTED_KEY.test(line)) return line;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    // pino writes JSON; should a line ever not parse, it is withheld rather than written unredacted.
    return `${JSON.stringify({ level: 50, time: Date.now(), msg: 'log line withheld: it could not be redacted' })}\n`;
  }
  return `${JSON.stringify(censor(parsed))}\n`;
}

function censor(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(censor);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value))
    out[key] = REDACTED.has(key.toLowerCase()) ? CENSOR : censor(field);
  return out;
}

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    hooks: { streamWrite: redactLine },
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
 * Node's HTTP parser errors: the whole raw request, Authorization header and body included). A
 * cause is kept the same way (ENOTFOUND under fetch's "fetch failed" is what an operator needs), and
 * an object it made before is left as it is.
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
