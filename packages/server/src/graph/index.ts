/**
 * Calendar sync through Microsoft Graph, composed: the webhooks (an AppPlugin), the worker (job
 * handlers, schedules), and what other features call — startSyncForUser after sign-in,
 * stopSyncForUser at sign-out, isRoomOpenAt for the room service.
 */
import { addinIdFor } from '@roomlink/addin';
import type { Registry } from 'prom-client';
import type { AppPlugin } from '../app.js';
import type { Config } from '../config/config.js';
import type { FieldCipher } from '../crypto/envelope.js';
import { graphLimits } from '../domain/meetings/recurrence-rules.js';
import type { MeetingService } from '../domain/meetings/service.js';
import type { SyncStore } from '../domain/sync/ports.js';
import { CalendarSyncService } from '../domain/sync/sync-service.js';
import { contractEnded } from '../domain/tenants/tenant.js';
import { jobMetrics } from '../jobs/metrics.js';
import { PgBossJobQueue } from '../jobs/pg-boss-queue.js';
import type { JobObserver, JobQueue } from '../jobs/queue.js';
import { SqlJobQueue } from '../jobs/sql-queue.js';
import type { Runtime } from '../runtime.js';
import type { KyselyStore } from '../store/kysely-store.js';
import { KyselyJobStore } from '../store/repositories/jobs-sql.js';
import { kyselySyncStore } from '../store/repositories/sync-state.js';
import { GraphClient, type GraphClientOptions } from './graph-client.js';
import { createSyncMetrics, type SyncMetrics } from './graph-metrics.js';
import { pgBossSchemaFor } from './pg-boss-schema.js';
import { SubscriptionManager } from './subscriptions.js';
import { JOB, JOB_KINDS, mailboxJobKey, SyncWorker, type SyncWorkerSettings } from './sync-worker.js';
import type { AccessTokenSource } from './token-source.js';
import { graphWebhooks } from './webhook-routes.js';

export { pgBossSchemaFor } from './pg-boss-schema.js';
export { JOB, JOB_KINDS } from './sync-worker.js';
export { type AccessTokenSource, isSignInRequired, SignInRequiredError } from './token-source.js';

/**
 * Longest wait of stopSyncForUser for the mailbox's subscription work in this process: a Graph that
 * does not answer must not hold a sign-out up (what that work creates, it deletes itself).
 */
const STOP_WAIT_MS = 5_000;

export interface CalendarSyncOptions {
  readonly config: Pick<Config, 'baseUrl' | 'graphBaseUrl' | 'databaseUrl' | 'rooms' | 'allowedTenants'>;
  readonly store: KyselyStore;
  readonly meetings: MeetingService;
  readonly cipher: FieldCipher;
  readonly tokens: AccessTokenSource;
  /** The app's Prometheus registry (so that sync and queue metrics appear on /metrics). */
  readonly registry: Registry;
  /** The add-in's manifest id; names the custom properties' extended property. */
  readonly addinId: string;
  /** Default: SqlJobQueue on SQLite, PgBossJobQueue (schema `pgboss`) on PostgreSQL. */
  readonly queue?: (observer: JobObserver) => JobQueue & QueueLiveness;
  readonly fetch?: typeof fetch;
  readonly now?: () => Date;
  /**
   * A clock that only moves forward, in ms, for health()'s check that maintenance passes complete;
   * default `performance.now()`. A step of the wall clock (`now`) is no missed pass.
   */
  readonly monotonicMs?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly log?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
  readonly tuning?: SyncTuning;
  /** A series' moved or cancelled occurrences were saved (its live room must be checked again). */
  readonly onOccurrencesChanged?: (meetingId: string) => void;
}

/** What calendar sync asks of its job queue where the queue can tell (both queues here can). */
export interface QueueLiveness {
  /** Takes no new jobs from now on; jobs in flight go on until stop(). */
  halt?(): void;
  /** undefined while the queue takes jobs; otherwise a short reason why it does not. */
  health?(): string | undefined;
}

export interface SyncTuning extends Omit<SyncWorkerSettings, 'addinId'> {
  /** How often the schedule looks for subscriptions to renew and users to reconcile; default 5 min. */
  readonly maintenanceEveryMs?: number;
  /** Scheduled reconciliation per user; default 1 hour. */
  readonly reconcileEveryMs?: number;
  readonly subscriptionMinutes?: number;
  readonly renewBeforeMs?: number;
  readonly graph?: Partial<
    Pick<GraphClientOptions, 'maxAttempts' | 'backoff' | 'maxRetryAfterMs' | 'random'>
  >;
  /** How often an idle queue looks for jobs (SqlJobQueue's pollMs, pg-boss's polling interval). */
  readonly queuePollMs?: number;
  /** SqlJobQueue only. */
  readonly queueRetry?: { baseMs: number; capMs: number };
}

export interface CalendarSync {
  /** Mount with the other app plugins: the two webhook routes. */
  readonly plugin: AppPlugin;
  /** Starts the job handlers, the schedule and a first reconciliation of every active user. */
  start(): Promise<void>;
  /**
   * The start of shutdown: starts nothing new — the schedule is cleared and the job queue takes no
   * new jobs (where it can) — while jobs and requests in flight finish. stop() follows.
   */
  halt(): void;
  /** Stops the schedule, lets a maintenance pass under way queue its jobs, and drains jobs in flight (SIGTERM). Safe to call twice. */
  stop(): Promise<void>;
  /**
   * undefined while sync works; otherwise why not, for /readyz (Worker.health in server.ts): what
   * its job queue reports (loop failed or stuck, pg-boss stopped), or no maintenance pass has
   * completed for three of its intervals.
   */
  health(): string | undefined;
  /** After a sign-in: subscription and first reconciliation, as jobs. */
  startSyncForUser(userId: string, tenantId: string): Promise<void>;
  /** At sign-out: deletes the Graph subscription and every sync record of the user. */
  stopSyncForUser(userId: string): Promise<void>;
  /** A fresh reconciliation of the user's calendar (not a delta), as a job: links events anew. */
  resyncUser(userId: string): Promise<void>;
  /**
   * Occurrence-aware room window for the room service: is the room behind `slug` open at `at`?
   * undefined when no meeting has this slug.
   */
  isRoomOpenAt(slug: string, at: Date): Promise<boolean | undefined>;
  readonly queue: JobQueue;
  readonly service: CalendarSyncService;
  readonly graph: GraphClient;
  readonly syncStore: SyncStore;
  readonly worker: SyncWorker;
  readonly metrics: SyncMetrics;
}

/**
 * Calendar sync for a composed runtime, as the server's features and the CLI need it: the add-in id
 * of this deployment, the runtime's store, meetings, cipher and metrics registry.
 */
export function calendarSyncFor(
  runtime: Runtime,
  options: Pick<CalendarSyncOptions, 'tokens' | 'queue' | 'log'> & { readonly graphBaseUrl?: URL },
): CalendarSync {
  const { config } = runtime;
  return createCalendarSync({
    config: { ...config, graphBaseUrl: options.graphBaseUrl ?? config.graphBaseUrl },
    store: runtime.store,
    meetings: runtime.meetings,
    cipher: runtime.cipher,
    tokens: options.tokens,
    registry: runtime.metrics.registry,
    addinId: addinIdFor(config.baseUrl),
    ...(options.queue ? { queue: options.queue } : {}),
    ...(options.log ? { log: options.log } : {}),
    // The room service finds a live room by its meeting id as well as by its slug.
    onOccurrencesChanged: (meetingId) => runtime.roomEvents.emit('changed', meetingId),
  });
}

export function createCalendarSync(options: CalendarSyncOptions): CalendarSync {
  const now = options.now ?? (() => new Date());
  const monotonicMs = options.monotonicMs ?? (() => performance.now());
  const tuning = options.tuning ?? {};
  const metrics = createSyncMetrics(options.registry);
  const syncStore = kyselySyncStore(options.store.db);
  let queueRef: JobQueue | undefined;
  const observer = jobMetrics(options.registry, () => queueRef);
  const queue: JobQueue & QueueLiveness =
    options.queue?.(observer) ??
    (options.store.dialect === 'postgres'
      ? new PgBossJobQueue({
          connectionString: options.config.databaseUrl,
          schema: pgBossSchemaFor(options.config.databaseUrl),
          kinds: JOB_KINDS,
          observer,
          ...(tuning.queuePollMs ? { pollingIntervalSeconds: tuning.queuePollMs / 1000 } : {}),
        })
      : new SqlJobQueue({
          store: new KyselyJobStore(options.store.db),
          kinds: JOB_KINDS,
          observer,
          now,
          ...(tuning.queuePollMs ? { pollMs: tuning.queuePollMs } : {}),
          ...(tuning.queueRetry ? { retry: tuning.queueRetry } : {}),
        }));
  queueRef = queue;
  const graph = new GraphClient({
    baseUrl: options.config.graphBaseUrl,
    tokens: options.tokens,
    metrics,
    now: () => now().getTime(),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...tuning.graph,
  });
  const window = {
    openBeforeMinutes: options.config.rooms.openBeforeMinutes,
    closeAfterMinutes: options.config.rooms.closeAfterMinutes,
  };
  const service = new CalendarSyncService({
    store: syncStore,
    // Graph is the source of truth for the organizer's calendar: sync accepts any recurrence that is
    // structurally Graph's, beyond Outlook's limits that the meetings API keeps (recurrence-rules.ts).
    meetings: options.meetings.withRecurrenceLimits(graphLimits),
    cipher: options.cipher,
    window,
    now,
    onApplied: (action) => metrics.changes.inc({ action }),
    ...(options.onOccurrencesChanged ? { onOccurrencesChanged: options.onOccurrencesChanged } : {}),
  });
  const subscriptions = new SubscriptionManager(
    graph,
    syncStore.users,
    {
      baseUrl: options.config.baseUrl,
      ...(tuning.subscriptionMinutes ? { minutes: tuning.subscriptionMinutes } : {}),
      ...(tuning.renewBeforeMs ? { renewBeforeMs: tuning.renewBeforeMs } : {}),
      ...(options.log ? { log: options.log } : {}),
    },
    now,
  );
  const worker = new SyncWorker({
    graph,
    service,
    users: syncStore.users,
    subscriptions,
    queue,
    cipher: options.cipher,
    settings: { ...tuning, addinId: options.addinId, allowedTenants: options.config.allowedTenants },
    now,
    ...(options.log ? { log: options.log } : {}),
    onRefused: () => metrics.changes.inc({ action: 'refused' }),
    onEventTimes: (outcome) => metrics.eventTimes.inc({ outcome }),
  });

  let timer: NodeJS.Timeout | undefined;
  let started = false;
  let halted = false;
  let stopping: Promise<void> | undefined;
  const maintenanceEveryMs = tuning.maintenanceEveryMs ?? 300_000;
  /** When the last maintenance pass completed (monotonicMs()); health() reports three intervals without one. */
  let maintainedAt = 0;

  /** Passes under way: stop() lets them finish, so that their jobs are queued before the queue and store close. */
  const passes = new Set<Promise<void>>();
  const maintain = (everyone: boolean): Promise<void> => {
    const pass = maintenancePass(everyone);
    passes.add(pass);
    const forget = () => passes.delete(pass);
    pass.then(forget, forget);
    return pass;
  };

  /** Renewals and scheduled reconciliations, as coalesced jobs (safe with several processes). */
  const maintenancePass = async (everyone: boolean): Promise<void> => {
    const users = await syncStore.users.listActive();
    const at = now().getTime();
    const reconcileEvery = tuning.reconcileEveryMs ?? 3_600_000;
    const jobs = [];
    for (const user of users) {
      // The contract of the user's organisation has ended (offboarded): no renewal and no
      // reconciliation; a subscription still held is deleted at Graph by a subscribe job (the worker
      // turns every job of such a mailbox into that: sync-worker.ts).
      if (contractEnded(user.contractEnd, new Date(at))) {
        if (user.subscriptionId)
          jobs.push({ kind: JOB.subscribe, payload: { userId: user.userId }, dedupeKey: user.userId });
        continue;
      }
      if (subscriptions.needsRenewal(user)) {
        jobs.push({ kind: JOB.subscribe, payload: { userId: user.userId }, dedupeKey: user.userId });
      }
      const last = user.lastReconciledAt ? new Date(user.lastReconciledAt).getTime() : 0;
      if (everyone || at - last >= reconcileEvery) {
        jobs.push({ kind: JOB.reconcile, payload: { userId: user.userId }, dedupeKey: user.userId });
      }
    }
    await queue.enqueue(jobs);
    maintainedAt = monotonicMs();
  };

  const halt = (): void => {
    halted = true;
    if (timer) clearInterval(timer);
    timer = undefined;
    queue.halt?.();
  };

  const webhooks = graphWebhooks({ users: syncStore.users, queue, metrics });

  return {
    plugin: webhooks,
    async start() {
      if (started) return;
      started = true;
      // Embedded SQLite: this process is the only worker, so leases left by a crash are void.
      if (options.store.dialect === 'sqlite') await syncStore.users.releaseAllLeases();
      await queue.start(worker.handlers());
      // Halted meanwhile (a signal while starting): the queue started after halt() was called.
      if (halted) {
        queue.halt?.();
        return;
      }
      // At start (and so after any downtime) every mailbox is reconciled once.
      await maintain(true);
      if (halted) return;
      timer = setInterval(() => {
        maintain(false).catch((error: unknown) => observer.onError?.(error));
      }, maintenanceEveryMs);
      timer.unref();
    },
    halt,
    stop() {
      stopping ??= (async () => {
        halt();
        // A pass's failure was reported where it ran (start, or the schedule's observer).
        await Promise.allSettled(passes);
        await queue.stop();
      })();
      return stopping;
    },
    health() {
      const problem = queue.health?.();
      if (problem) return `calendar sync: ${problem}`;
      const overdueAfterMs = 3 * maintenanceEveryMs;
      if (monotonicMs() - maintainedAt > overdueAfterMs) {
        const over =
          overdueAfterMs >= 120_000
            ? `${Math.ceil(overdueAfterMs / 60_000)} min`
            : `${Math.ceil(overdueAfterMs / 1000)} s`;
        return `calendar sync: no maintenance pass (subscription renewals, scheduled reconciliations) has completed for over ${over}`;
      }
      return undefined;
    },
    async startSyncForUser(userId, tenantId) {
      // Not activated: the user signed out meanwhile (sign-in notices and refuses itself).
      if (!(await syncStore.users.activate(userId, tenantId, now()))) return;
      // This process's webhooks read the user again (their subscription is about to change).
      webhooks.forgetUser(userId);
      await queue.enqueue([
        { kind: JOB.subscribe, payload: { userId }, dedupeKey: userId },
        { kind: JOB.reconcile, payload: { userId }, dedupeKey: userId },
      ]);
    },
    async resyncUser(userId) {
      // `force` makes the round fresh (sync-worker.ts) and keeps it apart from a pending delta round.
      await queue.enqueue([
        { kind: JOB.reconcile, payload: { userId, force: true }, dedupeKey: mailboxJobKey(userId, true) },
      ]);
    },
    async stopSyncForUser(userId) {
      if (!(await syncStore.users.find(userId))) return;
      // Stop first, so that jobs in flight end quietly and no new subscription is stored from now on
      // (a subscribe job that creates one meanwhile deletes it itself: SubscriptionManager.ensure);
      // then remove what sync knew of the user.
      await syncStore.users.update(userId, { status: 'stopped' }, now());
      // This process's webhooks stop taking the user's notifications now, not when their cache expires.
      webhooks.forgetUser(userId);
      // Subscription work of the mailbox under way in this process ends first (bounded, as Graph's
      // delete is): what it creates is then deleted before the sign-out deletes the user's tokens.
      await worker.subscriptionWorkSettled(userId, STOP_WAIT_MS);
      // Read after the stop: a subscription stored just before it is the one deleted here.
      const user = await syncStore.users.find(userId);
      if (user) await subscriptions.remove(user);
      await syncStore.links.removeByUser(userId);
      await syncStore.users.remove(userId);
    },
    async isRoomOpenAt(slug, at) {
      const meeting = await options.meetings.findBySlug(slug);
      return meeting ? service.isOpenAt(meeting, at) : undefined;
    },
    queue,
    service,
    graph,
    syncStore,
    worker,
    metrics,
  };
}
