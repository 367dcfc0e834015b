/**
 * Retention under a controlled clock, on both dialects: meeting metadata goes 3 months after the
 * meeting ends (or after the tenant's shorter period), signed-out users keep nothing, and every
 * purge is audit-logged as counts. Offboarding and crypto-shredding are in retention-offboarding.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMonthsClamped } from '../src/domain/meetings/window.js';
import { digest, randomToken } from '../src/identity/secrets.js';
import { createRetention, type Retention } from '../src/retention/index.js';
import { KyselyRoomPinFailureRepository } from '../src/store/repositories/room-pin-failures.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { startTestApp, type TestApp } from './support/harness.js';
import { insertTokens, insertUser } from './support/sessions.js';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const AS_OF = new Date('2027-06-15T12:00:00Z');
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`retention on ${label}`, () => {
    let t: TestApp;
    let retention: Retention;
    const db = () => t.runtime.store.db;

    beforeAll(async () => {
      t = await startTestApp(dialect);
      // A table retention has never heard of: rows in it follow their tenant, user and meeting.
      await sql`create table retention_test_things (tenant_id text, user_id text, meeting_id text)`.execute(
        db(),
      );
      retention = createRetention(t.runtime, { logger: silent });
    });
    afterAll(async () => t?.close());

    async function meeting(tenantId: string, userId: string, end: Date, subject = 'Retention test meeting') {
      const { meeting: m } = await t.runtime.meetings.create(
        { tenantId, userId, isTenantAdmin: false },
        { subject, start: new Date(end.getTime() - 3600_000), end },
      );
      return m.id;
    }
    const exists = async (id: string) =>
      (await db().selectFrom('meetings').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
    /** An add-in session of the user, ending at `expiresAt`. */
    const addinSession = (tenantId: string, userId: string, expiresAt: Date) =>
      t.runtime.store.authFlow.insertSession({
        tokenHash: digest(randomToken()),
        userId,
        tenantId,
        kind: 'addin',
        createdAt: new Date(expiresAt.getTime() - DAY).toISOString(),
        expiresAt: expiresAt.toISOString(),
      });
    const purgeAudits = (tenantId: string) =>
      db()
        .selectFrom('audit_log')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('action', '=', 'data.purged')
        .execute();

    it('deletes a meeting ended 3 months + 1 day ago and keeps one ended 3 months − 1 day ago', async () => {
      const threeMonthsAgo = addMonthsClamped(AS_OF, -3);
      const old = await meeting(
        't-default',
        'u1',
        new Date(threeMonthsAgo.getTime() - DAY),
        'Old board meeting',
      );
      const recent = await meeting('t-default', 'u1', new Date(threeMonthsAgo.getTime() + DAY));

      const report = await retention.job.run(AS_OF);
      expect(report.completed).toBe(true);
      expect(await exists(old)).toBe(false);
      expect(await exists(recent)).toBe(true);
      // The kept one still opens: nothing else was touched.
      const kept = await t.runtime.meetings.get(
        { tenantId: 't-default', userId: 'u1', isTenantAdmin: false },
        recent,
      );
      expect(kept.subject).toBe('Retention test meeting');
      // Its audit trail went with it (ids of purged meetings do not outlive them).
      const trail = await db().selectFrom('audit_log').select('id').where('target_id', '=', old).execute();
      expect(trail).toHaveLength(0);

      const audits = await purgeAudits('t-default');
      expect(audits).toHaveLength(1);
      expect(JSON.parse(audits[0]?.details as string)).toEqual({
        reason: 'meeting_retention',
        meetings: 1,
        purgeDay: '2027-06-15',
      });
      expect(audits[0]?.actor_id).toBe('retention');
      expect(audits[0]?.details).not.toContain('Old board meeting');

      // Idempotent: a second run finds nothing and writes nothing.
      const again = await retention.job.run(AS_OF);
      expect(again.meetingsPurged).toBe(0);
      expect(await purgeAudits('t-default')).toHaveLength(1);
      // And the day after 3 months of the kept one, it goes too.
      await retention.job.run(
        new Date(addMonthsClamped(new Date(threeMonthsAgo.getTime() + DAY), 3).getTime() + DAY),
      );
      expect(await exists(recent)).toBe(false);
    });

    it('applies a tenant’s shorter retention, set before or after the meetings were created', async () => {
      const now = new Date();
      const before = await t.runtime.store.tenants.ensure('t-short', now);
      await t.runtime.store.tenants.updateSettings('t-short', { ...before.settings, retentionDays: 30 }, now);
      const gone = await meeting('t-short', 'u2', new Date(AS_OF.getTime() - 31 * DAY));
      const kept = await meeting('t-short', 'u2', new Date(AS_OF.getTime() - 29 * DAY));

      // Meetings made under the default, then the tenant shortens its retention.
      const later = await t.runtime.store.tenants.ensure('t-later', now);
      const laterGone = await meeting('t-later', 'u3', new Date(AS_OF.getTime() - 40 * DAY));
      const laterKept = await meeting('t-later', 'u3', new Date(AS_OF.getTime() - 10 * DAY));
      const first = await retention.job.run(AS_OF);
      expect(await exists(laterGone)).toBe(true);
      expect(first.meetingsPurged).toBeGreaterThanOrEqual(1);
      expect(await exists(gone)).toBe(false);
      expect(await exists(kept)).toBe(true);

      await t.runtime.store.tenants.updateSettings('t-later', { ...later.settings, retentionDays: 30 }, now);
      const second = await retention.job.run(AS_OF);
      expect(second.purgeDaysShortened).toBe(2);
      expect(await exists(laterGone)).toBe(false);
      expect(await exists(laterKept)).toBe(true);
      const row = await db()
        .selectFrom('meetings')
        .select('purge_after')
        .where('id', '=', laterKept)
        .executeTakeFirstOrThrow();
      expect(row.purge_after).toBe('2027-07-05'); // ended 2027-06-05T12:00, + 30 days, as a day

      // Applied once: the next run does not decrypt the tenant's meetings again.
      const third = await retention.job.run(AS_OF);
      expect(third.purgeDaysShortened).toBe(0);
    });

    it('signs out a user Microsoft refused once no session of theirs is left, and audits the count', async () => {
      const store = t.runtime.store;
      for (const id of ['lapsed-user', 'waiting-user', 'syncing-user'])
        await insertUser(store, 't-lapsed', id);
      await insertTokens(store, 't-lapsed', 'syncing-user');
      await store.db
        .updateTable('users')
        .set({
          status: 'needs_sign_in',
          display_name_ct: 'v1.x.name',
          upn_ct: 'v1.x.upn',
          // Recent: the idle-user sweep (3 months after the last sign-in) leaves their rows.
          last_sign_in_at: new Date(AS_OF.getTime() - 30 * DAY).toISOString(),
        })
        .where('id', 'in', ['lapsed-user', 'waiting-user'])
        .execute();
      const session = (userId: string, expiresAt: Date) => addinSession('t-lapsed', userId, expiresAt);
      await session('lapsed-user', new Date(AS_OF.getTime() - 1000));
      // Still signed in to the add-in, which tells them to sign in again: kept until that session ends.
      await session('waiting-user', new Date(AS_OF.getTime() + DAY));
      // Signed in, with sync running: never signed out by retention.
      await session('syncing-user', new Date(AS_OF.getTime() + 7 * DAY));
      await sql`insert into retention_test_things (tenant_id, user_id, meeting_id) values ('t-lapsed', 'lapsed-user', null)`.execute(
        db(),
      );
      const kept = await meeting('t-lapsed', 'lapsed-user', new Date(AS_OF.getTime() + 7 * DAY));
      // Each has a meeting to come, so no later run of this file deletes them as idle.
      await meeting('t-lapsed', 'waiting-user', new Date(AS_OF.getTime() + 7 * DAY));
      const user = (id: string) =>
        db()
          .selectFrom('users')
          .select(['status', 'exchange_id', 'display_name_ct', 'upn_ct'])
          .where('id', '=', id)
          .executeTakeFirstOrThrow();

      const report = await retention.job.run(AS_OF);
      expect(report.lapsedUsersSignedOut).toBe(1);
      expect(await user('lapsed-user')).toEqual({
        status: 'signed_out',
        exchange_id: null,
        display_name_ct: null,
        upn_ct: null,
      });
      // The signed-out sweep of the same run took the rest; the meeting stays until its own day.
      const things = await sql`select * from retention_test_things where user_id = 'lapsed-user'`.execute(
        db(),
      );
      expect(things.rows).toHaveLength(0);
      expect(await exists(kept)).toBe(true);
      expect(await user('waiting-user')).toMatchObject({
        status: 'needs_sign_in',
        exchange_id: 'oid-waiting-user',
      });
      expect(await user('syncing-user')).toMatchObject({ status: 'active', exchange_id: 'oid-syncing-user' });
      expect((await purgeAudits('t-lapsed')).map((a) => JSON.parse(a.details))).toContainEqual({
        reason: 'sign_in_lapsed',
        users: 1,
      });

      expect((await retention.job.run(AS_OF)).lapsedUsersSignedOut).toBe(0);
      // Once the waiting user's session has ended too, they go the same way; the active user stays.
      expect((await retention.job.run(new Date(AS_OF.getTime() + 2 * DAY))).lapsedUsersSignedOut).toBe(1);
      expect(await user('waiting-user')).toMatchObject({ status: 'signed_out', exchange_id: null });
      expect(await user('syncing-user')).toMatchObject({ status: 'active', exchange_id: 'oid-syncing-user' });
    });

    it('signs out a dormant user: no session left, no sign-in for an hour, no meeting of theirs held', async () => {
      const store = t.runtime.store;
      const ids = ['dormant-user', 'organizer-user', 'fresh-user', 'signed-in-user'];
      for (const id of ids) {
        await insertUser(store, 't-dormant', id);
        await insertTokens(store, 't-dormant', id);
      }
      const signedIn = (id: string, at: Date) =>
        db().updateTable('users').set({ last_sign_in_at: at.toISOString() }).where('id', '=', id).execute();
      for (const id of ['dormant-user', 'organizer-user', 'signed-in-user'])
        await signedIn(id, new Date(AS_OF.getTime() - 10 * DAY));
      // Signed in minutes ago, their session not written yet: the sweep must not race the sign-in.
      await signedIn('fresh-user', new Date(AS_OF.getTime() - 10 * 60_000));
      const session = (userId: string, expiresAt: Date) => addinSession('t-dormant', userId, expiresAt);
      await session('dormant-user', new Date(AS_OF.getTime() - 1000));
      await session('organizer-user', new Date(AS_OF.getTime() - 1000));
      await session('signed-in-user', new Date(AS_OF.getTime() + DAY));
      // Calendar sync still follows this meeting for them: they stay signed in to Microsoft.
      await meeting('t-dormant', 'organizer-user', new Date(AS_OF.getTime() + 7 * DAY));
      const user = (id: string) =>
        db()
          .selectFrom('users')
          .select(['status', 'exchange_id'])
          .where('id', '=', id)
          .executeTakeFirstOrThrow();

      await retention.job.run(AS_OF);
      expect(await user('dormant-user')).toEqual({ status: 'signed_out', exchange_id: null });
      expect(await store.tokens.find('dormant-user')).toBeUndefined();
      for (const id of ['organizer-user', 'fresh-user', 'signed-in-user'])
        expect(await user(id), id).toEqual({ status: 'active', exchange_id: `oid-${id}` });
      expect((await purgeAudits('t-dormant')).map((a) => JSON.parse(a.details))).toContainEqual({
        reason: 'sign_in_lapsed',
        users: 1,
      });
    });

    it('deletes an account that only opened the admin console once its session has ended', async () => {
      const store = t.runtime.store;
      // The console stores no tokens: such an account is one Roomlink cannot act for.
      for (const id of ['console-ended', 'console-open', 'console-signing-in', 'addin-user', 'organizer'])
        await insertUser(store, 't-console', id, true);
      const signedIn = (id: string, at: Date) =>
        store.db
          .updateTable('users')
          .set({ display_name_ct: 'v1.x.name', upn_ct: 'v1.x.upn', last_sign_in_at: at.toISOString() })
          .where('id', '=', id)
          .execute();
      for (const id of ['console-ended', 'addin-user', 'organizer'])
        await signedIn(id, new Date(AS_OF.getTime() - DAY));
      await signedIn('console-open', new Date(AS_OF.getTime() - 2 * HOUR));
      // Signed in moments ago, their session not written yet: the sweep must not race the sign-in.
      await signedIn('console-signing-in', new Date(AS_OF.getTime() - 60_000));
      await insertTokens(store, 't-console', 'addin-user');
      await addinSession('t-console', 'addin-user', new Date(AS_OF.getTime() + 7 * DAY));
      // No product path leaves a meeting to an account without tokens; were one to, it is kept.
      await meeting('t-console', 'organizer', new Date(AS_OF.getTime() + 7 * DAY));
      const browserSession = (userId: string, expiresAt: Date) =>
        store.authFlow.insertSession({
          tokenHash: digest(randomToken()),
          userId,
          tenantId: 't-console',
          kind: 'browser',
          createdAt: new Date(expiresAt.getTime() - 12 * HOUR).toISOString(),
          expiresAt: expiresAt.toISOString(),
        });
      await browserSession('console-ended', new Date(AS_OF.getTime() - 1000));
      await browserSession('console-open', new Date(AS_OF.getTime() + 10 * HOUR));
      await sql`insert into retention_test_things (tenant_id, user_id, meeting_id) values ('t-console', 'console-ended', null)`.execute(
        db(),
      );
      const user = (id: string) =>
        db()
          .selectFrom('users')
          .select(['status', 'exchange_id', 'display_name_ct', 'upn_ct'])
          .where('id', '=', id)
          .executeTakeFirst();
      const rowsNaming = async (id: string) =>
        (await sql`select 1 from retention_test_things where user_id = ${id}`.execute(db())).rows.length +
        (await db().selectFrom('sessions').select('user_id').where('user_id', '=', id).execute()).length;

      const report = await retention.job.run(AS_OF);
      expect(await user('console-ended')).toBeUndefined();
      expect(await rowsNaming('console-ended')).toBe(0);
      expect(await user('console-open')).toMatchObject({ status: 'active', exchange_id: 'oid-console-open' });
      expect(await user('console-signing-in')).toMatchObject({
        status: 'active',
        exchange_id: 'oid-console-signing-in',
      });
      expect(await user('addin-user')).toMatchObject({ status: 'active', exchange_id: 'oid-addin-user' });
      // The organizer is signed out instead (identifiers cleared), their meeting kept to its day.
      expect(await user('organizer')).toEqual({
        status: 'signed_out',
        exchange_id: null,
        display_name_ct: null,
        upn_ct: null,
      });
      expect(report.consoleOnlyUsersDeleted).toBe(1);
      const entries = await purgeAudits('t-console');
      const audited = entries.map((a) => JSON.parse(a.details));
      expect(audited).toContainEqual({ reason: 'console_session_ended', users: 1 });
      expect(audited).toContainEqual({ reason: 'sign_in_lapsed', users: 1 });
      // Dated when the run deleted (now), not at the run's as-of instant (a year and more ahead here).
      for (const entry of entries)
        expect(Math.abs(Date.parse(entry.created_at) - Date.now())).toBeLessThan(60_000);

      // A day later the open console session has ended, and the sign-in long settled: both go; the
      // add-in user, whom Roomlink still acts for, stays.
      expect((await retention.job.run(new Date(AS_OF.getTime() + DAY))).consoleOnlyUsersDeleted).toBe(2);
      expect(await user('console-open')).toBeUndefined();
      expect(await user('console-signing-in')).toBeUndefined();
      expect(await user('addin-user')).toMatchObject({ status: 'active', exchange_id: 'oid-addin-user' });
    });

    it('clears what signed-out users left and expired sign-in state, and audits the counts', async () => {
      const store = t.runtime.store;
      await insertUser(store, 't-sweep', 'gone-user');
      await insertUser(store, 't-sweep', 'active-user');
      await insertTokens(store, 't-sweep', 'active-user');
      // Sign-out should have cleared these; retention re-checks (e.g. after a crash mid-sign-out).
      const lastSignIn = new Date(AS_OF.getTime() - 30 * DAY);
      await store.db
        .updateTable('users')
        .set({
          status: 'signed_out',
          display_name_ct: 'v1.x.leftover',
          last_sign_in_at: lastSignIn.toISOString(),
        })
        .where('id', '=', 'gone-user')
        .execute();
      // Written straight to the table: the repository writes no tokens for a signed-out user.
      await store.db
        .insertInto('user_tokens')
        .values({
          user_id: 'gone-user',
          tenant_id: 't-sweep',
          refresh_token_ct: 'v1.x.refresh',
          access_token_ct: null,
          access_expires_at: null,
          version: 1,
          updated_at: AS_OF.toISOString(),
        })
        .execute();
      const session = (userId: string, expiresAt: Date) => addinSession('t-sweep', userId, expiresAt);
      await session('gone-user', new Date(AS_OF.getTime() + DAY));
      await session('active-user', new Date(AS_OF.getTime() - 1000));
      // Signed in throughout: retention never signs them out.
      await session('active-user', new Date(AS_OF.getTime() + 120 * DAY));
      await sql`insert into retention_test_things (tenant_id, user_id, meeting_id) values ('t-sweep', 'gone-user', null)`.execute(
        db(),
      );

      const report = await retention.job.run(AS_OF);
      expect(report.signedOut).toMatchObject({
        identifiers: 1,
        user_tokens: 1,
        sessions: 1,
        retention_test_things: 1,
      });
      expect(report.expired).toMatchObject({ sessions: 1 });
      const gone = await db()
        .selectFrom('users')
        .selectAll()
        .where('id', '=', 'gone-user')
        .executeTakeFirstOrThrow();
      expect([gone.exchange_id, gone.display_name_ct, gone.upn_ct]).toEqual([null, null, null]);
      expect(await store.tokens.find('gone-user')).toBeUndefined();
      const sessions = await db()
        .selectFrom('sessions')
        .select(['user_id'])
        .where('tenant_id', '=', 't-sweep')
        .execute();
      expect(sessions).toEqual([{ user_id: 'active-user' }]);
      const things = await sql`select * from retention_test_things where user_id = 'gone-user'`.execute(db());
      expect(things.rows).toHaveLength(0);

      const audits = await purgeAudits('t-sweep');
      expect(audits.map((a) => JSON.parse(a.details))).toContainEqual({
        reason: 'signed_out',
        identifiers: 1,
        user_tokens: 1,
        sessions: 1,
        retention_test_things: 1,
      });
      const expired = await db()
        .selectFrom('audit_log')
        .select('details')
        .where('tenant_id', 'is', null)
        .where('action', '=', 'data.purged')
        .execute();
      expect(expired.map((a) => JSON.parse(a.details))).toContainEqual({ reason: 'expired', sessions: 1 });

      // Once nothing of theirs is left and the metadata period has passed, the row goes too.
      expect((await retention.job.run(AS_OF)).idleUsersDeleted).toBe(0); // signed in a month ago
      const later = new Date(addMonthsClamped(lastSignIn, 3).getTime() + DAY);
      // Users of other tests, signed out meanwhile, may go in the same run: counted for this tenant.
      expect((await retention.job.run(later)).idleUsersDeleted).toBeGreaterThanOrEqual(1);
      expect((await purgeAudits('t-sweep')).map((a) => JSON.parse(a.details))).toContainEqual({
        reason: 'signed_out',
        users: 1,
      });
      expect(await store.users.findById('gone-user')).toBeUndefined();
      expect(await store.users.findById('active-user')).toBeDefined();
    });

    it('brings a cancelled series’ purge day to 3 months after the cancellation, not after its last occurrence', async () => {
      const organizer = { tenantId: 't-cancel', userId: 'u-cancel', isTenantAdmin: false };
      const first = new Date(Math.ceil(Date.now() / 3_600_000) * 3_600_000 - 7 * 86_400_000);
      const create = async (subject: string, range: Record<string, unknown> | null) => {
        const { meeting: m } = await t.runtime.meetings.create(organizer, {
          subject,
          start: first,
          end: new Date(first.getTime() + 1800_000),
          ...(range
            ? {
                recurrence: {
                  pattern: { type: 'daily', interval: 1 },
                  range: { startDate: first.toISOString().slice(0, 10), recurrenceTimeZone: 'UTC', ...range },
                },
              }
            : {}),
        });
        return m.id;
      };
      const purgeDay = async (id: string) =>
        (
          await db()
            .selectFrom('meetings')
            .select('purge_after')
            .where('id', '=', id)
            .executeTakeFirstOrThrow()
        ).purge_after;
      const openEnded = await create('Daily stand-up', { type: 'noEnd' });
      const endYear = new Date().getUTCFullYear() + 4; // an end years ahead, whenever the suite runs
      const dated = await create('Daily check-in', { type: 'endDate', endDate: `${endYear}-12-31` });
      const single = await create('Kick-off', null);
      const before = {
        openEnded: await purgeDay(openEnded),
        dated: await purgeDay(dated),
        single: await purgeDay(single),
      };
      // 2 years from the first occurrence (a week ago), then 3 months.
      expect(before.openEnded > `${new Date().getUTCFullYear() + 1}-12-31`).toBe(true);
      expect(before.dated > `${endYear + 1}-01-01`).toBe(true);

      const from = new Date();
      for (const id of [openEnded, dated, single]) await t.runtime.meetings.cancel(organizer, id);
      const to = new Date();
      // 3 calendar months after the cancellation (the run may straddle midnight).
      const expected = [from, to].map((d) => addMonthsClamped(d, 3).toISOString().slice(0, 10));
      expect(expected).toContain(await purgeDay(openEnded));
      expect(expected).toContain(await purgeDay(dated));
      // A single meeting already ended: its purge day was 3 months after it, and stays.
      expect(await purgeDay(single)).toBe(before.single);

      // The tenant shortens its retention to 30 days: counted from the cancellation too.
      const tenant = await t.runtime.store.tenants.ensure('t-cancel', to);
      await t.runtime.store.tenants.updateSettings('t-cancel', { ...tenant.settings, retentionDays: 30 }, to);
      await retention.job.run(new Date());
      const thirtyDays = [from, to].map((d) =>
        new Date(d.getTime() + 30 * 86_400_000).toISOString().slice(0, 10),
      );
      expect(thirtyDays).toContain(await purgeDay(openEnded));
      expect(thirtyDays).toContain(await purgeDay(dated));
    });

    it('purges an end-dated series 3 months after its last occurrence in its own zone, and recomputes it so', async () => {
      const organizer = { tenantId: 't-zone', userId: 'u-zone', isTenantAdmin: false };
      const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
      // Daily at 08:00–09:00 in Kiritimati, UTC+14 all year (08:00 there is 18:00Z the day before),
      // from a week ahead for 8 weeks; named by the Windows zone, as Outlook on Windows names it.
      const startDay = Math.floor(Date.now() / DAY) * DAY + 7 * DAY;
      const endDay = startDay + 56 * DAY;
      const { meeting } = await t.runtime.meetings.create(organizer, {
        subject: 'Line Islands check-in',
        start: new Date(startDay - 6 * 3_600_000),
        end: new Date(startDay - 5 * 3_600_000),
        timeZone: 'Line Islands Standard Time',
        recurrence: {
          pattern: { type: 'daily', interval: 1 },
          range: { type: 'endDate', startDate: iso(startDay), endDate: iso(endDay) },
        },
      });
      // The last occurrence ends at 19:00Z the day before the end date; 3 hours' margin: 22:00Z.
      const lastEnd = endDay - 2 * 3_600_000;
      expect(meeting.validUntil.getTime()).toBe(lastEnd + t.runtime.config.rooms.closeAfterMinutes * 60_000);
      const purgeDay = async () =>
        (
          await db()
            .selectFrom('meetings')
            .select('purge_after')
            .where('id', '=', meeting.id)
            .executeTakeFirstOrThrow()
        ).purge_after;
      // Not 2 days later, as when the end date was also waited for in UTC−12.
      expect(await purgeDay()).toBe(iso(addMonthsClamped(new Date(lastEnd), 3).getTime()));

      const now = new Date();
      const tenant = await t.runtime.store.tenants.ensure('t-zone', now);
      await t.runtime.store.tenants.updateSettings('t-zone', { ...tenant.settings, retentionDays: 30 }, now);
      await retention.job.run(now);
      expect(await purgeDay()).toBe(iso(lastEnd + 30 * DAY));
    });

    it('keeps an open-ended series calendar sync still sees, under the tenant’s shorter retention too', async () => {
      const organizer = { tenantId: 't-series', userId: 'u-series', isTenantAdmin: false };
      const series = async (subject: string) => {
        const start = new Date('2024-06-03T09:00:00Z');
        const { meeting: m } = await t.runtime.meetings.create(organizer, {
          subject,
          start,
          end: new Date(start.getTime() + 1800_000),
          recurrence: {
            pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'] },
            range: { type: 'noEnd', startDate: '2024-06-03', recurrenceTimeZone: 'UTC' },
          },
        });
        return m.id;
      };
      const purgeDay = async (id: string) =>
        (await db().selectFrom('meetings').select('purge_after').where('id', '=', id).executeTakeFirst())
          ?.purge_after;
      const seen = await series('Weekly standup');
      const unseen = await series('Standup nobody syncs');
      const cancelled = await series('Cancelled standup');
      // Without sync: 2 years after the first occurrence, then 3 months.
      expect(await purgeDay(seen)).toBe('2026-09-03');
      await t.runtime.meetings.cancel(organizer, cancelled);

      const at = new Date('2027-06-10T18:00:00Z');
      expect(await t.runtime.meetings.confirmSeries(organizer, seen, at)).toBe(true);
      expect(await t.runtime.meetings.confirmSeries(organizer, cancelled, at)).toBe(false);
      // Seen again within the week: nothing written.
      expect(await t.runtime.meetings.confirmSeries(organizer, seen, new Date('2027-06-14T00:00:00Z'))).toBe(
        false,
      );
      // 2027-06-10 ends at 2027-06-11T00:00Z; 2 years, then 3 months.
      expect(await purgeDay(seen)).toBe('2029-09-11');
      expect(await purgeDay(cancelled)).toBe('2026-09-03');
      const meeting = await t.runtime.meetings.get(organizer, seen);
      expect(meeting.seriesSeenOn).toBe('2027-06-10');
      expect(meeting.version).toBe(1);
      expect(meeting.validUntil.getTime()).toBe(
        Date.parse('2029-06-11T00:00:00Z') + t.runtime.config.rooms.closeAfterMinutes * 60_000,
      );

      // The tenant shortens its retention: recomputed from the day the series was last seen.
      const tenant = await t.runtime.store.tenants.ensure('t-series', at);
      await t.runtime.store.tenants.updateSettings('t-series', { ...tenant.settings, retentionDays: 30 }, at);
      await retention.job.run(AS_OF);
      expect(await purgeDay(seen)).toBe('2029-07-11');
      expect(await purgeDay(unseen)).toBeUndefined();
      expect(await purgeDay(cancelled)).toBeUndefined();

      // Confirmed later under the shorter period: exactly its days after the new horizon.
      expect(await t.runtime.meetings.confirmSeries(organizer, seen, new Date('2027-06-20T08:00:00Z'))).toBe(
        true,
      );
      expect(await purgeDay(seen)).toBe('2029-07-21');
    });

    it('deletes rooms’ PIN tries once they no longer count, and keeps those that still do', async () => {
      const ledger = new KyselyRoomPinFailureRepository(db());
      const rules = { attempts: 50, lockoutMs: 15 * 60_000, maxLockoutMs: DAY, memoryMs: DAY };
      const stale = await meeting('t-pins', 'u-pins', AS_OF);
      const current = await meeting('t-pins', 'u-pins', AS_OF);
      // A wrong PIN in each room: a day before the run, and an hour before it.
      await ledger.take(stale, AS_OF.getTime() - DAY, rules);
      await ledger.take(current, AS_OF.getTime() - HOUR, rules);

      const report = await retention.job.run(AS_OF);
      expect(report.expired).toMatchObject({ room_pin_failures: 1 });
      const left = await db()
        .selectFrom('room_pin_failures')
        .select(['meeting_id', 'failures'])
        .where('meeting_id', 'in', [stale, current])
        .execute();
      expect(left).toEqual([{ meeting_id: current, failures: 1 }]);
      const audits = await db()
        .selectFrom('audit_log')
        .select('details')
        .where('tenant_id', 'is', null)
        .where('action', '=', 'data.purged')
        .execute();
      expect(
        audits.map((a) => JSON.parse(a.details)).filter((d) => d.reason === 'expired' && d.room_pin_failures),
      ).toEqual([expect.objectContaining({ room_pin_failures: 1 })]);
      // Both meetings are still there: only their rooms' tries went.
      expect(await exists(stale)).toBe(true);
    });
  });
}
