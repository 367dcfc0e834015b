/** A meeting row as the store keeps it, for store-level tests: placeholder ciphertexts, random ids. */
import type { StoredMeeting } from '../../src/domain/meetings/meeting.js';

/** A scheduled built-in meeting of tenant-a's user-1, created and updated at `at`. */
export function storedMeeting(at: Date, overrides: Partial<StoredMeeting> = {}): StoredMeeting {
  return {
    id: crypto.randomUUID(),
    tenantId: 'tenant-a',
    organizerId: 'user-1',
    idempotencyKey: null,
    provider: 'builtin',
    status: 'scheduled',
    subjectCt: 'v1.k.subject',
    startCt: 'v1.k.start',
    endCt: 'v1.k.end',
    recurrenceCt: null,
    timeZone: 'Europe/Paris',
    options: { guestPin: false, lobby: true },
    slug: crypto.randomUUID().replaceAll('-', ''),
    conferenceId: String(Math.floor(Math.random() * 1e10)),
    hostPinCt: 'v1.k.pin',
    guestPinCt: null,
    providerRef: null,
    purgeAfter: '2027-03-01',
    seriesSeenOn: null,
    version: 1,
    createdAt: at.toISOString(),
    updatedAt: at.toISOString(),
    ...overrides,
  };
}
