/**
 * How long a new PostgreSQL connection may take, from `connect_timeout` in DATABASE_URL as libpq reads
 * it (seconds, a decimal integer; 0 or less waits indefinitely; 1 counts as 2). pg ignores that
 * parameter, so without this a server that accepts the connection and never answers (a hung host, a
 * proxy whose backend is down) held Roomlink's start, or a request, forever, logging nothing.
 */

/** When DATABASE_URL names none: long enough for a distant or busy server, short enough to say so. */
export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 10;

/** What is wrong with the URL's connect_timeout, for the configuration check; undefined when nothing. */
export function connectTimeoutProblem(databaseUrl: string): string | undefined {
  const raw = rawConnectTimeout(databaseUrl);
  if (raw === undefined || /^\s*[+-]?\d+\s*$/.test(raw)) return undefined;
  return `DATABASE_URL's connect_timeout="${raw}" must be a whole number of seconds (0: wait indefinitely)`;
}

/** The connection timeout in milliseconds; 0 waits indefinitely. */
export function connectTimeoutMs(databaseUrl: string): number {
  const raw = rawConnectTimeout(databaseUrl);
  if (raw === undefined) return DEFAULT_CONNECT_TIMEOUT_SECONDS * 1000;
  const seconds = Number.parseInt(raw, 10);
  if (!Number.isFinite(seconds)) return DEFAULT_CONNECT_TIMEOUT_SECONDS * 1000;
  return seconds <= 0 ? 0 : Math.max(seconds, 2) * 1000;
}

function rawConnectTimeout(databaseUrl: string): string | undefined {
  if (!/^postgres(ql)?:\/\//.test(databaseUrl)) return undefined;
  try {
    return new URL(databaseUrl).searchParams.get('connect_timeout') ?? undefined;
  } catch {
    // Not a URL: the connection itself says so.
    return undefined;
  }
}
