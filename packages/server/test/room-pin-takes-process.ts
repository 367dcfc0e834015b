/**
 * A process that spends PIN tries from one room's budget in the database (room-pin-failures.test.ts):
 * it opens the store, prints READY, waits for a line on stdin, then takes TAKES tries at once and
 * prints their answers as one JSON line. Env: DATABASE_URL, MEETING_ID, TAKES, ATTEMPTS, NOW (ms).
 */
import { createInterface } from 'node:readline';
import { openStore } from '../src/store/kysely-store.js';
import { KyselyRoomPinFailureRepository } from '../src/store/repositories/room-pin-failures.js';

const { DATABASE_URL, MEETING_ID, TAKES, ATTEMPTS, NOW } = process.env;
const DAY = 24 * 60 * 60_000;

const store = await openStore(DATABASE_URL as string, { migrate: false });
const ledger = new KyselyRoomPinFailureRepository(store.db);
const policy = { attempts: Number(ATTEMPTS), lockoutMs: 15 * 60_000, maxLockoutMs: DAY, memoryMs: DAY };
process.stdout.write('READY\n');
await new Promise<void>((resolve) => createInterface({ input: process.stdin }).once('line', () => resolve()));
const answers = await Promise.all(
  Array.from({ length: Number(TAKES) }, () => ledger.take(MEETING_ID as string, Number(NOW), policy)),
);
process.stdout.write(`${JSON.stringify(answers)}\n`);
await store.close();
process.exit(0);
