/** Exit codes of the `roomlink` command (documented in docs/errors.md). */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 64,
  /** The request conflicts with what is recorded (e.g. nothing to cancel, too late to cancel). */
  conflict: 65,
  /** No such tenant or user. */
  notFound: 66,
  /** bin/roomlink.js only: the command is not built yet (sysexits' EX_SOFTWARE). */
  notBuilt: 70,
  config: 78,
  /**
   * `serve`: another process holds HOST:PORT (sysexits' EX_TEMPFAIL: it may free it; a service
   * manager's restart tries again).
   */
  addressInUse: 75,
  database: 69,
  keys: 77,
  /**
   * `roomlink doctor`: Microsoft's identity platform or Graph, or the external room engine, cannot be
   * reached or answers wrongly (sysexits' EX_NOHOST).
   */
  unreachable: 68,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * `message` as it may be printed: the password of any URL in it, and the password of `databaseUrl`
 * wherever it appears (as written, or percent-decoded), replaced by `***`.
 */
export function withoutSecrets(message: string, databaseUrl?: string): string {
  let out = message.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]*:)[^\s/@]+@/gi, '$1***@');
  let password = '';
  try {
    password = databaseUrl ? new URL(databaseUrl).password : '';
  } catch {
    // Not a URL (a sqlite: path has no password).
  }
  const spellings = new Set([password]);
  try {
    spellings.add(decodeURIComponent(password));
  } catch {
    // Not percent-encoded.
  }
  for (const secret of spellings) if (secret) out = out.replaceAll(secret, '***');
  return out;
}
