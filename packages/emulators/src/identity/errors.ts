/**
 * Errors as the Microsoft identity platform reports them: an OAuth `error`, an AADSTS code and a
 * description that ends with the trace and correlation ids and a timestamp. Codes and wording follow
 * Microsoft's published AADSTS reference (reference-error-codes) and the responses its docs show.
 */
import { randomUUID } from 'node:crypto';

export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'invalid_scope'
  | 'invalid_tenant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'unsupported_response_type'
  | 'interaction_required'
  | 'login_required'
  | 'access_denied';

/** One AADSTS error. `status` is the token endpoint's HTTP status for it. */
export class AadstsError extends Error {
  constructor(
    readonly error: OAuthErrorCode,
    readonly code: number,
    readonly description: string,
    readonly status: 400 | 401 | 405 = 400,
    /** Extra members of the JSON body, e.g. `claims` and `suberror` for a claims challenge. */
    readonly extra: Readonly<Record<string, string>> = {},
  ) {
    super(`AADSTS${code}: ${description}`);
    this.name = 'AadstsError';
  }
}

/** The catalogue the emulator uses, each with the published code. */
export const aadsts = {
  missingParameter: (name: string) =>
    new AadstsError(
      'invalid_request',
      900144,
      `The request body must contain the following parameter: '${name}'.`,
    ),
  invalidParameter: (name: string) =>
    new AadstsError('invalid_request', 90100, `The '${name}' parameter is empty or not valid.`),
  malformed: () =>
    new AadstsError('invalid_request', 9002313, 'Invalid request. Request is malformed or invalid.'),
  unknownTenant: (tenant: string, error: OAuthErrorCode = 'invalid_tenant') =>
    new AadstsError(
      error,
      90002,
      `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`,
    ),
  unknownClient: (clientId: string, tenant: string) =>
    new AadstsError(
      'unauthorized_client',
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    ),
  redirectMismatch: (redirectUri: string, clientId: string) =>
    new AadstsError(
      'invalid_request',
      50011,
      `The redirect URI '${redirectUri}' specified in the request does not match the redirect URIs configured for the application '${clientId}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.`,
    ),
  userNotInTenant: (tenant: string, clientId: string) =>
    new AadstsError(
      'access_denied',
      50020,
      `User account from identity provider does not exist in tenant '${tenant}' and cannot access the application '${clientId}' in that tenant. The account needs to be added as an external user in the tenant first.`,
    ),
  unsupportedResponseType: () =>
    new AadstsError(
      'unsupported_response_type',
      70005,
      "The provided value for the input parameter 'response_type' is not allowed for this request.",
    ),
  unsupportedResponseMode: () =>
    new AadstsError(
      'invalid_request',
      70007,
      "The provided value for the input parameter 'response_mode' is not supported.",
    ),
  pkceRequired: () =>
    new AadstsError(
      'invalid_request',
      9002325,
      'Proof Key for Code Exchange is required (code_challenge with code_challenge_method S256).',
    ),
  invalidScope: (scope: string) =>
    new AadstsError(
      'invalid_scope',
      70011,
      `The provided value for the input parameter 'scope' is not valid. The scope '${scope}' is not valid.`,
    ),
  loginRequired: () =>
    new AadstsError('login_required', 50058, 'A silent sign-in request was sent but no user is signed in.'),
  unsupportedGrantType: (grantType: string) =>
    new AadstsError(
      'unsupported_grant_type',
      70003,
      `The app requested an unsupported grant type '${grantType}'.`,
    ),
  wrongMethod: () =>
    new AadstsError(
      'invalid_request',
      900561,
      'The endpoint only accepts POST, OPTIONS requests. Received a GET request.',
      405,
    ),
  // Client authentication
  missingCredential: () =>
    new AadstsError(
      'invalid_client',
      7000218,
      "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
      401,
    ),
  invalidSecret: (clientId: string) =>
    new AadstsError(
      'invalid_client',
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`,
      401,
    ),
  assertionSignature: (reason: string) =>
    new AadstsError(
      'invalid_client',
      700027,
      `Client assertion failed signature validation. [Reason - ${reason}]`,
      401,
    ),
  assertionClientMismatch: () =>
    new AadstsError(
      'invalid_client',
      700021,
      "Client assertion application identifier doesn't match 'client_id' parameter.",
      401,
    ),
  assertionSubjectMismatch: () =>
    new AadstsError('invalid_client', 50048, 'Subject mismatches Issuer claim in the client assertion.', 401),
  assertionAudience: () =>
    new AadstsError(
      'invalid_client',
      700023,
      'Client assertion audience claim does not match Realm issuer.',
      401,
    ),
  assertionTooManyAudiences: (count: number) =>
    new AadstsError(
      'invalid_client',
      5002741,
      `Number of audience values in the provided client credential exceed maximum allowed. ${count} audience values provided, maximum allowed is 1.`,
      401,
    ),
  assertionTime: () =>
    new AadstsError('invalid_client', 700024, 'Client assertion is not within its valid time range.', 401),
  assertionMalformed: (what: string) =>
    new AadstsError('invalid_client', 50027, `JWT token is invalid or malformed: ${what}.`, 401),
  // Grants
  codeRedeemed: () =>
    new AadstsError(
      'invalid_grant',
      54005,
      'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
    ),
  pkceMismatch: () =>
    new AadstsError(
      'invalid_grant',
      501481,
      'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
    ),
  replyMismatch: () =>
    new AadstsError(
      'invalid_grant',
      500112,
      'The reply address does not match the reply address provided when requesting the authorization code.',
    ),
  grantExpired: () =>
    new AadstsError(
      'invalid_grant',
      70008,
      'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
    ),
  refreshInactive: () =>
    new AadstsError(
      'invalid_grant',
      700082,
      'The refresh token has expired due to inactivity. The token was issued and was inactive for 90.00:00:00.',
    ),
  grantRevoked: () =>
    new AadstsError(
      'invalid_grant',
      50173,
      'The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.',
    ),
  grantInvalid: () => new AadstsError('invalid_grant', 70000, 'Provided grant is invalid or malformed.'),
  grantMalformed: () =>
    new AadstsError('invalid_grant', 9002313, 'Invalid request. Request is malformed or invalid.'),
  wrongTenant: () =>
    new AadstsError(
      'invalid_grant',
      700005,
      'Provided Authorization Code is intended to use against other tenant, thus rejected. The grant must be redeemed against the same tenant it was acquired for.',
    ),
  consentMissing: (clientId: string) =>
    new AadstsError(
      'invalid_grant',
      65001,
      `The user or administrator has not consented to use the application with ID '${clientId}'. Send an interactive authorization request for this user and resource.`,
    ),
  claimsRequired: (claims: string) =>
    new AadstsError(
      'interaction_required',
      50076,
      "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '00000003-0000-0000-c000-000000000000'.",
      400,
      { suberror: 'basic_action', claims },
    ),
  applicationDisabled: (clientId: string) =>
    new AadstsError('unauthorized_client', 7000112, `Application '${clientId}' is disabled.`),
  adminRequired: () =>
    new AadstsError(
      'access_denied',
      90094,
      'Administrator consent is required. The signed-in user is not an administrator of the tenant.',
    ),
};

export interface ErrorContext {
  readonly now: Date;
  readonly baseUrl: string;
  /** The client's `client-request-id`, which Microsoft echoes as the correlation id. */
  readonly correlationId?: string | undefined;
}

/** Microsoft's timestamp format: `2016-01-09 02:02:12Z`. */
export function aadTimestamp(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace('T', ' ')}Z`;
}

/** The JSON body the token (and metadata) endpoints send for an error. */
export function errorBody(error: AadstsError, context: ErrorContext): Record<string, unknown> {
  const traceId = randomUUID();
  const correlationId = context.correlationId ?? randomUUID();
  const timestamp = aadTimestamp(context.now);
  return {
    error: error.error,
    error_description: `${error.message}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [error.code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `${context.baseUrl}/error?code=${error.code}`,
    ...error.extra,
  };
}
