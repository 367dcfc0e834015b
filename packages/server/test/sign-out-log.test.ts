/**
 * Sign-out on SQLite leaves no copy of what it removed in the database's files: the write-ahead log
 * (`roomlink.sqlite-wal`) keeps page images from before a change until they are overwritten, so
 * sign-out checkpoints it and its last write restarts and truncates it. Checked as `npm start` runs
 * it (demo mode: identity and Graph emulators, calendar sync, SQLite), on the raw bytes of the files
 * as soon as the sign-out has answered: the user's Entra object id, Graph subscription id, the Graph
 * event ids that passed through the job queue, and the ciphertexts of their name, UPN, tokens and
 * sync state. Sign-out also deletes the user's waiting sync jobs, on PostgreSQL from pg-boss's
 * tables (old row versions there are VACUUM's, see docs/privacy.md).
 */
import { readFile } from 'node:fs/promises';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MEETING_ID_PROPERTY } from '../src/graph/events.js';
import { pgBossSchemaFor } from '../src/graph/index.js';
import { scriptedSignIn } from '../src/identity/scripted-sign-in.js';
import { PgBossJobQueue } from '../src/jobs/pg-boss-queue.js';
import { type DemoServer, startDemoServer } from './browser/demo-sandbox.js';
import { dialectAvailability } from './support/databases.js';
import { startIdentityApp } from './support/identity.js';
import { daysFromNow } from './support/meeting-times.js';
import { eventually } from './sync-harness.js';

const UPN = 'adele@contoso.example';
const BUDGET_REVIEW = daysFromNow(60);
const DENTIST = daysFromNow(62);

/** Every file of the database: the main file, its write-ahead log and the log's index. */
async function databaseBytes(file: string): Promise<{ name: string; bytes: string }[]> {
  const read = async (name: string) => {
    try {
      return { name, bytes: (await readFile(name)).toString('latin1') };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { name, bytes: '' };
      throw error;
    }
  };
  return Promise.all([read(file), read(`${file}-wal`), read(`${file}-shm`)]);
}

/**
 * Pieces of a value to look for: the whole value if short, else 24-character windows every 97
 * characters (a long ciphertext may be split across overflow pages; each window is found whole
 * wherever a copy of it lies within one page).
 */
function needles(label: string, value: string | null | undefined): { label: string; needle: string }[] {
  if (!value) return [];
  if (value.length <= 48) return [{ label, needle: value }];
  const out: { label: string; needle: string }[] = [];
  for (let i = 0; i + 24 <= value.length; i += 97) out.push({ label, needle: value.slice(i, i + 24) });
  return out;
}

describe('sign-out and SQLite’s write-ahead log (demo mode, real HTTP)', () => {
  let server: DemoServer;
  beforeAll(async () => {
    server = await startDemoServer();
  });
  afterAll(async () => server?.close());

  const db = () => server.runtime.store.db;
  const sandboxEvent = (item: Record<string, unknown>) =>
    fetch(new URL(`sandbox/api/events?user=${encodeURIComponent(UPN)}`, server.baseUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: null, location: '', attendees: [], recurrence: null, ...item }),
    });

  it('leaves none of the user’s identifiers or ciphertexts in the -wal or the main file', async () => {
    const file = server.database.file as string;
    const signedIn = await scriptedSignIn(server.baseUrl, UPN);
    const userId = signedIn.user.id;
    const syncUser = await eventually(
      async () => {
        const { rows } = await sql<{
          subscription_id: string | null;
          delta_link_ct: string | null;
        }>`select subscription_id, delta_link_ct from sync_users where user_id = ${userId}`.execute(db());
        return rows[0]?.subscription_id && rows[0].delta_link_ct ? rows[0] : undefined;
      },
      10_000,
      'a subscription and a delta link after sign-in',
    );

    // A Roomlink meeting with its appointment, and an appointment without a Roomlink link: both
    // reach calendar sync as change jobs whose payloads name the Graph event id.
    const created = await server.api('api/v1/meetings', signedIn.token, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        subject: 'Budget review',
        ...BUDGET_REVIEW,
        timeZone: 'UTC',
      }),
    });
    expect(created.status).toBe(201);
    const meeting = (await created.json()) as { id: string };
    for (const item of [
      {
        subject: 'Budget review',
        ...BUDGET_REVIEW,
        body: '<p>Agenda</p>',
        customProperties: { [MEETING_ID_PROPERTY]: meeting.id },
      },
      {
        subject: 'Dentist',
        ...DENTIST,
        body: '',
        customProperties: null,
      },
    ]) {
      expect((await sandboxEvent(item)).status).toBe(201);
    }
    // Both reached calendar sync as change jobs: their payloads, in the files, name the event ids.
    const eventIds = await eventually(
      async () => {
        const bytes = (await databaseBytes(file)).map((f) => f.bytes).join('');
        const ids = new Set([...bytes.matchAll(/"eventId":"([^"]+)"/g)].map((m) => m[1] as string));
        return ids.size >= 2 ? [...ids] : undefined;
      },
      10_000,
      'change jobs for both appointments',
    );
    await eventually(
      async () => {
        const { rows } = await sql<{ n: number }>`
          select count(*) as n from sync_events where meeting_id = ${meeting.id}`.execute(db());
        return Number(rows[0]?.n) === 1 ? true : undefined;
      },
      10_000,
      'the appointment linked to the meeting',
    );

    // A change job still waiting at sign-out (e.g. for its retry, an hour away): claimed after the
    // sign-out it would write its payload to the log again, so sign-out deletes it.
    const waitingEventId = 'AAMkAGWaitingForItsRetryAtSignOut0000=';
    const later = new Date(Date.now() + 3_600_000).toISOString();
    await sql`insert into jobs (kind, payload, dedupe_key, status, attempts, max_attempts, run_at,
        locked_by, last_error, created_at, updated_at)
      values ('graph_change', ${JSON.stringify({ userId, eventId: waitingEventId, changeType: 'updated' })},
        null, 'ready', 1, 8, ${later}, null, 'graph_unavailable', ${later}, ${later})`.execute(db());

    const user = (
      await sql<{ exchange_id: string; display_name_ct: string; upn_ct: string }>`
        select exchange_id, display_name_ct, upn_ct from users where id = ${userId}`.execute(db())
    ).rows[0];
    const token = (
      await sql<{ refresh_token_ct: string; access_token_ct: string | null }>`
        select refresh_token_ct, access_token_ct from user_tokens where user_id = ${userId}`.execute(db())
    ).rows[0];
    const syncEvent = (
      await sql<{ event_id_ct: string; version_ct: string }>`
        select event_id_ct, version_ct from sync_events where meeting_id = ${meeting.id}`.execute(db())
    ).rows[0];
    expect(user?.exchange_id).toMatch(/^[0-9a-f-]{36}$/);
    const secrets = [
      ...needles('Entra object id', user?.exchange_id),
      ...needles('Graph subscription id', syncUser.subscription_id),
      ...[...eventIds, waitingEventId].flatMap((id) => needles('Graph event id', id)),
      ...needles('name ciphertext', user?.display_name_ct),
      ...needles('UPN ciphertext', user?.upn_ct),
      ...needles('refresh token ciphertext', token?.refresh_token_ct),
      ...needles('access token ciphertext', token?.access_token_ct),
      ...needles('delta link ciphertext', syncUser.delta_link_ct),
      ...needles('event id ciphertext', syncEvent?.event_id_ct),
    ];
    const found = async () => {
      const hits: string[] = [];
      for (const { name, bytes } of await databaseBytes(file)) {
        for (const { label, needle } of secrets) {
          if (bytes.includes(needle)) hits.push(`${label} in ${name.slice(file.length) || 'main file'}`);
        }
      }
      return [...new Set(hits)];
    };
    // The scan finds them while the user is signed in (so its silence afterwards means something).
    const before = await found();
    for (const label of ['Entra object id', 'Graph subscription id', 'Graph event id']) {
      expect(before.some((hit) => hit.startsWith(label))).toBe(true);
    }

    const signOut = await server.api('api/v1/session/sign-out', signedIn.token, { method: 'POST' });
    expect(signOut.status).toBe(204);

    expect(await found()).toEqual([]);
    const { rows: jobs } = await sql<{ n: number }>`select count(*) as n from jobs
      where json_extract(payload, '$.userId') = ${userId}`.execute(db());
    expect(Number(jobs[0]?.n)).toBe(0);
    // Nothing of the user is left in the rows either, and the database still works afterwards.
    const { rows } = await sql<{ n: number }>`select count(*) as n from users
      where id = ${userId} and exchange_id is null and status = 'signed_out'`.execute(db());
    expect(Number(rows[0]?.n)).toBe(1);
    const again = await scriptedSignIn(server.baseUrl, UPN);
    expect(again.user.upn).toBe(UPN);
  });
});

const postgres = dialectAvailability('postgres');
describe.skipIf(postgres.skip)(`sign-out and the job queue (${postgres.label}: pg-boss)`, () => {
  it('deletes the user’s waiting jobs, payloads with event ids included, and no one else’s', async () => {
    const t = await startIdentityApp('postgres');
    const schema = pgBossSchemaFor(t.database.url);
    const queue = new PgBossJobQueue({
      connectionString: t.database.url,
      schema,
      kinds: { graph_change: { maxAttempts: 8 } },
    });
    try {
      const leaving = await scriptedSignIn(t.url, 'adele@contoso.example');
      const staying = await scriptedSignIn(t.url, 'megan@contoso.example');
      // Waiting an hour (e.g. for a retry); nothing works this queue here.
      await queue.enqueue(
        [leaving, staying].map((who, i) => ({
          kind: 'graph_change',
          payload: { userId: who.user.id, eventId: `AAMkAGwaiting${i}=`, changeType: 'updated' },
          delayMs: 3_600_000,
        })),
      );
      const signOut = await t.app.inject({
        method: 'POST',
        url: '/api/v1/session/sign-out',
        headers: { authorization: `Bearer ${leaving.token}` },
      });
      expect(signOut.statusCode).toBe(204);
      const { rows } = await sql<{ user_id: string }>`
        select data->>'userId' as user_id from ${sql.table(`${schema}.job`)}
        union all select data->>'userId' from ${sql.table(`${schema}.archive`)}`.execute(t.runtime.store.db);
      expect(rows.map((r) => r.user_id)).toEqual([staying.user.id]);
    } finally {
      await queue.stop();
      await t.close();
    }
  });
});
