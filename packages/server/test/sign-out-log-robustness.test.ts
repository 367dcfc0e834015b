/**
 * Sign-out's log steps when something gets in the way (see src/retention/sign-out.ts): a reader
 * that lets the checkpoint complete but keeps the log from restarting is reported, overlapping
 * quietLog sessions restore the connection's settings, and a failing log step neither fails the
 * sign-out nor skips its audit entry.
 */
import { readFile } from 'node:fs/promises';
import SqliteDatabase from 'better-sqlite3';
import { type KyselyPlugin, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SignOutTraces } from '../src/identity/ports.js';
import { signOutTraces } from '../src/retention/sign-out.js';
import type { Runtime } from '../src/runtime.js';
import { type KyselyStore, openStore } from '../src/store/kysely-store.js';
import { KyselyRetentionRepository, type LogSession } from '../src/store/repositories/retention.js';
import { createTestDatabase, DIALECTS, dialectAvailability, type TestDatabase } from './support/databases.js';

const USER = '0b7c1e9a-3f2d-4e5a-9b8c-1d2e3f4a5b6c';
const MARKER = 'AAMkAGMarkerOfTheSignedOutUser0001=';

interface Warning {
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

function traces(database: TestDatabase, store: KyselyStore, warnings: Warning[]): SignOutTraces {
  const runtime = { config: { logLevel: 'silent', databaseUrl: database.url }, store };
  return signOutTraces(runtime as unknown as Pick<Runtime, 'config' | 'store'>, {
    warn: (fields, message) => warnings.push({ fields: fields as Record<string, unknown>, message }),
  });
}

/** Sign-out's audit entry as identity writes it (one `audit_log` row). */
const auditEntry = (store: KyselyStore) => () =>
  sql`insert into audit_log (id, tenant_id, actor_id, action, target_type, target_id, details, created_at)
    values (${crypto.randomUUID()}, null, ${USER}, 'session.signed_out', 'user', ${USER}, '{}',
      ${new Date().toISOString()})`
    .execute(store.db)
    .then(() => undefined);

/** A row naming the user, then its deletion, as sign-out's deletes leave the log. */
async function writeAndDeleteMarker(store: KyselyStore): Promise<void> {
  const now = new Date().toISOString();
  await sql`insert into jobs (kind, payload, dedupe_key, status, attempts, max_attempts, run_at,
      locked_by, last_error, created_at, updated_at)
    values ('graph_change', ${JSON.stringify({ userId: 'someone-else', eventId: MARKER })}, null,
      'ready', 0, 8, ${now}, null, null, ${now}, ${now})`.execute(store.db);
  await sql`delete from jobs where payload like ${`%${MARKER}%`}`.execute(store.db);
}

const walHolds = async (file: string, needle: string) =>
  (await readFile(`${file}-wal`)).toString('latin1').includes(needle);

const settings = async (store: KyselyStore) => {
  const read = async (name: string) => {
    const { rows } = await sql<Record<string, number>>`${sql.raw(`pragma ${name}`)}`.execute(store.db);
    return Number(Object.values(rows[0] ?? {})[0]);
  };
  return { autocheckpoint: await read('wal_autocheckpoint'), sizeLimit: await read('journal_size_limit') };
};

describe('sign-out and a reader that keeps the write-ahead log from restarting (sqlite)', () => {
  let database: TestDatabase;
  let store: KyselyStore;
  beforeEach(async () => {
    database = await createTestDatabase('sqlite');
    store = await openStore(database.url);
  });
  afterEach(async () => {
    await store?.close();
    await database?.drop();
  });

  it('empties the log and warns of nothing when no one is reading', async () => {
    const file = database.file as string;
    const warnings: Warning[] = [];
    await writeAndDeleteMarker(store);
    expect(await walHolds(file, MARKER)).toBe(true);
    const lastWrite = vi.fn(auditEntry(store));

    await traces(database, store, warnings).forget(USER, lastWrite);

    expect(lastWrite).toHaveBeenCalledTimes(1);
    expect(warnings).toEqual([]);
    expect(await walHolds(file, MARKER)).toBe(false);
  });

  it('warns exactly when the log kept what sign-out removed, while other requests commit around it', async () => {
    const file = database.file as string;
    // Past CHECKPOINTER_AFTER_COMMITS: the background checkpointer runs too.
    const write = () =>
      store.transaction((r) =>
        r.audit.append({ tenantId: null, actorId: null, action: 'session.signed_out' }, new Date()),
      );
    for (let i = 0; i < 250; i++) await write();
    const outcomes: { warned: boolean; kept: boolean }[] = [];
    for (let round = 0; round < 10; round++) {
      const warnings: Warning[] = [];
      await writeAndDeleteMarker(store);
      const others = Promise.all([write(), write()]);
      await traces(database, store, warnings).forget(USER, auditEntry(store));
      outcomes.push({ warned: warnings.length > 0, kept: await walHolds(file, MARKER) });
      await others;
    }
    // Whether another connection got in the way depends on the machine's timing; what must hold is
    // that sign-out says so exactly when it happened (no false alarm, no silent failure).
    for (const outcome of outcomes) expect(outcome.warned).toBe(outcome.kept);
  });

  it('warns when a read transaction at the end of the log keeps it from being truncated', async () => {
    const file = database.file as string;
    const warnings: Warning[] = [];
    await writeAndDeleteMarker(store);
    // Another process reading: its snapshot includes the deletes (the checkpoint completes), but
    // while it reads, the log cannot start over.
    const reader = new SqliteDatabase(file, { fileMustExist: true });
    try {
      reader.exec('begin');
      reader.prepare('select count(*) from jobs').get();
      const lastWrite = vi.fn(auditEntry(store));

      await traces(database, store, warnings).forget(USER, lastWrite);

      expect(lastWrite).toHaveBeenCalledTimes(1);
      expect(await walHolds(file, MARKER)).toBe(true);
      expect(warnings).toEqual([
        {
          fields: { userId: USER },
          message: expect.stringMatching(/^sign-out: another connection kept the write-ahead log from/),
        },
      ]);
    } finally {
      reader.exec('commit');
      reader.close();
    }
  });
});

describe('overlapping quietLog sessions (sqlite)', () => {
  let database: TestDatabase;
  let store: KyselyStore;
  beforeEach(async () => {
    database = await createTestDatabase('sqlite');
    store = await openStore(database.url);
  });
  afterEach(async () => {
    await store?.close();
    await database?.drop();
  });

  it('restores the settings when a session starts while the last one is closing', async () => {
    await sql.raw('pragma wal_autocheckpoint = 1000').execute(store.db);
    await sql.raw('pragma journal_size_limit = -1').execute(store.db);
    const log = new KyselyRetentionRepository(store.db, 'sqlite');

    const s1 = await log.quietLog();
    await s1.truncateOnNextCommit();
    expect(await settings(store)).toEqual({ autocheckpoint: 0, sizeLimit: 0 });
    const closing = s1.close();
    const s2 = await log.quietLog();
    await closing;
    // s2 is still open: the log stays quiet for it.
    expect((await settings(store)).autocheckpoint).toBe(0);
    await s2.close();

    expect(await settings(store)).toEqual({ autocheckpoint: 1000, sizeLimit: -1 });
  });

  it('tries again after reading the settings failed', async () => {
    let fail = true;
    const failingOnce: KyselyPlugin = {
      transformQuery: (args) => {
        if (fail) {
          fail = false;
          throw new Error('disk I/O error');
        }
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const log = new KyselyRetentionRepository(store.db.withPlugin(failingOnce), 'sqlite');

    await expect(log.quietLog()).rejects.toThrow('disk I/O error');
    const session = await log.quietLog();
    expect((await settings(store)).autocheckpoint).toBe(0);
    await session.close();
    expect((await settings(store)).autocheckpoint).not.toBe(0);
  });
});

for (const dialect of DIALECTS) {
  const availability = dialectAvailability(dialect);
  describe.skipIf(availability.skip)(`sign-out when a log step fails (${availability.label})`, () => {
    let database: TestDatabase;
    let store: KyselyStore;
    beforeEach(async () => {
      database = await createTestDatabase(dialect);
      store = await openStore(database.url);
    });
    afterEach(async () => {
      vi.restoreAllMocks();
      await store?.close();
      await database?.drop();
    });

    const session = (overrides: Partial<LogSession>): LogSession => ({
      checkpoint: async () => ({ ms: 0, complete: true }),
      truncateOnNextCommit: async () => undefined,
      close: async () => undefined,
      ...overrides,
    });
    /** quietLog answers a session whose `step` fails. */
    const failing = (step: 'checkpoint' | 'truncateOnNextCommit' | 'close') => () =>
      vi.spyOn(KyselyRetentionRepository.prototype, 'quietLog').mockResolvedValue(
        session({
          [step]: async () => {
            throw new Error('disk I/O error');
          },
        }),
      );
    const failures: [string, () => void][] = [
      [
        'quietLog',
        () =>
          vi
            .spyOn(KyselyRetentionRepository.prototype, 'quietLog')
            .mockRejectedValue(new Error('database is locked')),
      ],
      ['the checkpoint', failing('checkpoint')],
      ['truncateOnNextCommit', failing('truncateOnNextCommit')],
      ['closing the session', failing('close')],
    ];
    for (const [step, fail] of failures) {
      it(`still writes the audit entry, once, and warns when ${step} fails`, async () => {
        fail();
        const warnings: Warning[] = [];
        const lastWrite = vi.fn(async () => undefined);

        await expect(traces(database, store, warnings).forget(USER, lastWrite)).resolves.toBeUndefined();

        expect(lastWrite).toHaveBeenCalledTimes(1);
        // (A stubbed session truncates nothing: the check after the audit entry may say so too.)
        expect(warnings.filter((w) => w.message.startsWith('sign-out: could not'))).toEqual([
          {
            fields: { userId: USER, err: { type: 'Error' } },
            message: expect.stringMatching(/^sign-out: could not .*write-ahead log/),
          },
        ]);
        expect(JSON.stringify(warnings)).not.toMatch(/disk I\/O|locked/);
      });
    }
  });
}
