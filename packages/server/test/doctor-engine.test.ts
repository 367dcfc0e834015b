/**
 * `roomlink doctor` checks, with ROOMLINK_ROOM_ENGINE=bigbluebutton, that the BigBlueButton server
 * takes Roomlink's signed calls (reached, right secret, an algorithm it accepts), in demo mode too:
 * otherwise the first participant finds out (docs/errors.md, exit 68). It creates no meeting there.
 */

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type RunningBigBlueButtonEmulator, startBigBlueButtonEmulator } from '@roomlink/emulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor } from '../src/cli/doctor.js';
import { EXIT } from '../src/cli/exit.js';
import { openStore } from '../src/store/kysely-store.js';
import { createTestDatabase, type TestDatabase } from './support/databases.js';
import { testMasterKeys } from './support/harness.js';

const SECRET = 'doctor-bbb-shared-secret';

describe('roomlink doctor checks the BigBlueButton server', () => {
  let database: TestDatabase;
  let bbb: RunningBigBlueButtonEmulator;
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    await (await openStore(database.url)).close();
    bbb = await startBigBlueButtonEmulator({ secret: SECRET, supportedChecksumAlgorithms: ['sha256'] });
  });
  afterAll(async () => {
    await bbb?.close();
    await database?.drop();
  });

  const doctor = async (overrides: Record<string, string>) => {
    const lines: string[] = [];
    const code = await runDoctor(
      {
        DATABASE_URL: database.url,
        ROOMLINK_MASTER_KEYS: testMasterKeys(),
        ROOMLINK_ROOM_ENGINE: 'bigbluebutton',
        ROOMLINK_BBB_URL: bbb.baseUrl,
        ROOMLINK_BBB_SECRET: SECRET,
        ...overrides,
      },
      (line) => lines.push(line),
      { networkTimeoutMs: 2_000 },
    );
    return { code, output: lines.join('\n') };
  };

  it('passes when the server takes a signed call, and leaves no meeting there', async () => {
    const result = await doctor({});
    expect(result.code, result.output).toBe(EXIT.ok);
    expect(result.output).toContain(
      `ok    BigBlueButton (ROOMLINK_BBB_URL ${bbb.baseUrl}): takes signed calls (sha256)`,
    );
    expect(bbb.emulator.requests().at(-1)).toMatchObject({ call: 'isMeetingRunning', checksumValid: true });
    expect(bbb.emulator.meetings()).toEqual([]);
  });

  it('fails with exit 68 on a wrong secret or an algorithm the server does not take, never printing the secret', async () => {
    const wrong: Record<string, string>[] = [
      { ROOMLINK_BBB_SECRET: 'not-the-bbb-secret' },
      { ROOMLINK_BBB_CHECKSUM: 'sha1' },
    ];
    for (const overrides of wrong) {
      const result = await doctor(overrides);
      expect(result.code, result.output).toBe(EXIT.unreachable);
      expect(result.output).toMatch(
        /^FAIL {2}BigBlueButton .*: it refused the call's checksum: ROOMLINK_BBB_SECRET/m,
      );
      expect(result.output).not.toContain('not-the-bbb-secret');
      expect(result.output).not.toContain(SECRET);
    }
  });

  it('fails with exit 68 when nothing answers at the URL', async () => {
    // A port just freed: nothing listens there.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const result = await doctor({ ROOMLINK_BBB_URL: `http://127.0.0.1:${port}/bigbluebutton/` });
    expect(result.code, result.output).toBe(EXIT.unreachable);
    expect(result.output).toMatch(
      /^FAIL {2}BigBlueButton .*: ECONNREFUSED: the server needs outbound HTTP\(S\) to it/m,
    );
  });

  it('says how long it waited when the server takes the request and never answers', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const result = await doctor({ ROOMLINK_BBB_URL: `http://127.0.0.1:${port}/bigbluebutton/` });
      expect(result.code, result.output).toBe(EXIT.unreachable);
      // The timeout doctor was given (2 s here), not the default 10 s.
      expect(result.output).toMatch(/^FAIL {2}BigBlueButton .*: no answer within 2 s$/m);
    } finally {
      silent.closeAllConnections();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
