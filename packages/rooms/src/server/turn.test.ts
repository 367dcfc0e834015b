import { describe, expect, it } from 'vitest';
import { iceServersFor, turnCredential, turnLifetime } from './turn.js';

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

describe('turnLifetime', () => {
  const at = (seconds: number) => new Date(NOW.getTime() + seconds * 1000);

  it('is the configured lifetime, cut at `notAfter` (a room closing), never under a minute', () => {
    expect(turnLifetime(3600, NOW)).toBe(3600);
    expect(turnLifetime(3600, NOW, at(7200))).toBe(3600);
    expect(turnLifetime(86_400, NOW, at(420))).toBe(420);
    expect(turnLifetime(86_400, NOW, at(420.9))).toBe(420);
    expect(turnLifetime(3600, NOW, at(10))).toBe(60);
    expect(turnLifetime(3600, NOW, at(-600))).toBe(60);
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
    // No later than `notAfter`: 20 minutes here.
    const capped = iceServersFor(stun, turn, NOW, '0123456789abcdef', new Date(NOW.getTime() + 1_200_000));
    expect(capped[1]?.username).toBe('1700001200:0123456789abcdef');
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
