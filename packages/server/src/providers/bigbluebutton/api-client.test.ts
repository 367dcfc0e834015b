import { createHash } from 'node:crypto';
import { type RunningBigBlueButtonEmulator, startBigBlueButtonEmulator } from '@roomlink/emulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BigBlueButtonApi, BigBlueButtonError } from './api-client.js';
import { BigBlueButtonProvider, durationMinutes } from './provider.js';

const SECRET = 'unit-test-shared-secret';

describe('the BigBlueButton API client', () => {
  let bbb: RunningBigBlueButtonEmulator;
  beforeAll(async () => {
    bbb = await startBigBlueButtonEmulator({ secret: SECRET });
  });
  afterAll(async () => bbb?.close());

  const client = (checksum: 'sha1' | 'sha256' | 'sha512', secret = SECRET) =>
    new BigBlueButtonApi({ url: new URL(bbb.baseUrl), secret, checksum });

  it('signs the query string as sent, spaces and all, with the configured hash', () => {
    const url = client('sha1').signedUrl('join', { fullName: 'Zoé Martin', meetingID: 'rl-x' });
    const query = 'fullName=Zo%C3%A9%20Martin&meetingID=rl-x';
    const expected = createHash('sha1').update(`join${query}${SECRET}`).digest('hex');
    expect(url).toBe(`${bbb.baseUrl}api/join?${query}&checksum=${expected}`);
  });

  it.each(['sha1', 'sha256', 'sha512'] as const)('is accepted by the server with %s', async (checksum) => {
    const created = await client(checksum).call('create', { meetingID: `rl-${checksum}`, name: 'n' });
    expect(created.returncode).toBe('SUCCESS');
    expect(bbb.emulator.requests().at(-1)?.checksumValid).toBe(true);
  });

  it("turns a FAILED answer into an error carrying BigBlueButton's messageKey, never the address", async () => {
    const refused = await client('sha256', 'not-the-secret')
      .call('create', { meetingID: 'rl-refused' })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(BigBlueButtonError);
    expect((refused as BigBlueButtonError).code).toBe('checksumError');
    expect((refused as Error).message).not.toContain('checksum=');

    const missing = await client('sha256')
      .call('end', { meetingID: 'rl-never-created' })
      .catch((e: unknown) => e);
    expect((missing as BigBlueButtonError).code).toBe('notFound');
  });
});

describe("the BigBlueButton provider's running calls", () => {
  let bbb: RunningBigBlueButtonEmulator;
  beforeAll(async () => {
    bbb = await startBigBlueButtonEmulator({ secret: SECRET });
  });
  afterAll(async () => bbb?.close());

  const api = () => new BigBlueButtonApi({ url: new URL(bbb.baseUrl), secret: SECRET, checksum: 'sha256' });
  const provider = () =>
    new BigBlueButtonProvider({ baseUrl: new URL('https://roomlink.test/'), api: api() });

  it("lists the engine's meetings named as Roomlink names them that have not ended: none, one, several", async () => {
    bbb.emulator.reset();
    expect(await provider().runningCalls()).toEqual([]);
    // Another application's meeting on the same server is not Roomlink's.
    await api().call('create', { meetingID: 'greenlight-room', name: 'n' });
    expect(await provider().runningCalls()).toEqual([]);
    await api().call('create', { meetingID: 'rl-one', name: 'n' });
    expect(await provider().runningCalls()).toEqual(['rl-one']);
    await api().call('create', { meetingID: 'rl-two', name: 'n' });
    await api().call('create', { meetingID: 'rl-ended', name: 'n' });
    await api().call('end', { meetingID: 'rl-ended' });
    expect(await provider().runningCalls()).toEqual(['rl-one', 'rl-two']);
  });
});

describe('durationMinutes', () => {
  const now = new Date('2026-12-04T10:00:00Z');
  it('counts whole minutes up to the closing time, at least one, and 0 (no limit) without one', () => {
    expect(durationMinutes(new Date('2026-12-04T11:54:30Z'), now)).toBe(115);
    expect(durationMinutes(new Date('2026-12-04T10:00:10Z'), now)).toBe(1);
    expect(durationMinutes(new Date('2026-12-04T09:00:00Z'), now)).toBe(1);
    expect(durationMinutes(null, now)).toBe(0);
  });
});
