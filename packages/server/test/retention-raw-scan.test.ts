/**
 * What a purge leaves on disk (SQLite): after meeting retention and after offboarding, the raw
 * database file and its write-ahead log hold none of the purged rows' ids, ciphertexts, room codes
 * or titles. The same scan finds what was kept, so it does look.
 */
import { readFile } from 'node:fs/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRetention, type Retention } from '../src/retention/index.js';
import { createMeeting, insertNamedUser, SILENT } from './support/admin.js';
import { startTestApp, type TestApp } from './support/harness.js';

const TITLE = 'Zanzibar acquisition talks';

describe('raw SQLite file after purges', () => {
  let t: TestApp;
  let retention: Retention;
  beforeAll(async () => {
    t = await startTestApp('sqlite');
    retention = createRetention(t.runtime, { logger: SILENT });
  });
  afterAll(async () => t?.close());

  async function raw(): Promise<string> {
    const file = t.database.file as string;
    const parts = await Promise.all(
      [file, `${file}-wal`].map((f) => readFile(f).catch(() => Buffer.alloc(0))),
    );
    const bytes = Buffer.concat(parts);
    return bytes.toString('latin1');
  }

  /** Everything of a meeting row that identifies it or is derived from its content. */
  async function traces(ids: string[]): Promise<string[]> {
    const rows = await t.runtime.store.db.selectFrom('meetings').selectAll().where('id', 'in', ids).execute();
    expect(rows).toHaveLength(ids.length);
    return rows.flatMap((r) => [
      r.id,
      r.subject_ct,
      r.start_ct,
      r.end_ct,
      r.host_pin_ct,
      r.slug,
      r.conference_id,
    ]);
  }

  it('meeting retention leaves no trace of the purged meetings', async () => {
    const ended = new Date('2026-01-10T10:00:00Z');
    const purged: string[] = [];
    for (let i = 0; i < 30; i++)
      purged.push(await createMeeting(t.runtime, 't-scan', 'u1', `${TITLE} ${i}`, ended));
    const kept = await createMeeting(t.runtime, 't-scan', 'u1', 'Kept', new Date('2027-06-01T10:00:00Z'));
    const purgedTraces = await traces(purged);
    const before = await raw();
    // The scan sees clear-text columns (ids, codes) and ciphertexts as stored.
    for (const trace of purgedTraces) expect(before).toContain(trace);

    const report = await retention.job.run(new Date('2026-06-01T00:00:00Z'));
    expect(report.meetingsPurged).toBe(30);
    const after = await raw();
    for (const trace of purgedTraces) expect(after).not.toContain(trace);
    expect(after).not.toContain(TITLE);
    expect(after).toContain(kept);
    // The run paused SQLite's automatic checkpoint (it checkpoints between batches) and restored it.
    const auto = await sql<{ wal_autocheckpoint: number }>`pragma wal_autocheckpoint`.execute(
      t.runtime.store.db,
    );
    expect(auto.rows[0]?.wal_autocheckpoint).toBe(1000);
  });

  it('offboarding leaves no trace of the tenant’s users, meetings or data key', async () => {
    await insertNamedUser(t.runtime, 't-leaving', 'leaving-user', { name: 'Ulrike Leaving' });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      ids.push(await createMeeting(t.runtime, 't-leaving', 'leaving-user', `${TITLE} leaving ${i}`));
    }
    const db = t.runtime.store.db;
    const meetingTraces = await traces(ids);
    const user = await db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', 'leaving-user')
      .executeTakeFirstOrThrow();
    const key = await db
      .selectFrom('tenant_keys')
      .selectAll()
      .where('tenant_id', '=', 't-leaving')
      .executeTakeFirstOrThrow();
    const all = [
      ...meetingTraces,
      user.display_name_ct as string,
      user.upn_ct as string,
      'oid-leaving-user',
      key.wrapped_key,
    ];
    const before = await raw();
    for (const trace of all) expect(before).toContain(trace);

    await retention.offboarding.schedule('t-leaving', '2026-01-01', { actor: 'cli', allowPast: true });
    const report = await retention.job.run(new Date());
    expect(report.tenantsDestroyed).toEqual(['t-leaving']);
    const after = await raw();
    for (const trace of all) expect(after).not.toContain(trace);
    expect(after).not.toContain('Ulrike');
  });

  it('an erasure leaves no trace of the user or their meetings', async () => {
    await insertNamedUser(t.runtime, 't-scan', 'erased-user', { name: 'Ernestine Erased' });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++)
      ids.push(await createMeeting(t.runtime, 't-scan', 'erased-user', `${TITLE} erased ${i}`));
    const user = await t.runtime.store.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', 'erased-user')
      .executeTakeFirstOrThrow();
    const all = [...(await traces(ids)), user.display_name_ct as string, 'oid-erased-user'];
    const before = await raw();
    for (const trace of all) expect(before).toContain(trace);

    await retention.subjects.erase('erased-user', { actor: 'admin', tenantId: 't-scan' });
    const after = await raw();
    for (const trace of all) expect(after).not.toContain(trace);
  });
});
