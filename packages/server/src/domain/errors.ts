/**
 * Domain errors carry a stable code; the HTTP layer maps each code to a status and a problem type
 * (http/errors.ts), the CLI to an exit code. The catalogue is documented in docs/errors.md.
 */
export const DOMAIN_ERROR_CODES = [
  'meeting_not_found',
  'meeting_cancelled',
  'invalid_meeting_times',
  'invalid_recurrence',
  'idempotency_key_reused',
  'concurrent_update',
  'invalid_tenant_settings',
  'room_codes_exhausted',
] as const;

export type DomainErrorCode = (typeof DOMAIN_ERROR_CODES)[number];

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DomainError';
  }
}

/**
 * The session a request authenticated with ended (sign-out, erasure) before its write committed:
 * nothing was written. The HTTP layer answers `unauthorized`, as for a request without a session.
 */
export class SessionEndedError extends Error {
  constructor() {
    super('the session ended; sign in again');
    this.name = 'SessionEndedError';
  }
}
