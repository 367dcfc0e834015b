/** Errors of retention, offboarding and data-subject requests; the CLI and HTTP map the codes. */
export type RetentionErrorCode =
  | 'tenant_not_found'
  | 'user_not_found'
  | 'invalid_day'
  | 'not_scheduled'
  | 'too_late'
  | 'confirmation_required';

export class RetentionError extends Error {
  constructor(
    readonly code: RetentionErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RetentionError';
  }
}
