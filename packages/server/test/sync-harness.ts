/**
 * Calendar sync test harness: the real app on 127.0.0.1 with the sync webhooks, the Graph emulator
 * mounted on the same server (it calls the webhooks over real HTTP), RS256 access tokens minted with a
 * local key (as the identity platform would), and helpers to make users and meetings.
 */
import { randomUUID } from 'node:crypto';
import { exportPKCS8, generateKeyPair, SignJWT } from 'jose';
import {
  createGraphEmulator,
  customPropertiesId,
  type GraphEmulator,
  jwksVerifier,
} from '../../emulators/src/graph/index.js';
import type { Meeting } from '../src/domain/meetings/meeting.js';
import type { CreateMeetingInput } from '../src/domain/meetings/service.js';
import type { SyncUserRecord } from '../src/domain/sync/ports.js';
import { type CalendarSync, createCalendarSync, type SyncTuning } from '../src/graph/index.js';
import type { AccessTokenSource } from '../src/graph/token-source.js';
import type { JobObserver, JobQueue } from '../src/jobs/queue.js';
import { createMetrics } from '../src/observability/metrics.js';
import type { DialectName, TestDatabase } from './support/databases.js';
import { startTestApp, type TestApp } from './support/harness.js';
import { insertTokens, insertUser } from './support/sessions.js';

export const ADDIN_ID = '6f1c3a52-4d8e-4b0a-9a55-0c2a4b7d9e11';
export const EMULATOR_PREFIX = '/_emulator/graph';

export interface SyncUser {
  readonly userId: string;
  readonly tenantId: string;
  readonly oid: string;
}

export interface SyncEnv {
  readonly t: TestApp;
  readonly emulator: GraphEmulator;
  readonly sync: CalendarSync;
  readonly registry: ReturnType<typeof createMetrics>['registry'];
  readonly privateKeyPem: string;
  readonly users: Map<string, SyncUser>;
  /** Meeting ids whose occurrences sync saved, in order (their live rooms are checked again). */
  readonly occurrencesChanged: string[];
  addUser(tenantId?: string): Promise<SyncUser>;
  /** A user added and whose sync has started: their Graph subscription exists. */
  startedUser(): Promise<SyncUser>;
  /** Every change notification delivered, and every job it queued done. */
  settled(): Promise<void>;
  createMeeting(user: SyncUser, input?: Partial<CreateMeetingInput>): Promise<Meeting>;
  /** The event the add-in would have produced: custom properties name the meeting. */
  createEvent(user: SyncUser, meeting: Meeting, extra?: Record<string, unknown>): string;
  meeting(user: SyncUser, id: string): Promise<Meeting>;
  /**
   * Runs `work` on the user's mailbox as a sync job would: under the mailbox's lease, from the sync
   * state read once the lease is held. Calling the worker bare races the queue's own runs of that
   * mailbox, which the lease keeps apart in production: a round that began before a change and ended
   * after the test's would leave its older delta link behind, and the next round would not hear of
   * the change; a spy on Graph would answer the queue's reads too.
   */
  asJob(user: SyncUser, work: (state: SyncUserRecord) => Promise<unknown>): Promise<void>;
  /** A reconciliation of the user's mailbox, run as its job would (asJob). */
  reconcile(user: SyncUser, fresh?: boolean): Promise<void>;
  close(): Promise<void>;
}

type SigningKey = Parameters<SignJWT['sign']>[0];

export function tokenSource(
  privateKey: SigningKey,
  users: ReadonlyMap<string, SyncUser>,
): AccessTokenSource & { revoked: Set<string> } {
  const revoked = new Set<string>();
  const mint = async (userId: string) => {
    if (revoked.has(userId)) {
      throw Object.assign(new Error('refresh token revoked'), { code: 'sign_in_required' });
    }
    const user = users.get(userId);
    if (!user) throw new Error(`unknown test user ${userId}`);
    return new SignJWT({ tid: user.tenantId, oid: user.oid, scp: 'Calendars.Read' })
      .setProtectedHeader({ alg: 'RS256' })
      .setAudience('https://graph.microsoft.com')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey);
  };
  return { revoked, getAccessToken: mint, onClaimsChallenge: (userId) => mint(userId) };
}

export async function startSyncEnv(
  dialect: DialectName,
  options: {
    tuning?: SyncTuning;
    start?: boolean;
    database?: TestDatabase;
    queue?: (observer: JobObserver) => JobQueue;
    /** Calendar sync's clock (the app's meetings keep the real one). */
    now?: () => Date;
    monotonicMs?: () => number;
  } = {},
): Promise<SyncEnv> {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const users = new Map<string, SyncUser>();
  const occurrencesChanged: string[] = [];
  const metrics = createMetrics({ defaultMetrics: false });
  let emulator: GraphEmulator | undefined;
  let sync: CalendarSync | undefined;
  const t = await startTestApp(dialect, {
    realBaseUrl: true,
    ...(options.database ? { database: options.database } : {}),
    features: async (runtime) => {
      const base = runtime.config.baseUrl.toString().replace(/\/$/, '');
      emulator = createGraphEmulator({
        baseUrl: `${base}${EMULATOR_PREFIX}`,
        verifyAccessToken: jwksVerifier(async () => publicKey),
        retryDelaysMs: [100, 200],
      });
      sync = createCalendarSync({
        config: { ...runtime.config, graphBaseUrl: new URL(`${base}${EMULATOR_PREFIX}`) },
        store: runtime.store,
        meetings: runtime.meetings,
        cipher: runtime.cipher,
        tokens: tokenSource(privateKey, users),
        registry: metrics.registry,
        addinId: ADDIN_ID,
        ...(options.queue ? { queue: options.queue } : {}),
        ...(options.now ? { now: options.now } : {}),
        ...(options.monotonicMs ? { monotonicMs: options.monotonicMs } : {}),
        onOccurrencesChanged: (meetingId) => occurrencesChanged.push(meetingId),
        tuning: { queuePollMs: 50, graph: { backoff: { baseMs: 20, capMs: 200 } }, ...options.tuning },
      });
      const em = emulator;
      const s = sync;
      return {
        plugins: [
          s.plugin,
          async (app) => {
            await app.register(em.plugin, { prefix: EMULATOR_PREFIX });
          },
          async (app) => {
            app.get('/test/metrics', async (_req, reply) =>
              reply.type('text/plain').send(await metrics.registry.metrics()),
            );
          },
        ],
      };
    },
  });
  if (!emulator || !sync) throw new Error('features did not run');
  const em = emulator;
  const s = sync;
  if (options.start ?? true) await s.start();
  const store = t.runtime.store;
  const asJob: SyncEnv['asJob'] = async (user, work) => {
    const leases = s.syncStore.users;
    const owner = `test-${randomUUID()}`;
    // Sync's own clock: a lease taken on another would look expired (or held too long) to its jobs.
    const now = options.now ?? (() => new Date());
    await eventually(
      () => leases.acquireLease(user.userId, owner, now(), 60_000),
      10_000,
      'the mailbox lease',
    );
    try {
      const state = await leases.find(user.userId);
      if (!state) throw new Error('no sync state');
      await work(state);
    } finally {
      await leases.releaseLease(user.userId, owner);
    }
  };

  return {
    t,
    emulator: em,
    sync: s,
    registry: metrics.registry,
    privateKeyPem: await exportPKCS8(privateKey),
    users,
    occurrencesChanged,
    async addUser(tenantId = randomUUID()) {
      const user: SyncUser = { userId: randomUUID(), tenantId, oid: randomUUID() };
      await insertUser(store, tenantId, user.userId, false, user.oid);
      // A user sync follows signed in from the add-in, which left their tokens (the harness mints
      // access tokens itself; the row tells retention that Roomlink acts for the user).
      await insertTokens(store, tenantId, user.userId);
      users.set(user.userId, user);
      em.upsertUser({ oid: user.oid, displayName: 'Test Organizer', mail: `${user.oid}@example.test` });
      return user;
    },
    async startedUser(this: SyncEnv) {
      const u = await this.addUser();
      await s.startSyncForUser(u.userId, u.tenantId);
      await eventually(
        async () => (await s.syncStore.users.find(u.userId))?.subscriptionId,
        5000,
        'a subscription',
      );
      return u;
    },
    async settled() {
      await em.flushNotifications();
      await eventually(
        async () => (await s.queue.counts()).every((c) => c.state === 'dead' || c.count === 0),
        10_000,
        'the sync queue to be idle',
      );
    },
    async createMeeting(user, input = {}) {
      // Whole minutes, as calendars keep them.
      const start = input.start ?? new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 2 * 86_400_000);
      const { meeting } = await t.runtime.meetings.create(
        { tenantId: user.tenantId, userId: user.userId, isTenantAdmin: false },
        {
          subject: 'Planning',
          start,
          end: new Date(start.getTime() + 3_600_000),
          ...input,
        },
      );
      return meeting;
    },
    createEvent(user, meeting, extra = {}) {
      const event = em.createEvent(user.oid, {
        subject: meeting.subject,
        start: { dateTime: meeting.start.toISOString().slice(0, 19), timeZone: 'UTC' },
        end: { dateTime: meeting.end.toISOString().slice(0, 19), timeZone: 'UTC' },
        body: { contentType: 'html', content: `<p>Agenda</p><p>${meeting.room.joinUrl}</p>` },
        singleValueExtendedProperties: [
          { id: customPropertiesId(ADDIN_ID), value: JSON.stringify({ roomlinkMeetingId: meeting.id }) },
        ],
        ...extra,
      });
      // Sync asks Graph for immutable ids; the control API answers with REST ids of the same item.
      return immutableId(event.id);
    },
    meeting: (user, id) =>
      t.runtime.meetings.get({ tenantId: user.tenantId, userId: user.userId, isTenantAdmin: false }, id),
    asJob,
    reconcile(user, fresh = false) {
      return asJob(user, (state) => s.worker.reconcile(state, fresh));
    },
    async close() {
      await s.stop();
      await em.close();
      await t.close();
    },
  };
}

/**
 * A daily series from the next whole hour tomorrow, half an hour long, created as a Roomlink meeting
 * and as the organizer's Outlook series carrying it, and linked by sync. `range` completes the
 * recurrence range (its type and end).
 */
export async function linkedDailySeries(
  env: SyncEnv,
  user: SyncUser,
  subject: string,
  range: Record<string, unknown>,
): Promise<{ first: Date; meeting: Meeting; masterId: string }> {
  const hour = 3_600_000;
  const first = new Date(Math.ceil(Date.now() / hour) * hour + 24 * hour);
  const recurrence = {
    pattern: { type: 'daily', interval: 1 },
    range: { startDate: first.toISOString().slice(0, 10), recurrenceTimeZone: 'UTC', ...range },
  };
  const meeting = await env.createMeeting(user, {
    subject,
    start: first,
    end: new Date(first.getTime() + hour / 2),
    recurrence,
  });
  const masterId = env.createEvent(user, meeting, { recurrence });
  await eventually(() => env.sync.service.isLinked(user.userId, masterId), 10_000, 'the series to be linked');
  return { first, meeting, masterId };
}

/** The emulator's immutable id of an item given its REST id (both encode the same item key). */
export function immutableId(restId: string): string {
  return restId.startsWith('AAMkA') ? `AAkAL${restId.slice(5)}` : restId;
}

/** Polls `check` until it returns a value (not undefined/false) or `timeoutMs` passes. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 5000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value as T;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Value of a Prometheus sample in text exposition, 0 when absent. */
export function sample(metricsText: string, name: string, labels: Record<string, string>): number {
  for (const line of metricsText.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const ok = Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`));
    if (ok) return Number(line.split(' ').at(-1));
  }
  return 0;
}
