import { describe, expect, it } from 'vitest';
import { unavailableReason, withClientCapabilities } from './oidc-client.js';

describe('withClientCapabilities', () => {
  it('declares cp1 alone when no challenge asks for claims', () => {
    expect(JSON.parse(withClientCapabilities())).toEqual({ access_token: { xms_cc: { values: ['cp1'] } } });
  });

  it('keeps every claim of a challenge and adds cp1 beside them', () => {
    const challenge = JSON.stringify({
      access_token: { nbf: { essential: true, value: '1796214764' }, acrs: { essential: true, value: 'c1' } },
      id_token: { auth_time: { essential: true } },
    });
    expect(JSON.parse(withClientCapabilities(challenge))).toEqual({
      access_token: {
        nbf: { essential: true, value: '1796214764' },
        acrs: { essential: true, value: 'c1' },
        xms_cc: { values: ['cp1'] },
      },
      id_token: { auth_time: { essential: true } },
    });
  });

  it('passes a challenge that is not a JSON object on as it came', () => {
    for (const odd of ['not json', '[1,2]', '"text"']) expect(withClientCapabilities(odd)).toBe(odd);
  });
});

describe('unavailableReason', () => {
  const systemError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:9`), { code });
  const response = (status: number) => new Response('<html></html>', { status });
  /** openid-client's ClientError: a code, and what it wraps as the cause. */
  const clientError = (code: string, cause: unknown) =>
    Object.assign(new Error('x', { cause }), { name: 'ClientError', code });

  it('names why the identity platform could not be asked', () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'ECONNRESET', 'UND_ERR_CONNECT_TIMEOUT'])
      expect(unavailableReason(new TypeError('fetch failed', { cause: systemError(code) }))).toBe(code);
    expect(unavailableReason(new TypeError('fetch failed'))).toBe('fetch_failed');
    expect(unavailableReason(systemError('EAI_AGAIN'))).toBe('EAI_AGAIN');
    expect(unavailableReason(new DOMException('timed out', 'TimeoutError'))).toBe('TimeoutError');
    expect(unavailableReason(new DOMException('aborted', 'AbortError'))).toBe('AbortError');
    expect(
      unavailableReason(clientError('OAUTH_TIMEOUT', new DOMException('timed out', 'TimeoutError'))),
    ).toBe('TimeoutError');
    expect(unavailableReason(clientError('OAUTH_RESPONSE_IS_NOT_CONFORM', response(503)))).toBe('http_503');
    expect(unavailableReason(clientError('OAUTH_RESPONSE_IS_NOT_JSON', response(200)))).toBe('not_json');
    // Wrapped once more (openid-client's "something went wrong").
    const wrapped = new Error('something went wrong', {
      cause: new TypeError('fetch failed', { cause: systemError('ECONNREFUSED') }),
    });
    expect(unavailableReason(wrapped)).toBe('ECONNREFUSED');
  });

  it('says nothing of an answer, whatever it says', () => {
    // An OAuth refusal, a 4xx that is not one, an ID token that does not validate, a bad argument.
    const refusal = Object.assign(new Error('server responded with an error in the response body'), {
      error: 'invalid_grant',
      cause: { error: 'invalid_grant' },
    });
    expect(unavailableReason(refusal)).toBeUndefined();
    expect(unavailableReason(clientError('OAUTH_RESPONSE_IS_NOT_CONFORM', response(404)))).toBeUndefined();
    expect(unavailableReason(clientError('OAUTH_JWT_CLAIM_COMPARISON', {}))).toBeUndefined();
    expect(
      unavailableReason(Object.assign(new Error('x'), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' })),
    ).toBeUndefined();
    expect(
      unavailableReason(Object.assign(new TypeError('bad'), { code: 'ERR_INVALID_ARG_TYPE' })),
    ).toBeUndefined();
    expect(unavailableReason(undefined)).toBeUndefined();
  });
});
