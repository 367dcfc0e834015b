/**
 * A PostgreSQL server that cannot be reached, or that refuses the connection itself, when Roomlink
 * first opens it (the server's start, `roomlink migrate`). Told apart from other failures so that the
 * command can say where it tried to connect and exit 69 (a service manager restarts it: PostgreSQL may
 * only be starting), rather than print a bare `connect ECONNREFUSED` with exit 1.
 */

import { DEFAULT_CONNECT_TIMEOUT_SECONDS } from './connect-timeout.js';

/** Node's socket and name-lookup errors for a server that cannot be reached. */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

/**
 * PostgreSQL's SQLSTATEs for a connection it refuses: class 08 (connection exception), class 28
 * (the role does not exist, or its password is wrong), 3D000 (no such database), 57P03 (starting up
 * or shutting down), 53300 (too many connections).
 */
function refusedByServer(code: string): boolean {
  return (
    code.startsWith('08') || code.startsWith('28') || code === '3D000' || code === '57P03' || code === '53300'
  );
}

/**
 * Why the connection failed, as the driver said it (its message, and PostgreSQL's SQLSTATE), when it
 * did; undefined for any other failure (a migration's SQL, a schema that does not exist). Follows
 * `cause` (a failed migration wraps its error) and an AggregateError's errors (`localhost` is tried
 * on ::1 and 127.0.0.1; Node reports both).
 */
export function connectionFailureReason(error: unknown, depth = 0): string | undefined {
  if (depth > 5 || typeof error !== 'object' || error === null) return undefined;
  const { code, message, cause } = error as { code?: unknown; message?: unknown; cause?: unknown };
  const text = typeof message === 'string' ? message : '';
  if (typeof code === 'string' && UNREACHABLE.has(code)) return text || code;
  if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && refusedByServer(code))
    return `${text} (${code})`;
  // pg's own words when the server hangs up before the start-up ends, or its pool's connect timeout.
  if (/^Connection terminated|timeout exceeded when trying to connect/.test(text)) return text;
  // pg's client gave up connecting (store/connect-timeout.ts): its words alone say nothing of what.
  if (text === 'timeout expired')
    return `it did not answer within the connection timeout (DATABASE_URL's connect_timeout, ${DEFAULT_CONNECT_TIMEOUT_SECONDS} s unless set)`;
  if (error instanceof AggregateError) {
    const reasons = error.errors.map((e) => connectionFailureReason(e, depth + 1));
    if (reasons.length > 0 && reasons.every((r) => r !== undefined)) return [...new Set(reasons)].join('; ');
  }
  return connectionFailureReason(cause, depth + 1);
}

export class DatabaseUnavailable extends Error {
  constructor(
    /** The database as the store names it: never its password. */
    readonly location: string,
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(
      `cannot connect to the database at ${location}: ${reason}; nothing was changed. Check that ` +
        'PostgreSQL runs there and accepts connections from this machine, and DATABASE_URL (host, ' +
        'port, database name, user and password); `roomlink doctor` checks it',
      options,
    );
    this.name = 'DatabaseUnavailable';
  }
}

/** `error` as DatabaseUnavailable when it says the connection failed; else `error` itself. */
export function unavailableOr(error: unknown, location: string): unknown {
  const reason = connectionFailureReason(error);
  return reason === undefined ? error : new DatabaseUnavailable(location, reason, { cause: error });
}
