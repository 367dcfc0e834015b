/**
 * One retention run, as of a given instant (the clock is a parameter so that runs are testable and
 * repeatable). Every step is idempotent and batched (see batches.ts); a run stopped half-way is
 * finished by the next one. Each purge is written to the audit log as counts, never contents.
 */
import type { FieldCipher } from '../crypto/envelope.js';
import type { Recurrence } from '../domain/meetings/meeting.js';
import { cancelledSeriesPurgeDay, purgeAfterDay } from '../domain/meetings/window.js';
import type { MovedOccurrenceEnd } from '../domain/sync/occurrences.js';
import type {
  KyselyRetentionRepository,
  LogSession,
  MeetingTimes,
  RetentionAuditEntry,
} from '../store/repositories/retention.js';
import {
  EXPIRING_TABLES,
  type KyselySweepRepository,
  type SweepBatch,
  type SweepCounts,
} from '../store/repositories/retention-sweeps.js';
import type { KyselyTenantPurgeRepository } from '../store/repositories/retention-tenants.js';
import {
  Batcher,
  type BatchPolicy,
  CHECKPOINT_STEP,
  DEFAULT_BATCH_POLICY,
  RetentionAborted,
  type TransactionRecord,
} from './batches.js';
import { accountPurgeDay, idleUserCutoff, parseDay, SIGN_IN_SETTLE_MS, utcDay } from './policy.js';

/** Who retention's audit entries name as the actor. */
export const RETENTION_ACTOR = 'retention';

/**
 * A purge another feature adds (e.g. calendar sync's leftovers). `run` deletes at most `limit`
 * rows in one transaction and says how many, and how long the transaction took.
 */
export interface ExtraSweep {
  readonly name: string;
  run(
    asOf: Date,
    limit: number,
  ): Promise<{ rows: number; ms: number; byTenant?: ReadonlyMap<string, number> }>;
}

export interface RetentionLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface RetentionJobDeps {
  readonly meetings: KyselyRetentionRepository;
  /** Consulted when purge days are recomputed, as calendar sync did when it moved one later. */
  readonly movedOccurrenceEnd?: MovedOccurrenceEnd;
  readonly sweeps: KyselySweepRepository;
  readonly tenants: KyselyTenantPurgeRepository;
  readonly cipher: FieldCipher & { forget?(tenantId: string): void };
  /** Called after a tenant is destroyed, to drop anything cached about it (tenant settings cache). */
  readonly forgetTenant?: (tenantId: string) => void;
  readonly extraSweeps?: readonly ExtraSweep[];
  /**
   * Called before an offboarded tenant's rows are deleted, e.g. so that calendar sync deletes its
   * users' Graph subscriptions while their tokens still exist. A failure stops the tenant's purge
   * (the next run retries it).
   */
  readonly beforeTenantPurge?: (tenantId: string) => Promise<void>;
  readonly batchPolicy?: BatchPolicy;
  /** Sees every transaction retention runs (the bench uses it). */
  readonly onTransaction?: (record: TransactionRecord) => void;
  readonly logger?: RetentionLogger;
  /** When audit entries say the run deleted: now, not the run's `asOf` (`retention run --as-of`). */
  readonly now?: () => Date;
}

export interface RetentionReport {
  readonly asOf: string;
  readonly completed: boolean;
  readonly tenantsDestroyed: string[];
  readonly purgeDaysShortened: number;
  readonly meetingsPurged: number;
  /** Signed-out users' leftovers by kind: identifiers cleared, rows of each table deleted. */
  readonly signedOut: Record<string, number>;
  /** Users signed out because Microsoft refused their sign-in and none of their sessions was left. */
  readonly lapsedUsersSignedOut: number;
  /** Accounts that only opened the admin console, deleted once their console session had ended. */
  readonly consoleOnlyUsersDeleted: number;
  readonly idleUsersDeleted: number;
  readonly expired: Record<string, number>;
  readonly extra: Record<string, number>;
  readonly transactions: number;
  /** The longest time one transaction held the database. */
  readonly longestTransactionMs: number;
  /** SQLite: the longest checkpoint between batches (holds no lock; occupies the connection). */
  readonly longestCheckpointMs: number;
}

export interface RunOptions {
  readonly signal?: AbortSignal;
  /** Who asked (the audit's actor); the schedule by default. */
  readonly actor?: string;
}

const RECOMPUTE_PAGE = 500;

export class RetentionJob {
  readonly #batcher: Batcher;
  #stats = { transactions: 0, longest: 0, longestCheckpoint: 0 };
  #running: Promise<RetentionReport> | undefined;
  #log: LogSession | undefined;

  constructor(private readonly deps: RetentionJobDeps) {
    this.#batcher = new Batcher(
      deps.batchPolicy ?? DEFAULT_BATCH_POLICY,
      (record) => this.#record(record.step, record.rows, record.ms),
      async () => (this.#log ? (await this.#log.checkpoint()).ms : 0),
    );
  }

  /** Runs once as of `asOf`. A call while a run is under way waits for that run instead. */
  run(asOf: Date, options: RunOptions = {}): Promise<RetentionReport> {
    this.#running ??= this.#run(asOf, options).finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #run(asOf: Date, options: RunOptions): Promise<RetentionReport> {
    this.#stats = { transactions: 0, longest: 0, longestCheckpoint: 0 };
    const actor = options.actor ?? RETENTION_ACTOR;
    const report = {
      asOf: asOf.toISOString(),
      completed: false,
      tenantsDestroyed: [] as string[],
      purgeDaysShortened: 0,
      meetingsPurged: 0,
      signedOut: {} as Record<string, number>,
      lapsedUsersSignedOut: 0,
      consoleOnlyUsersDeleted: 0,
      idleUsersDeleted: 0,
      expired: {} as Record<string, number>,
      extra: {} as Record<string, number>,
      transactions: 0,
      longestTransactionMs: 0,
      longestCheckpointMs: 0,
    };
    const audits: RetentionAuditEntry[] = [];
    const log = await this.deps.meetings.quietLog();
    this.#log = log;
    try {
      const offboarded = await this.#offboardDue(asOf, actor, report, audits, options.signal);
      report.purgeDaysShortened = await this.#applyTenantRetention(asOf, options.signal);
      await this.#purgeMeetings(asOf, actor, report, audits, options.signal);
      // Before the signed-out sweep, which then deletes what the lapsed users left.
      const quietSince = new Date(asOf.getTime() - SIGN_IN_SETTLE_MS);
      await this.#usersStep(
        'console_session_ended',
        (limit) => this.deps.sweeps.deleteConsoleOnly(asOf, quietSince, limit),
        (n) => {
          report.consoleOnlyUsersDeleted += n;
        },
        actor,
        audits,
        options.signal,
      );
      await this.#usersStep(
        'sign_in_lapsed',
        (limit) => this.deps.sweeps.signOutLapsed(asOf, quietSince, limit),
        (n) => {
          report.lapsedUsersSignedOut += n;
        },
        actor,
        audits,
        options.signal,
      );
      await this.#sweepSignedOut(asOf, actor, report, audits, options.signal);
      await this.#sweepExpired(asOf, actor, report, audits, options.signal);
      await this.#extraSweeps(asOf, actor, report, audits, options.signal);
      // A tenant whose purge failed is still due: the run did not finish what it owed.
      report.completed = offboarded;
    } catch (error) {
      if (!(error instanceof RetentionAborted)) throw error;
    } finally {
      try {
        // What was deleted is recorded even when the run stops or fails half-way. Written after a
        // complete checkpoint, the first entry restarts SQLite's log, which truncates it: no page
        // image from before the purge stays in the -wal file (see KyselyRetentionRepository.quietLog).
        if (audits.length > 0) {
          const before = await log.checkpoint();
          this.#record(CHECKPOINT_STEP, 0, before.ms);
          await log.truncateOnNextCommit();
          // Dated when the deletion happened: an --as-of in the future must not put entries at the top
          // of the audit log for years, nor one in the past bury them among old ones.
          const at = (this.deps.now ?? (() => new Date()))();
          for (const entry of audits) await this.deps.meetings.appendAudit(entry, at);
          const after = await log.checkpoint();
          this.#record(CHECKPOINT_STEP, 0, after.ms);
          if (!before.complete) {
            this.deps.logger?.warn(
              {},
              'retention: another process kept the write-ahead log from being checkpointed; ' +
                'purged page images may stay in it until the next run',
            );
          }
        }
      } finally {
        this.#log = undefined;
        await log.close();
        report.transactions = this.#stats.transactions;
        report.longestTransactionMs = Math.round(this.#stats.longest * 10) / 10;
        report.longestCheckpointMs = Math.round(this.#stats.longestCheckpoint * 10) / 10;
      }
    }
    this.deps.logger?.info(
      {
        completed: report.completed,
        tenantsDestroyed: report.tenantsDestroyed.length,
        meetingsPurged: report.meetingsPurged,
        lapsedUsersSignedOut: report.lapsedUsersSignedOut,
        consoleOnlyUsersDeleted: report.consoleOnlyUsersDeleted,
        idleUsersDeleted: report.idleUsersDeleted,
        transactions: report.transactions,
        longestTransactionMs: report.longestTransactionMs,
      },
      'retention run finished',
    );
    return report;
  }

  /**
   * Tenants 6 months past their contract end: every row, then the data key. A tenant whose purge
   * fails is logged and left for the next run; the others, and the run's later steps, go on (one
   * unreachable Graph or one bad row must not stop every tenant's meeting purge, hour after hour).
   * Says whether every due tenant was destroyed.
   */
  async #offboardDue(
    asOf: Date,
    actor: string,
    report: { tenantsDestroyed: string[] },
    audits: RetentionAuditEntry[],
    signal?: AbortSignal,
  ): Promise<boolean> {
    let allDone = true;
    const today = utcDay(asOf);
    const due = (await this.deps.tenants.withContractEnd()).filter((t) => {
      if (t.contractEnd === null) return false;
      if (parseDay(t.contractEnd)) return accountPurgeDay(t.contractEnd) <= today;
      this.deps.logger?.warn(
        { tenantId: t.tenantId },
        'retention: contract end is not a YYYY-MM-DD day; skipped',
      );
      return false;
    });
    for (const tenant of due) {
      const counts: Record<string, number> = {};
      try {
        if (signal?.aborted) throw new RetentionAborted();
        await this.deps.beforeTenantPurge?.(tenant.tenantId);
        for (const table of await this.deps.tenants.tenantTables()) {
          await this.#batcher.drain(
            `tenant:${table}`,
            async (limit) => {
              const r = await this.deps.tenants.deleteRows(tenant.tenantId, table, limit);
              if (r.rows > 0) counts[table] = (counts[table] ?? 0) + r.rows;
              return { handled: r.rows, ms: r.ms };
            },
            signal,
          );
        }
        const { keys, ms } = await this.deps.tenants.destroyTenant(tenant.tenantId);
        this.#record('tenant:destroy', 1, ms);
        counts.data_keys = keys;
        this.deps.cipher.forget?.(tenant.tenantId);
        this.deps.forgetTenant?.(tenant.tenantId);
        report.tenantsDestroyed.push(tenant.tenantId);
        // Backups taken earlier still hold the wrapped key: retiring the master key that wrapped it
        // is what makes them unreadable too (docs/privacy.md, "Backups").
        this.deps.logger?.warn(
          { tenantId: tenant.tenantId },
          'tenant data and key destroyed; run "roomlink keys rotate" so that older backups cannot be opened',
        );
      } catch (error) {
        // Stopping is the whole run's business, not this tenant's.
        if (error instanceof RetentionAborted) throw error;
        allDone = false;
        // The tenant id and the error's type only: a message may quote row contents or a user.
        this.deps.logger?.error(
          { tenantId: tenant.tenantId, err: { type: (error as Error)?.name ?? typeof error } },
          'retention: tenant purge failed; the next run retries it',
        );
      } finally {
        if (Object.keys(counts).length > 0) {
          // The tenant's own audit rows are gone: this entry is the operator's (no tenant).
          audits.push({
            tenantId: null,
            actorId: actor,
            action: 'data.purged',
            targetType: 'tenant',
            targetId: tenant.tenantId,
            details: { reason: 'account_retention', contractEnd: tenant.contractEnd, ...counts },
          });
        }
      }
    }
    return allDone;
  }

  /**
   * A tenant that shortened its retention: existing meetings' purge days were computed with the
   * longer period, so they are recomputed from the (decrypted) end times, once per change.
   */
  async #applyTenantRetention(asOf: Date, signal?: AbortSignal): Promise<number> {
    let shortened = 0;
    for (const state of await this.deps.meetings.tenantRetentionStates()) {
      if (state.appliedDays === state.retentionDays) continue;
      if (state.retentionDays === null) {
        // Back to the default: stored days are never moved later, so there is nothing to redo.
        if (state.appliedDays !== undefined)
          await this.deps.meetings.markRetentionApplied(state.tenantId, null, asOf);
        continue;
      }
      let after = '';
      for (;;) {
        if (signal?.aborted) throw new RetentionAborted();
        const page = await this.deps.meetings.meetingTimes(state.tenantId, after, RECOMPUTE_PAGE);
        const changes: { id: string; purgeAfter: string }[] = [];
        for (const m of page) {
          const purgeAfter = await this.#recomputedDay(state.tenantId, m, state.retentionDays);
          if (purgeAfter !== undefined && purgeAfter < m.purgeAfter) changes.push({ id: m.id, purgeAfter });
        }
        const r = await this.deps.meetings.shortenPurgeDays(state.tenantId, changes);
        if (r.ms > 0) this.#record('retention:shorten', r.rows, r.ms);
        shortened += r.rows;
        if (page.length < RECOMPUTE_PAGE) break;
        after = (page.at(-1) as { id: string }).id;
      }
      await this.deps.meetings.markRetentionApplied(state.tenantId, state.retentionDays, asOf);
    }
    return shortened;
  }

  async #recomputedDay(tenantId: string, m: MeetingTimes, days: number): Promise<string | undefined> {
    const context = (column: string) => ({ tenantId, table: 'meetings', column, rowId: m.id });
    try {
      const end = new Date(await this.deps.cipher.decrypt(context('end'), m.endCt));
      const recurrence = m.recurrenceCt
        ? (JSON.parse(await this.deps.cipher.decrypt(context('recurrence'), m.recurrenceCt)) as Recurrence)
        : null;
      // A series' last occurrence is placed from its first one's start (window.ts, lastEnd).
      const start = recurrence ? new Date(await this.deps.cipher.decrypt(context('start'), m.startCt)) : end;
      // A cancelled series ended at its cancellation (MeetingService.cancel).
      if (recurrence && m.cancelledAt) return cancelledSeriesPurgeDay(end, new Date(m.cancelledAt), days);
      // An occurrence moved past the pattern's last one: the day sync set covers it, and so does this.
      const movedEnd = recurrence ? ((await this.deps.movedOccurrenceEnd?.(m.id)) ?? null) : null;
      return purgeAfterDay({ start, end, timeZone: m.timeZone, recurrence }, days, m.seriesSeenOn, movedEnd);
    } catch (error) {
      // An unreadable row keeps its stored day (never later than the default period).
      this.deps.logger?.warn(
        { meetingId: m.id, err: (error as Error).name },
        'retention: meeting end unreadable',
      );
      return undefined;
    }
  }

  async #purgeMeetings(
    asOf: Date,
    actor: string,
    report: { meetingsPurged: number },
    audits: RetentionAuditEntry[],
    signal?: AbortSignal,
  ): Promise<void> {
    const day = utcDay(asOf);
    const byTenant = new Map<string, number>();
    try {
      await this.#batcher.drain(
        'meetings',
        async (limit) => {
          const r = await this.deps.meetings.purgeMeetingsDue(day, limit);
          report.meetingsPurged += r.rows;
          for (const [tenant, n] of r.byTenant) byTenant.set(tenant, (byTenant.get(tenant) ?? 0) + n);
          return { handled: r.rows, ms: r.ms };
        },
        signal,
      );
    } finally {
      for (const [tenantId, meetings] of byTenant) {
        audits.push({
          tenantId,
          actorId: actor,
          action: 'data.purged',
          details: { reason: 'meeting_retention', meetings, purgeDay: day },
        });
      }
    }
  }

  /** A sweep of users (sign-out or deletion), audited per tenant as `data.purged` with `step` as the reason. */
  async #usersStep(
    step: 'sign_in_lapsed' | 'console_session_ended',
    sweep: (limit: number) => Promise<SweepBatch>,
    add: (users: number) => void,
    actor: string,
    audits: RetentionAuditEntry[],
    signal?: AbortSignal,
  ): Promise<void> {
    const perTenant = new Map<string, number>();
    try {
      await this.#batcher.drain(
        step,
        async (limit) => {
          const r = await sweep(limit);
          for (const [tenantId, kinds] of r.counts) {
            const n = kinds.get('users') ?? 0;
            perTenant.set(tenantId, (perTenant.get(tenantId) ?? 0) + n);
            add(n);
          }
          return { handled: r.users, ms: r.ms };
        },
        signal,
      );
    } finally {
      for (const [tenantId, users] of perTenant) {
        audits.push({
          tenantId,
          actorId: actor,
          action: 'data.purged',
          details: { reason: step, users },
        });
      }
    }
  }

  async #sweepSignedOut(
    asOf: Date,
    actor: string,
    report: { signedOut: Record<string, number>; idleUsersDeleted: number },
    audits: RetentionAuditEntry[],
    signal?: AbortSignal,
  ): Promise<void> {
    const counts: SweepCounts = new Map();
    const merge = (more: SweepCounts) => {
      for (const [tenant, kinds] of more) {
        const into = counts.get(tenant) ?? new Map<string, number>();
        for (const [kind, n] of kinds) into.set(kind, (into.get(kind) ?? 0) + n);
        counts.set(tenant, into);
      }
    };
    try {
      await this.#batcher.drain(
        'signed_out',
        async (limit) => {
          const r = await this.deps.sweeps.sweepSignedOut(limit);
          merge(r.counts);
          return { handled: r.users, ms: r.ms };
        },
        signal,
      );
      const cutoff = idleUserCutoff(asOf);
      await this.#batcher.drain(
        'idle_users',
        async (limit) => {
          const r = await this.deps.sweeps.deleteIdleSignedOut(cutoff, limit);
          report.idleUsersDeleted += r.users;
          merge(r.counts);
          return { handled: r.users, ms: r.ms };
        },
        signal,
      );
    } finally {
      for (const [tenantId, kinds] of counts) {
        const details = Object.fromEntries(kinds);
        for (const [kind, n] of kinds)
          if (kind !== 'users') report.signedOut[kind] = (report.signedOut[kind] ?? 0) + n;
        audits.push({
          tenantId,
          actorId: actor,
          action: 'data.purged',
          details: { reason: 'signed_out', ...details },
        });
      }
    }
  }

  async #sweepExpired(
    asOf: Date,
    actor: string,
    report: { expired: Record<string, number> },
    audits: RetentionAuditEntry[],
    signal?: AbortSignal,
  ): Promise<void> {
    try {
      for (const table of EXPIRING_TABLES) {
        await this.#batcher.drain(
          `expired:${table}`,
          async (limit) => {
            const r = await this.deps.sweeps.deleteExpired(table, asOf, limit);
            if (r.rows > 0) report.expired[table] = (report.expired[table] ?? 0) + r.rows;
            return { handled: r.rows, ms: r.ms };
          },
          signal,
        );
      }
      // Rooms' PIN budgets that no longer count (they expire a day after their tries and lockouts).
      await this.#batcher.drain(
        'expired:room_pin_failures',
        async (limit) => {
          const r = await this.deps.sweeps.deleteSpentPinTries(asOf, limit);
          if (r.rows > 0) report.expired.room_pin_failures = (report.expired.room_pin_failures ?? 0) + r.rows;
          return { handled: r.rows, ms: r.ms };
        },
        signal,
      );
    } finally {
      if (Object.keys(report.expired).length > 0) {
        audits.push({
          tenantId: null,
          actorId: actor,
          action: 'data.purged',
          details: { reason: 'expired', ...report.expired },
        });
      }
    }
  }

  async #extraSweeps(
    asOf: Date,
    actor: string,
    report: { extra: Record<string, number> },
    audits: RetentionAuditEntry[],
    signal?: AbortSignal,
  ): Promise<void> {
    for (const sweep of this.deps.extraSweeps ?? []) {
      const byTenant = new Map<string, number>();
      try {
        report.extra[sweep.name] = 0;
        await this.#batcher.drain(
          `extra:${sweep.name}`,
          async (limit) => {
            const r = await sweep.run(asOf, limit);
            report.extra[sweep.name] = (report.extra[sweep.name] ?? 0) + r.rows;
            for (const [tenant, n] of r.byTenant ?? []) byTenant.set(tenant, (byTenant.get(tenant) ?? 0) + n);
            return { handled: r.rows, ms: r.ms };
          },
          signal,
        );
      } finally {
        const total = report.extra[sweep.name] ?? 0;
        const attributed = [...byTenant.values()].reduce((a, b) => a + b, 0);
        for (const [tenantId, n] of byTenant) {
          audits.push({
            tenantId,
            actorId: actor,
            action: 'data.purged',
            details: { reason: sweep.name, rows: n },
          });
        }
        if (total > attributed) {
          audits.push({
            tenantId: null,
            actorId: actor,
            action: 'data.purged',
            details: { reason: sweep.name, rows: total - attributed },
          });
        }
      }
    }
  }

  #record(step: string, rows: number, ms: number): void {
    if (ms <= 0) return; // PostgreSQL has no checkpoints to report
    if (step === CHECKPOINT_STEP) {
      this.#stats.longestCheckpoint = Math.max(this.#stats.longestCheckpoint, ms);
    } else {
      this.#stats.transactions++;
      this.#stats.longest = Math.max(this.#stats.longest, ms);
    }
    this.deps.onTransaction?.({ step, rows, ms });
  }
}
