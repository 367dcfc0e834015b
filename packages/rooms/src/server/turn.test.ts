import { describe, expect, it } from 'vitest';
import { iceServersFor, turnCredential } from './turn.js';

// Expected credential computed independently:
//   echo -n '1700003600:0123456789abcdef' | openssl dgst -sha1 -hmac 'coturn-static-secret' -binary | base64
const NOW = new Date('2023-11-14T22:13:20Z'); // 1700000000

describe('turnCredential (coturn use-auth-secret)', () => {
  it('names the expiry time and signs the username with HMAC-SHA1, base64', () => {
    const c = turnCredential('coturn-static-secret', 3600, NOW, '0123456789abcdef');
    expect(c.username).toBe('1700003600:0123456789abcdef');
    expect(c.credential).toBe('6+FPaKJznjlNjbdjJskrgmeK8rc=');
    expect(c.expiresAt.toISOString()).toBe('2023-11-14T23:13:20.000Z');
  });

  it('rounds the expiry down to whole seconds', () => {
    const c = turnCredential('s', 60, new Date(1_700_000_000_999), 'x');
    expect(c.username).toBe('1700000060:x');
  });

  it('refuses an empty secret and ids that would confuse the username format', () => {
    expect(() => turnCredential('', 60, NOW, 'x')).toThrow(RangeError);
    expect(() => turnCredential('s', 60, NOW, 'a:b')).toThrow(RangeError);
  });
});

describe('iceServersFor', () => {
  const stun = [{ urls: 'stun:stun.example.org:3478' }];

  it('hands out the configured servers alone when there is no TURN relay', () => {
    expect(iceServersFor(stun, undefined, NOW, 'p')).toEqual(stun);
  });

  it('adds the TURN relay with a credential minted for this participant', () => {
    const turn = {
      secret: 'coturn-static-secret',
      urls: ['turn:turn.example.org:3478?transport=udp'],
      ttlSeconds: 3600,
    };
    const servers = iceServersFor(stun, turn, NOW, '0123456789abcdef');
    expect(servers).toEqual([
      ...stun,
      {
        urls: ['turn:turn.example.org:3478?transport=udp'],
        username: '1700003600:0123456789abcdef',
        credential: '6+FPaKJznjlNjbdjJskrgmeK8rc=',
      },
    ]);
  });
});
