import { describe, expect, it } from 'vitest';
import { ListenFailed, listenFailureOr } from './listen-failure.js';

const listenError = (code: string) => Object.assign(new Error(`listen ${code}`), { code });

describe('listenFailureOr', () => {
  it('tells a port in use (waiting may help) from a HOST or PORT this account cannot use', () => {
    const inUse = listenFailureOr(listenError('EADDRINUSE'), '0.0.0.0', 3000) as ListenFailed;
    expect(inUse).toBeInstanceOf(ListenFailed);
    expect(inUse.kind).toBe('in-use');
    expect(inUse.message).toBe(
      'cannot listen on 0.0.0.0:3000: another process is using port 3000 there; stop it, or set PORT ' +
        'to a free port (PORT=3001 npm start, say)',
    );
    for (const code of ['EACCES', 'EADDRNOTAVAIL', 'ENOTFOUND']) {
      const refused = listenFailureOr(listenError(code), '10.1.2.3', 443) as ListenFailed;
      expect(refused, code).toBeInstanceOf(ListenFailed);
      expect(refused.kind, code).toBe('refused');
    }
    expect((listenFailureOr(listenError('EACCES'), '::', 443) as Error).message).toMatch(
      /^cannot listen on \[::\]:443: this account may not use port 443 /,
    );
  });

  it('passes any other failure through as it was', () => {
    const other = listenError('EMFILE');
    expect(listenFailureOr(other, '127.0.0.1', 3000)).toBe(other);
    // A name server not answering yet: temporary, so not "not an address of this machine" (78).
    const dnsNotReady = listenError('EAI_AGAIN');
    expect(listenFailureOr(dnsNotReady, 'roomlink.internal', 3000)).toBe(dnsNotReady);
    expect(listenFailureOr('no object', '127.0.0.1', 3000)).toBe('no object');
  });
});
