import { describe, expect, it } from 'vitest';
import { withClientCapabilities } from './oidc-client.js';

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
