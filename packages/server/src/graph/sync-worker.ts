/**
 * The job handlers of calendar sync. Each run for a mailbox holds that mailbox's lease, so one job
 * (in this process or any other) touches a user's calendar state at a time; the lease is renewed
 * while the run lasts (a throttled mailbox can wait up to two minutes inside one request). A user
 * whose sign-in Microsoft no longer accepts is marked needs_sign_in and their jobs end quietly (no
 * retries against a dead token). From the day its organisation's contract ends (offboarding), a
 * user's jobs read nothing and only delete the Graph subscription still held (see #withMailbox).
 *
 * Reconciliation is a delta query over the user's calendar window (calendarView/delta): at start,
 * after a `missed` lifecycle event, after a subscription was (re)created, and on a schedule. It
 * catches whatever change notifications were lost. The delta link is stored encrypted (it holds a
 * token); a link Graph forgot (410) starts a fresh round.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { FieldCipher } from '../crypto/envelope.js';
import { DomainError, type DomainErrorCode } from '../domain/errors.js';
import { type CalendarItem, isOccurrence, type MailboxOwner } from '../domain/sync/calendar-item.js';
import type { SyncUserRecord, SyncUserRepository } from '../domain/sync/ports.js';
import type { CalendarSyncService } from '../domain/sync/sync-service.js';
import { contractEnded } from '../domain/tenants/tenant.js';
import {
  type JobContext,
  type JobHandler,
  type JobPayload,
  type JobQueue,
  type JobSpec,
  PermanentJobError,
} from '../jobs/queue.js';
import { type RoundEvidence, seriesLeftCalendar, singleLeftCalendar } from './calendar-departure.js';
import { eventQuery, eventUrl, INSTANCE_SELECT, toCalendarItem } from './events.js';
import { type GraphClient, GraphError } from './graph-client.js';
import type { SubscriptionManager } from './subscriptions.js';
import { isSignInRequired } from './token-source.js';

export const JOB = {
  change: 'graph_change',
  reconcile: 'graph_reconcile',
  subscribe: 'graph_subscribe',
  reauthorize: 'graph_reauthorize',
} as const;

export const JOB_KINDS = {
  [JOB.change]: { maxAttempts: 8 },
  [JOB.reconcile]: { maxAttempts: 8, coalesce: true },
  [JOB.subscribe]: { maxAttempts: 8, coalesce: true },
  [JOB.reauthorize]: { maxAttempts: 8, coalesce: true },
} as const;

export interface SyncWorkerSettings {
  /** The Outlook add-in's id (its manifest id): names the custom properties' extended property. */
  readonly addinId: string;
  /** ROOMLINK_ALLOWED_TENANTS (lower case); null or absent for any tenant. */
  readonly allowedTenants?: readonly string[] | null;
  /** Calendar window that reconciliation follows; default 1 day back, 180 days ahead. */
  readonly windowPastDays?: number;
  readonly windowFutureDays?: number;
  /** A delta round older than this starts afresh, so that the window follows the clock; default 1 day. */
  readonly rebaseAfterMs?: number;
  /** Lease on a mailbox while a job runs. Default 30 s. */
  readonly leaseMs?: number;
  /** How often a running job renews its lease; default a third of `leaseMs`. */
  readonly leaseRenewMs?: number;
  /**
   * Wait before retrying a job whose mailbox is busy; default 200 ms, doubled at each further
   * put-back of the same job up to 30 s, so that a burst of jobs for one mailbox does not spin.
   */
  readonly busyRetryMs?: number;
  /**
   * A run that has made no progress (no Graph answer it went on from, no write) for this long stops
   * renewing its lease (a hung run must not hold a mailbox); 10 min.
   */
  readonly maxLeaseHoldMs?: number;
  /** Delay of the change job that retries one event a reconciliation's batch failed; 5 s. */
  readonly itemRetryDelayMs?: number;
}

export interface SyncWorkerDeps {
  readonly graph: GraphClient;
  readonly service: CalendarSyncService;
  readonly users: SyncUserRepository;
  readonly subscriptions: SubscriptionManager;
  readonly queue: JobQueue;
  readonly cipher: FieldCipher;
  readonly settings: SyncWorkerSettings;
  readonly now?: () => Date;
  readonly log?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
  /**
   * An event was refused for its own data (EVENT_DATA_REFUSALS) and left as it was: counted
   * (graph/index.ts: `roomlink_sync_changes_total{action="refused"}`).
   */
  readonly onRefused?: (code: DomainErrorCode) => void;
  /**
   * An event was skipped because its times could not be read (`unreadable`), or an all-day event
   * named no time zone this server knows and its days were placed in its meeting's zone, else UTC's
   * (`all_day_zone_fallback`): counted (graph/index.ts: `roomlink_sync_event_times_total`).
   */
  readonly onEventTimes?: (outcome: EventTimesOutcome) => void;
}

export type EventTimesOutcome = 'unreadable' | 'all_day_zone_fallback';

/**
 * Domain refusals about the event's own data, which the organizer's calendar holds: its times (a
 * meeting lasting more than 31 days, say) or a recurrence that is not structurally Graph's
 * (recurrence-rules.ts, graphLimits). Another read returns the same data and is refused the same
 * way, so retrying would only dead-letter the job, and in a reconciliation hold back the rest of
 * the mailbox every round. The event is left as it was instead, and tried again when Graph reports
 * it changed, or at the next fresh round. Other domain errors (a concurrent update) stay retryable.
 */
const EVENT_DATA_REFUSALS: ReadonlySet<DomainErrorCode> = new Set<DomainErrorCode>([
  'invalid_recurrence',
  'invalid_meeting_times',
]);

/** Whether `error` is a refusal of the event's own data, a permanent outcome for that event. */
export function refusesEventData(error: unknown): error is DomainError {
  return error instanceof DomainError && EVENT_DATA_REFUSALS.has(error.code);
}

type Work = (user: SyncUserRecord) => Promise<void>;

/** A delta round's evidence, with the ids it listed, for telling events that left the calendar. */
interface RoundSight {
  readonly round: RoundEvidence;
  readonly seen: ReadonlySet<string>;
}

/**
 * A run learnt that another run holds its mailbox now (its lease expired and was taken, say after the
 * process stalled): it stops before its next write, and its job is retried like any failure.
 */
export class LeaseLostError extends Error {
  constructor() {
    super('calendar sync: the mailbox lease was taken over');
    this.name = 'LeaseLostError';
  }
}

/** What a run knows of its lease. */
interface RunLease {
  /** A renewal was refused: another run owns the mailbox. */
  lost: boolean;
  /**
   * Until when (epoch ms) the lease is known to be this run's: the last acquire or renewal that
   * succeeded, measured from before it was asked, plus the lease's length. Past it, another run may
   * have taken the mailbox without this one hearing of it (renewals stopped after the longest hold,
   * or failed), so the run writes nothing more.
   */
  heldUntil: number;
  /**
   * When (epoch ms) the run last checked its lease before going on (after a Graph read, before a
   * write): a run that has not done so for the longest hold is taken as hung and stops renewing.
   */
  progressAt: number;
}

/**
 * Coalescing key of a mailbox's job. A forced subscribe (Graph removed the subscription) has its own,
 * so that an ordinary renewal already waiting cannot absorb it.
 */
export function mailboxJobKey(userId: string, force = false): string {
  return force ? `${userId}:force` : userId;
}

const DAY = 86_400_000;
/** Enough for any hour of a calendar; a view that needs more pages gives no verdict. */
const VIEW_PAGE = 100;

/**
 * The view that must list an event still in the calendar: a minute either side of its start (few
 * other events, one page, and an event without duration still overlaps it). An all-day event is
 * looked for over its whole days: the calendar view matches it by the midnights of the zone Exchange
 * keeps it in (Microsoft Q&A "Calendar view date filter works wrong", 2022), and sync placed it at
 * those of the zone it named (events.ts), else of its meeting's or UTC's, at most 14 hours off, which
 * days still overlap.
 */
function viewAround(item: CalendarItem): { start: Date; end: Date } {
  if (item.allDay && item.end > item.start) return { start: item.start, end: item.end };
  const start = item.start.getTime();
  return { start: new Date(start - 60_000), end: new Date(start + 60_000) };
}

/**
 * A delta link Graph no longer knows: 410 Gone, or "a 40X-series error with error codes such as
 * syncStateNotFound" (Graph's delta query overview); some resources answer 400.
 */
function syncStateLost(error: unknown): boolean {
  if (!(error instanceof GraphError)) return false;
  if (error.status === 410) return true;
  return (
    error.status >= 400 &&
    error.status < 500 &&
    /^(syncStateNotFound|syncStateInvalid|resyncRequired)$/i.test(error.code)
  );
}

/** Payload fields a job carries when it is put back because its mailbox was busy. */
const PUT_BACK = { count: 'putBacks', failed: 'failedAttempts' } as const;

function numberIn(payload: JobPayload, key: string): number {
  const value = payload[key];
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

export class SyncWorker {
  readonly #subscriptionWork = new Map<string, Promise<void>>();
  /** The lease of the run the current code belongs to, so that any step can check it before writing. */
  readonly #runLease = new AsyncLocalStorage<RunLease>();
  readonly #now: () => Date;

  constructor(private readonly deps: SyncWorkerDeps) {
    this.#now = deps.now ?? (() => new Date());
  }

  handlers(): Record<string, JobHandler> {
    return {
      [JOB.change]: (p, context) =>
        this.#withMailbox(JOB.change, p, context, async (user) => {
          const ofSeries = await this.syncEvent(user, String(p.eventId), p.changeType === 'deleted');
          // A retry of one event from a reconciliation is not a notification.
          if (p.retryOf !== 'reconcile') {
            this.#assertLeaseHeld();
            await this.deps.users.update(
              user.userId,
              { lastChangeAt: this.#now().toISOString() },
              this.#now(),
            );
            // A change to one occurrence is notified under its series master's id, and only a delta
            // round names the occurrence that changed (one the add-in just gave a meeting of its own,
            // or one whose meeting moved): an incremental round follows, deduplicated per mailbox.
            if (ofSeries) await this.#enqueueReconcile(user.userId);
          }
        }),
      [JOB.reconcile]: (p, context) =>
        this.#withMailbox(JOB.reconcile, p, context, (user) => this.reconcile(user, p.force === true)),
      [JOB.subscribe]: (p, context) =>
        this.#withMailbox(JOB.subscribe, p, context, (user) =>
          this.#withSubscription(user, async (fresh) => {
            const created = await this.deps.subscriptions.ensure(fresh, { force: p.force === true });
            if (created) await this.#enqueueReconcile(user.userId);
          }),
        ),
      [JOB.reauthorize]: (p, context) =>
        this.#withMailbox(JOB.reauthorize, p, context, (user) =>
          this.#withSubscription(user, async (fresh) => {
            await this.deps.subscriptions.reauthorize(fresh);
            // Always reconciled: Graph may pause delivery until reauthorized, and the changes of the
            // pause are lost (change-notifications-lifecycle-events), whether the subscription was
            // reauthorized or had to be created again.
            await this.#enqueueReconcile(user.userId);
          }),
        ),
    };
  }

  /**
   * Fetches one event and applies it (an occurrence: its own meeting, if the add-in gave it one, then
   * its master); 404 means deleted. An event Graph notified as deleted but still returns may sit in
   * Deleted Items (calendar-departure.ts): the calendar view around its start, which lists the default
   * calendar only, decides. True when the event read is a series master.
   */
  async syncEvent(user: SyncUserRecord, eventId: string, notifiedDeleted = false): Promise<boolean> {
    const owner = ownerOf(user);
    let raw: unknown;
    try {
      raw = (
        await this.deps.graph.request(user.userId, {
          path: `me/events/${encodeURIComponent(eventId)}`,
          query: eventQuery(this.deps.settings.addinId),
          operation: 'event.get',
        })
      ).body;
    } catch (error) {
      if (error instanceof GraphError && error.status === 404) {
        this.#assertLeaseHeld();
        await this.deps.service.applyDeleted(owner, eventId);
        return false;
      }
      throw error;
    }
    this.#assertLeaseHeld();
    const item = this.#toItem(raw, 'event.get');
    if (!item) return false;
    await this.#applyFetched(user, item, undefined, notifiedDeleted && !item.isCancelled);
    // Notified under its own id: the other occurrences' changes come with their own notifications.
    if (isOccurrence(item)) await this.syncEvent(user, item.seriesMasterId);
    return item.type === 'seriesMaster';
  }

  /**
   * Whether the calendar view around the item's start lists it (`ofSeries`: an occurrence stands for
   * its series, any of whose occurrences will do): what Deleted Items holds is not in the view.
   * Undefined when the answer cannot be told from one page.
   */
  async #inCalendarView(
    user: SyncUserRecord,
    item: CalendarItem,
    ofSeries: boolean,
  ): Promise<boolean | undefined> {
    const { start, end } = viewAround(item);
    const series = ofSeries ? item.seriesMasterId : null;
    const page = (
      await this.deps.graph.request<{ value?: Record<string, unknown>[]; '@odata.nextLink'?: string }>(
        user.userId,
        {
          path: 'me/calendarView',
          query: {
            startDateTime: start.toISOString(),
            endDateTime: end.toISOString(),
            $select: 'id,seriesMasterId',
            $top: String(VIEW_PAGE),
          },
          operation: 'calendar.view',
        },
      )
    ).body;
    const value = page.value ?? [];
    if (value.some((e) => e.id === item.id || (series !== null && e.seriesMasterId === series))) return true;
    // Another page could hold it, and a listing spread over requests is no snapshot: no verdict.
    return page['@odata.nextLink'] === undefined ? false : undefined;
  }

  /**
   * The event (or series master) as Graph has it now, when it is the version sync judged: a change
   * between the read and the view (moved, an occurrence deleted) makes the view look in the wrong
   * place, so such a verdict waits for the change's own notification or the next round.
   */
  async #unchangedSinceRead(user: SyncUserRecord, item: CalendarItem): Promise<boolean | 'gone'> {
    try {
      const now = await this.deps.graph.request<{ changeKey?: unknown }>(user.userId, {
        path: `me/events/${encodeURIComponent(item.id)}`,
        query: { $select: 'id,changeKey' },
        operation: 'event.get',
      });
      return now.body.changeKey === item.changeKey;
    } catch (error) {
      if (error instanceof GraphError && error.status === 404) return 'gone';
      throw error;
    }
  }

  /** The calendar view of a delta round that began at `at` (an incremental round keeps its full round's). */
  #window(at: Date): RoundEvidence['window'] {
    const { settings } = this.deps;
    return {
      start: new Date(at.getTime() - (settings.windowPastDays ?? 1) * DAY),
      end: new Date(at.getTime() + (settings.windowFutureDays ?? 180) * DAY),
    };
  }

  /** Delta query over the window; applies every change it reports. */
  async reconcile(user: SyncUserRecord, fresh = false): Promise<void> {
    const owner = ownerOf(user);
    const now = this.#now();
    const { settings } = this.deps;
    const rebase = settings.rebaseAfterMs ?? DAY;
    const stale = !user.deltaStartedAt || now.getTime() - new Date(user.deltaStartedAt).getTime() > rebase;
    const deltaLink = fresh || stale || !user.deltaLinkCt ? undefined : await this.#openDeltaLink(user);
    const { start, end } = this.#window(now);
    const first = deltaLink
      ? { path: deltaLink, operation: 'calendar.delta' }
      : {
          path: 'me/calendarView/delta',
          query: { startDateTime: start.toISOString(), endDateTime: end.toISOString() },
          operation: 'calendar.delta',
        };
    const removed = new Set<string>();
    const round: RoundEvidence = {
      window: deltaLink && user.deltaStartedAt ? this.#window(new Date(user.deltaStartedAt)) : { start, end },
      startedAt: now,
      removed,
      full: !deltaLink,
    };
    const doneMasters = new Set<string>();
    const seen = new Set<string>();
    let unknownRemoval = false;
    let finalLink: string | undefined;
    try {
      for await (const page of this.deps.graph.pages<Record<string, unknown>>(user.userId, first)) {
        const toFetch = new Set<string>();
        for (const entry of page.value) {
          const id = typeof entry.id === 'string' ? entry.id : undefined;
          if (!id) continue;
          seen.add(id);
          if (entry['@removed'] !== undefined) {
            removed.add(id);
            if (await this.deps.service.isLinked(user.userId, id)) toFetch.add(id);
            else unknownRemoval = true;
            continue;
          }
          // Delta may list an entity more than once in a round: its last entry is what holds.
          removed.delete(id);
          const master = typeof entry.seriesMasterId === 'string' ? entry.seriesMasterId : undefined;
          // An exception may carry a meeting of its own (the add-in's, on that occurrence alone): it is
          // read too. A plain occurrence shows only its master's body and properties.
          if (master && entry.type === 'exception' && mayNameMeeting(entry)) toFetch.add(id);
          const target = master ?? id;
          seen.add(target);
          if (doneMasters.has(target)) continue;
          if (master) doneMasters.add(master);
          toFetch.add(target);
        }
        await this.#fetchAndApply(user, [...toFetch], { round, seen }, doneMasters);
        if (page.deltaLink) finalLink = page.deltaLink;
      }
    } catch (error) {
      if (syncStateLost(error) && !fresh) {
        // Graph forgot the sync state: a full round replaces it.
        return this.reconcile(user, true);
      }
      throw error;
    }
    // An incremental round mentions only what changed, and a removal Graph may not report (an event
    // purged while its notification was lost): linked events it did not mention are checked for
    // existence (cheap: ids only, batched). A full round lists every event of its window, so those it
    // did not list are read in full, to tell the ones that left the calendar (calendar-departure.ts).
    // A removed occurrence reported under an id sync never saw also refreshes the linked series.
    const unseen = (await this.deps.service.linkedEvents(user.userId)).filter((l) => !seen.has(l.eventId));
    const refresh = unknownRemoval ? unseen.filter((l) => l.kind === 'series').map((l) => l.eventId) : [];
    await this.#fetchAndApply(user, refresh, { round, seen }, doneMasters);
    const rest = unseen.filter((l) => !refresh.includes(l.eventId)).map((l) => l.eventId);
    if (round.full) await this.#fetchAndApply(user, rest, { round, seen }, doneMasters);
    else await this.#checkExistence(user, rest);
    const deltaLinkCt = finalLink ? await this.#sealDeltaLink(owner, finalLink) : undefined;
    // A run that lost its mailbox must not put its older delta link over a newer run's.
    this.#assertLeaseHeld();
    await this.deps.users.update(
      user.userId,
      {
        ...(deltaLinkCt ? { deltaLinkCt } : {}),
        ...(deltaLink ? {} : { deltaStartedAt: now.toISOString() }),
        lastReconciledAt: this.#now().toISOString(),
      },
      this.#now(),
    );
  }

  /**
   * Reads events through $batch and applies each (404: deleted). An item that fails for another reason
   * becomes a change job of its own, retried and dead-lettered alone, so that one event Graph will not
   * return does not hold back the rest of the mailbox. An occurrence's master is read too, unless it
   * is among `ids` or in `mastersRead` (read already by the caller); it is added there once read.
   */
  async #fetchAndApply(
    user: SyncUserRecord,
    ids: readonly string[],
    seenBy?: RoundSight,
    mastersRead = new Set<string>(),
  ): Promise<void> {
    if (ids.length === 0) return;
    const owner = ownerOf(user);
    const results = await this.deps.graph.batch(
      user.userId,
      ids.map((id, i) => ({ id: String(i + 1), url: eventUrl(id, this.deps.settings.addinId) })),
      'event.get',
    );
    this.#assertLeaseHeld();
    const failed: JobSpec[] = [];
    const retryAlone = (id: string, status: number) => {
      this.deps.log?.warn({ status }, 'calendar sync: one event failed in a reconciliation, retried alone');
      failed.push({
        kind: JOB.change,
        payload: {
          userId: user.userId,
          eventId: id,
          retryOf: 'reconcile',
          // Reported removed: the retry checks the calendar view as a deleted notification would.
          ...(seenBy?.round.removed.has(id) ? { changeType: 'deleted' } : {}),
        },
        // After this reconciliation has let go of the mailbox, not bouncing off its lease meanwhile.
        delayMs: this.deps.settings.itemRetryDelayMs ?? 5_000,
      });
    };
    for (const [i, id] of ids.entries()) {
      const result = results.get(String(i + 1));
      if (!result) continue;
      if (result.status === 404) {
        await this.deps.service.applyDeleted(owner, id);
        continue;
      }
      if (result.status >= 300) {
        retryAlone(id, result.status);
        continue;
      }
      const item = this.#toItem(result.body, 'event.get');
      if (!item) continue;
      try {
        await this.#applyFetched(user, item, seenBy);
        const master = item.seriesMasterId;
        if (isOccurrence(item) && master && !ids.includes(master) && !mastersRead.has(master)) {
          mastersRead.add(master);
          await this.syncEvent(user, master);
        }
      } catch (error) {
        // A read this event needed (its instances, the calendar view) failed: it alone is retried,
        // and the rest of the mailbox goes on. Anything else (lease lost, sign-in needed, the mailbox
        // throttled: Graph said when to come back) ends the run, retried by the queue after that.
        if (!(error instanceof GraphError) || isSignInRequired(error) || error.retryAfterMs !== undefined)
          throw error;
        retryAlone(id, error.status);
      }
    }
    if (failed.length > 0) await this.deps.queue.enqueue(failed);
  }

  /** Linked events that no longer exist are applied as deleted. */
  async #checkExistence(user: SyncUserRecord, ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    const results = await this.deps.graph.batch(
      user.userId,
      ids.map((id, i) => ({ id: String(i + 1), url: `me/events/${encodeURIComponent(id)}?$select=id` })),
      'event.exists',
    );
    this.#assertLeaseHeld();
    for (const [i, id] of ids.entries()) {
      if (results.get(String(i + 1))?.status === 404) await this.deps.service.applyDeleted(ownerOf(user), id);
    }
  }

  async #applyFetched(
    user: SyncUserRecord,
    item: CalendarItem,
    seenBy?: RoundSight,
    checkView = false,
  ): Promise<void> {
    const owner = ownerOf(user);
    const listed = seenBy?.seen.has(item.id) ?? false;
    // What a round saw (calendar-departure.ts) or a deleted notification only raises the question;
    // the calendar view around the event's start, read now, answers it: a cancelled room cannot
    // come back, so a round's stale or duplicated entries must not cancel one.
    const leftCalendar = async (suspected: boolean, span: CalendarItem | undefined) => {
      // Only a linked event has a room sync could cancel (one already cancelled has no link left).
      if (!suspected || !span || !(await this.deps.service.isLinked(user.userId, item.id))) return false;
      if ((await this.#inCalendarView(user, span, item.type === 'seriesMaster')) !== false) return false;
      const unchanged = await this.#unchangedSinceRead(user, item);
      this.#assertLeaseHeld();
      return unchanged !== false;
    };
    // An occurrence that follows a meeting of its own is judged as a single event is.
    if (item.type === 'singleInstance' || isOccurrence(item)) {
      const suspected = checkView || (seenBy !== undefined && singleLeftCalendar(item, seenBy.round, listed));
      if (await leftCalendar(suspected, item)) {
        await this.deps.service.applyDeleted(owner, item.id);
        return;
      }
    }
    // Instances are only worth reading for a series that carries a Roomlink meeting.
    if (item.type === 'seriesMaster' && !item.isCancelled && (await this.#carriesMeeting(user, item))) {
      const { instances, since } = await this.#instances(user, item.id);
      const suspected =
        checkView || (seenBy !== undefined && seriesLeftCalendar(item, instances, seenBy.round, listed));
      // A series with no occurrence in the window is not judged (its first one may be cancelled).
      if (await leftCalendar(suspected, instances[0])) {
        await this.deps.service.applyDeleted(owner, item.id);
        return;
      }
      this.#assertLeaseHeld();
      await this.#applyItem(owner, item, instances, since);
      return;
    }
    await this.#applyItem(owner, item);
  }

  /**
   * Applies the item; a refusal of its own data (refusesEventData) is this event's outcome, not a
   * failure of the job: logged by code only (no ids, titles or addresses), counted, not retried, and
   * the rest of the mailbox's changes go on.
   */
  async #applyItem(
    owner: MailboxOwner,
    item: CalendarItem,
    instances?: readonly CalendarItem[],
    since?: Date,
  ): Promise<void> {
    try {
      const result = await this.deps.service.applyItem(owner, item, instances, since);
      // Only events that carry a meeting count: a calendar's other all-day events are no concern.
      const fallback = [item, ...(instances ?? [])].some((i) => i.allDay && i.allDay.timeZone === null);
      if (fallback && result !== 'ignored') {
        this.deps.log?.warn(
          { eventType: item.type },
          "calendar sync: an all-day event names no time zone this server knows; its days were placed in its meeting's zone, else UTC's",
        );
        this.deps.onEventTimes?.('all_day_zone_fallback');
      }
    } catch (error) {
      if (!refusesEventData(error)) throw error;
      this.deps.log?.warn(
        { code: error.code, eventType: item.type },
        'calendar sync: an event its meeting cannot follow was left as it was (not retried)',
      );
      this.deps.onRefused?.(error.code);
    }
  }

  /**
   * Graph's event as sync reads it; one whose times cannot be read is skipped (never guessed), logged
   * by its type and the read it came from (no ids, titles or addresses) and counted.
   */
  #toItem(raw: unknown, operation: 'event.get' | 'event.instances'): CalendarItem | undefined {
    const item = toCalendarItem(raw, this.deps.settings.addinId);
    if (item) return item;
    const body = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
    this.deps.log?.warn(
      {
        operation,
        eventType: typeof body.type === 'string' ? body.type : undefined,
        isAllDay: body.isAllDay === true,
      },
      'calendar sync: an event whose times cannot be read was skipped',
    );
    this.deps.onEventTimes?.('unreadable');
    return undefined;
  }

  async #carriesMeeting(user: SyncUserRecord, item: CalendarItem): Promise<boolean> {
    if (item.customMeetingId || item.body?.content.includes('/m/')) return true;
    return this.deps.service.isLinked(user.userId, item.id);
  }

  /**
   * The series' occurrences inside the window, read at every apply of the series (even one whose
   * master is unchanged: the window moves with the clock), and the window's start.
   */
  async #instances(
    user: SyncUserRecord,
    masterId: string,
  ): Promise<{ instances: CalendarItem[]; since: Date }> {
    const { start, end } = this.#window(this.#now());
    const items: CalendarItem[] = [];
    const pages = this.deps.graph.pages<unknown>(user.userId, {
      path: `me/events/${encodeURIComponent(masterId)}/instances`,
      query: {
        startDateTime: start.toISOString(),
        endDateTime: end.toISOString(),
        $select: INSTANCE_SELECT,
      },
      operation: 'event.instances',
    });
    for await (const page of pages) {
      for (const raw of page.value) {
        const item = this.#toItem(raw, 'event.instances');
        if (item) items.push(item);
      }
    }
    return { instances: items, since: start };
  }

  async #withMailbox(kind: string, payload: JobPayload, context: JobContext, work: Work): Promise<void> {
    const userId = typeof payload.userId === 'string' ? payload.userId : undefined;
    if (!userId) return;
    // A put-back starts a new job: the attempts its earlier incarnations failed travel in the payload,
    // so that a job failing between put-backs is still dead-lettered after its kind's attempts.
    const failedBefore = numberIn(payload, PUT_BACK.failed) + context.attempt - 1;
    const maxAttempts = JOB_KINDS[kind as keyof typeof JOB_KINDS]?.maxAttempts ?? 8;
    if (failedBefore >= maxAttempts) throw new PermanentJobError('attempts_exhausted');
    const user = await this.deps.users.find(userId);
    // Sync was stopped (sign-out) or waits for a new sign-in: nothing to do, nothing to retry.
    if (user?.status !== 'active') return;
    // A tenant taken off ROOMLINK_ALLOWED_TENANTS: Roomlink no longer acts for its users in Graph
    // (their subscriptions are not renewed and lapse); put back, its mailboxes are followed again.
    const allowed = this.deps.settings.allowedTenants;
    if (allowed && !allowed.includes(user.tenantId)) return;
    const { users } = this.deps;
    // One owner per run, not per process: two jobs of one mailbox in this process exclude each other too.
    const owner = randomUUID();
    const ttlMs = this.deps.settings.leaseMs ?? 30_000;
    const askedAt = this.#now();
    if (!(await users.acquireLease(userId, owner, askedAt, ttlMs))) {
      const putBacks = numberIn(payload, PUT_BACK.count);
      await this.deps.queue.enqueue([
        {
          kind,
          payload: { ...payload, [PUT_BACK.count]: putBacks + 1, [PUT_BACK.failed]: failedBefore },
          dedupeKey: mailboxJobKey(userId, payload.force === true),
          delayMs: Math.min((this.deps.settings.busyRetryMs ?? 200) * 2 ** Math.min(putBacks, 20), 30_000),
        },
      ]);
      return;
    }
    // The contract of the user's organisation has ended (offboarded; from that UTC day on, as
    // sign-ins are refused): Roomlink no longer reads the calendar. Whatever the job, it reads
    // nothing (no delta, no event) and keeps no subscription: one still held is deleted at Graph and
    // forgotten (under the lease, read again now that it is held, so that no subscribe run of this
    // mailbox races it). The user stays active: readmitted before the deletion, the next maintenance
    // pass subscribes and reconciles again.
    const run: Work = contractEnded(user.contractEnd, askedAt)
      ? async () => {
          const fresh = await users.find(userId);
          if (fresh) await this.deps.subscriptions.retire(fresh);
        }
      : work;
    const renewal = this.#keepLease(userId, owner, ttlMs, kind, askedAt.getTime() + ttlMs);
    try {
      await this.#runLease.run(renewal.lease, () => run(user));
    } catch (error) {
      if (!isSignInRequired(error)) throw error;
      await users.update(userId, { status: 'needs_sign_in' }, this.#now());
      this.deps.log?.warn({ job: kind }, 'calendar sync paused: the user must sign in again');
    } finally {
      // A renewal still in flight must land before the release, or it would outlive the run.
      await renewal.stop();
      await users.releaseLease(userId, owner);
    }
  }

  /**
   * Throws in a run whose lease another run has taken, or may have taken because it is past the time
   * this run last knew it held it; outside a run (tests, tools) there is none to check.
   */
  #assertLeaseHeld(): void {
    const lease = this.#runLease.getStore();
    if (!lease) return;
    const now = this.#now().getTime();
    if (lease.lost || now >= lease.heldUntil) throw new LeaseLostError();
    lease.progressAt = now;
  }

  /**
   * Renews the lease (by default every third of its length) until stopped. A renewal refused because
   * another run owns the lease now marks the run's lease lost; a renewal that failed (the database did
   * not answer) proves nothing and is tried again at the next tick, while the time the lease is known
   * to be held runs out.
   */
  #keepLease(
    userId: string,
    owner: string,
    ttlMs: number,
    kind: string,
    heldUntil: number,
  ): { readonly lease: RunLease; stop(): Promise<void> } {
    const lease: RunLease = { lost: false, heldUntil, progressAt: this.#now().getTime() };
    let inFlight: Promise<void> = Promise.resolve();
    const maxHoldMs = this.deps.settings.maxLeaseHoldMs ?? 600_000;
    const timer = setInterval(
      () => {
        // A long run that keeps making progress (a big or throttled mailbox) keeps its lease.
        if (this.#now().getTime() - lease.progressAt >= maxHoldMs) {
          clearInterval(timer);
          this.deps.log?.warn(
            { job: kind },
            'calendar sync job ran too long: its mailbox lease is left to expire',
          );
          return;
        }
        inFlight = inFlight.then(async () => {
          if (lease.lost) return;
          const askedAt = this.#now();
          const held = await this.deps.users.renewLease(userId, owner, askedAt, ttlMs).catch(() => undefined);
          if (held === true) lease.heldUntil = Math.max(lease.heldUntil, askedAt.getTime() + ttlMs);
          if (held === false) {
            lease.lost = true;
            this.deps.log?.warn(
              { job: kind },
              'calendar sync lease taken over: the job stops and is retried',
            );
          }
        });
      },
      this.deps.settings.leaseRenewMs ?? Math.max(1, Math.floor(ttlMs / 3)),
    );
    timer.unref();
    return {
      lease,
      stop: () => {
        clearInterval(timer);
        return inFlight;
      },
    };
  }

  /**
   * Subscription work for one mailbox runs one at a time in this process (the lease keeps other
   * processes out), on a fresh read of the user: two subscribe jobs racing on a stale record would
   * each create a Graph subscription.
   */
  #withSubscription(user: SyncUserRecord, work: Work): Promise<void> {
    const previous = this.#subscriptionWork.get(user.userId) ?? Promise.resolve();
    const run = previous
      .catch(() => undefined)
      .then(async () => {
        const fresh = await this.deps.users.find(user.userId);
        if (fresh?.status === 'active') await work(fresh);
      });
    this.#subscriptionWork.set(user.userId, run);
    void run.then(
      () => this.#forget(user.userId, run),
      () => this.#forget(user.userId, run),
    );
    return run;
  }

  /**
   * Resolves when the subscription work of the user's mailbox running in this process (a subscribe or
   * reauthorize job) has ended, or after `timeoutMs`; never rejects. Sign-out waits for it after
   * stopping sync, so that a subscription such a job creates meanwhile is deleted (by the job, which
   * can no longer store it) before the user's tokens go, and before the sign-out answers.
   */
  async subscriptionWorkSettled(userId: string, timeoutMs: number): Promise<void> {
    const run = this.#subscriptionWork.get(userId);
    if (!run) return;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
      timer.unref();
    });
    await Promise.race([run.catch(() => undefined), bound]);
    clearTimeout(timer);
  }

  #forget(userId: string, run: Promise<void>): void {
    if (this.#subscriptionWork.get(userId) === run) this.#subscriptionWork.delete(userId);
  }

  /** A reconciliation of the mailbox, after its subscription was (re)created. */
  #enqueueReconcile(userId: string): Promise<void> {
    return this.deps.queue.enqueue([
      { kind: JOB.reconcile, payload: { userId }, dedupeKey: mailboxJobKey(userId) },
    ]);
  }

  async #openDeltaLink(user: SyncUserRecord): Promise<string | undefined> {
    try {
      return await this.deps.cipher.decrypt(deltaContext(ownerOf(user)), user.deltaLinkCt as string);
    } catch {
      return undefined;
    }
  }

  #sealDeltaLink(owner: MailboxOwner, link: string): Promise<string> {
    return this.deps.cipher.encrypt(deltaContext(owner), link);
  }
}

function ownerOf(user: SyncUserRecord): MailboxOwner {
  return { userId: user.userId, tenantId: user.tenantId };
}

function deltaContext(owner: MailboxOwner) {
  return { tenantId: owner.tenantId, table: 'sync_users', column: 'delta_link', rowId: owner.userId };
}

/**
 * Whether a delta entry for an exception may name a Roomlink meeting: its body holds a join link, or
 * the entry carries no body to tell (the properties that also could are read only with the event).
 */
function mayNameMeeting(entry: Record<string, unknown>): boolean {
  const body = entry.body as { content?: unknown } | undefined;
  return typeof body?.content !== 'string' || body.content.includes('/m/');
}
