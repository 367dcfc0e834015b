/**
 * Graph's error format: `{ error: { code, message, innerError: { date, request-id, client-request-id } } }`.
 * Every failure the emulator answers is a GraphError, so each route can simply throw.
 */

export class GraphError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.name = 'GraphError';
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export interface GraphErrorBody {
  error: {
    code: string;
    message: string;
    innerError: { date: string; 'request-id': string; 'client-request-id': string };
  };
}

/** Graph writes innerError.date without fractional seconds or zone designator. */
export function errorBody(
  error: GraphError,
  now: Date,
  requestId: string,
  clientRequestId: string,
): GraphErrorBody {
  return {
    error: {
      code: error.code,
      message: error.message,
      innerError: {
        date: now.toISOString().slice(0, 19),
        'request-id': requestId,
        'client-request-id': clientRequestId,
      },
    },
  };
}

export const itemNotFound = (): GraphError =>
  new GraphError(404, 'ErrorItemNotFound', 'The specified object was not found in the store.');

export const accessDenied = (): GraphError =>
  new GraphError(403, 'ErrorAccessDenied', 'Access is denied. Check credentials and try again.');

export const invalidId = (): GraphError => new GraphError(400, 'ErrorInvalidIdMalformed', 'Id is malformed.');

export const badRequest = (message: string, code = 'BadRequest'): GraphError =>
  new GraphError(400, code, message);
