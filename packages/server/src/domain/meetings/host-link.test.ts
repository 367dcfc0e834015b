import { describe, expect, it } from 'vitest';
import type { CipherContext, FieldCipher } from '../../crypto/envelope.js';
import { KeyError } from '../../crypto/key-provider.js';
import type { AuditEntry } from '../audit/audit.js';
import { DomainError } from '../errors.js';
import type { Principal } from '../principal.js';
import { HOST_LINK_TTL_MS, HostLinks } from './host-link.js';
import type { Meeting } from './meeting.js';

const actor: Principal = { tenantId: 't1', userId: 'u1', isTenantAdmin: false };
const meeting = {
  id: 'm1',
  tenantId: 't1',
  status: 'scheduled',
  room: { joinUrl: 'https://roomlink.test/m/abc' },
} as unknown as Meeting;

/** Seals by writing the context next to the text, so that a test sees what was bound. */
const visibleCipher: FieldCipher = {
  encrypt: async (c: CipherContext, plain: string) =>
    `v1.key.${Buffer.from(JSON.stringify([c, plain])).toString('base64url')}`,
  decrypt: async (c: CipherContext, sealed: string) => {
    const [context, plain] = JSON.parse(Buffer.from(sealed.split('.')[2] ?? '', 'base64url').toString()) as [
      CipherContext,
      string,
    ];
    if (JSON.stringify(context) !== JSON.stringify(c)) throw new KeyError('decrypt_failed', 'wrong context');
    return plain;
  },
};

function links(overrides: { cipher?: FieldCipher; found?: Meeting; now?: Date } = {}) {
  const audit: AuditEntry[] = [];
  const service = new HostLinks({
    meetings: { get: async () => overrides.found ?? meeting },
    cipher: overrides.cipher ?? visibleCipher,
    audit: { append: async (entry) => void audit.push(entry), list: async () => [] },
    now: () => overrides.now ?? new Date('2026-12-01T10:00:00Z'),
  });
  return { service, audit };
}

describe('host links', () => {
  it('seal a random id, the time they were made and an expiry 15 minutes on, bound to the meeting', async () => {
    const { service } = links();
    const link = await service.issue(actor, 'm1');
    expect(link.expiresAt.toISOString()).toBe('2026-12-01T10:15:00.000Z');
    expect(HOST_LINK_TTL_MS).toBe(900_000);
    const ticket = link.url.slice('https://roomlink.test/m/abc#host='.length);
    const [context, plain] = JSON.parse(Buffer.from(ticket.split('.')[2] ?? '', 'base64url').toString());
    expect(context).toEqual({ tenantId: 't1', table: 'host_links', column: 'ticket', rowId: 'm1' });
    expect(JSON.parse(plain)).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      iat: Date.parse('2026-12-01T10:00:00.000Z'),
      exp: link.expiresAt.getTime(),
    });
  });

  it('are refused for a cancelled meeting, with nothing audited', async () => {
    const { service, audit } = links({ found: { ...meeting, status: 'cancelled' } as Meeting });
    await expect(service.issue(actor, 'm1')).rejects.toThrowError(DomainError);
    expect(audit).toEqual([]);
  });

  it('read as null when the ticket is not ours for this meeting, and as a claim when it is', async () => {
    const { service } = links();
    const ticket = (await service.issue(actor, 'm1')).url.split('#host=')[1] ?? '';
    expect(await service.read({ id: 'm2', tenantId: 't1' }, ticket)).toBeNull();
    expect(await service.read({ id: 'm1', tenantId: 't1' }, ticket)).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{32}$/),
      issuedAt: new Date('2026-12-01T10:00:00.000Z'),
      expiresAt: new Date('2026-12-01T10:15:00.000Z'),
    });
  });

  it('read a sealed claim that is not one as null', async () => {
    for (const plain of ['not json', '{"id":1,"exp":2}', '{"id":"a"}', '{"id":"a","exp":"soon"}']) {
      const cipher: FieldCipher = { ...visibleCipher, decrypt: async () => plain };
      expect(await links({ cipher }).service.read(meeting, 'v1.key.x')).toBeNull();
    }
  });

  it('read a ticket sealed without its issue time (by the version before) as made 15 minutes before it expires', async () => {
    const plain = JSON.stringify({ id: 'a', exp: Date.parse('2026-12-01T10:15:00.000Z') });
    const cipher: FieldCipher = { ...visibleCipher, decrypt: async () => plain };
    expect(await links({ cipher }).service.read(meeting, 'v1.key.x')).toEqual({
      id: 'a',
      issuedAt: new Date('2026-12-01T10:00:00.000Z'),
      expiresAt: new Date('2026-12-01T10:15:00.000Z'),
    });
  });

  it('pass on failures that do not say the ticket is wrong (an unreachable store)', async () => {
    const down = new Error('connection refused');
    const cipher: FieldCipher = {
      ...visibleCipher,
      decrypt: async () => {
        throw down;
      },
    };
    await expect(links({ cipher }).service.read(meeting, 'v1.key.x')).rejects.toBe(down);
    const unwrap: FieldCipher = {
      ...visibleCipher,
      decrypt: async () => {
        throw new KeyError('unwrap_failed', 'master key changed');
      },
    };
    await expect(links({ cipher: unwrap }).service.read(meeting, 'v1.key.x')).rejects.toThrowError(
      'master key changed',
    );
  });
});
