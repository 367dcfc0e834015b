/**
 * What reaches the disk: after meetings are created, neither the raw SQLite files nor PostgreSQL's
 * rows hold a subject, a time or a PIN in clear, and a ciphertext moved elsewhere fails to open.
 */
import { readFile } from 'node:fs/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { sessionHeader, startTestApp, type TestApp } from './support/harness.js';
import { daysFromNow } from './support/meeting-times.js';

const SUBJECTS = ['Confidential merger talk ÅÄÖ', 'Réunion très secrète', 'Layoffs planning 2027'];
const { start: START, end: END } = daysFromNow(60, '14:15', '15:45');

/** Ways a time could be written by mistake: ISO forms, SQL timestamp form, epoch seconds and ms. */
function timeForms(iso: string): string[] {
  const d = new Date(iso);
  return [
    iso,
    d.toISOString(),
    iso.slice(0, 16),
    iso.replace('T', ' ').slice(0, 16),
    String(d.getTime()),
    String(d.getTime() / 1000),
  ];
}

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`encryption at rest on ${label}`, () => {
    let t: TestApp;
    const created: { id: string; conferenceId: string; hostPin: string; guestPin: string }[] = [];

    beforeAll(async () => {
      t = await startTestApp(dialect);
      for (const [i, subject] of SUBJECTS.entries()) {
        const res = await t.app.inject({
          method: 'POST',
          url: '/api/v1/meetings',
          headers: sessionHeader(i === 0 ? 'tenant-a' : 'tenant-b', 'organizer'),
          payload: {
            subject,
            start: START,
            end: END,
            idempotencyKey: `item-${i}-abcdef`,
            options: { guestPin: true },
          },
        });
        expect(res.statusCode).toBe(201);
        created.push(res.json());
      }
    });
    afterAll(async () => t?.close());

    async function rawContent(): Promise<string> {
      if (dialect === 'sqlite') {
        // The main file and the write-ahead log: between checkpoints new rows live only in the WAL.
        const file = t.database.file as string;
        const parts = await Promise.all(
          [file, `${file}-wal`].map((f) => readFile(f).catch(() => Buffer.alloc(0))),
        );
        return Buffer.concat(parts).toString('latin1') + Buffer.concat(parts).toString('utf8');
      }
      const db = (t.runtime.store as unknown as { db: import('kysely').Kysely<unknown> }).db;
      const rows = await sql<{ t: string }>`
        select row_to_json(m)::text as t from meetings m
        union all select row_to_json(a)::text from audit_log a
        union all select row_to_json(k)::text from tenant_keys k`.execute(db);
      return rows.rows.map((r) => r.t).join('\n');
    }

    it('finds no subject, time or PIN in clear', async () => {
      const raw = await rawContent();
      expect(raw.length).toBeGreaterThan(1000);
      // The scan works: the clear-text columns it should find are there.
      expect(raw).toContain(created[0]?.id);
      for (const subject of SUBJECTS) {
        expect(raw).not.toContain(subject);
        expect(raw).not.toContain(subject.split(' ')[0]);
      }
      for (const form of [...timeForms(START), ...timeForms(END)]) expect(raw).not.toContain(form);
      // Conference ids are kept in clear (dial-in callers type them), and a PIN's random digits can be
      // part of one by chance (it happened: PIN 436250 in conference id 5744362503).
      const withoutConferenceIds = created.reduce(
        (text, m) => text.replaceAll(m.conferenceId, '<conference id>'),
        raw,
      );
      for (const m of created) {
        expect(withoutConferenceIds).not.toContain(m.hostPin);
        expect(withoutConferenceIds).not.toContain(m.guestPin);
      }
    });

    it('a ciphertext copied into another row or another tenant fails to decrypt', async () => {
      const db = (
        t.runtime.store as unknown as {
          db: import('kysely').Kysely<import('../src/store/schema.js').Database>;
        }
      ).db;
      const [a, b, c] = created as [(typeof created)[0], (typeof created)[0], (typeof created)[0]];
      const source = await db
        .selectFrom('meetings')
        .select('subject_ct')
        .where('id', '=', b.id)
        .executeTakeFirstOrThrow();
      // Same tenant (b and c are both tenant-b), another row.
      await db
        .updateTable('meetings')
        .set({ subject_ct: source.subject_ct })
        .where('id', '=', c.id)
        .execute();
      const sameTenant = await t.app.inject({
        method: 'GET',
        url: `/api/v1/meetings/${c.id}`,
        headers: sessionHeader('tenant-b', 'organizer'),
      });
      expect(sameTenant.statusCode).toBe(500);
      expect(sameTenant.body).not.toContain(SUBJECTS[1]);
      // Another tenant.
      await db
        .updateTable('meetings')
        .set({ subject_ct: source.subject_ct })
        .where('id', '=', a.id)
        .execute();
      const otherTenant = await t.app.inject({
        method: 'GET',
        url: `/api/v1/meetings/${a.id}`,
        headers: sessionHeader('tenant-a', 'organizer'),
      });
      expect(otherTenant.statusCode).toBe(500);
      // The original row still opens.
      const original = await t.app.inject({
        method: 'GET',
        url: `/api/v1/meetings/${b.id}`,
        headers: sessionHeader('tenant-b', 'organizer'),
      });
      expect(original.json().subject).toBe(SUBJECTS[1]);
    });
  });
}
