/**
 * Applies organizers' calendar changes to their Roomlink meetings, acting for the organizer:
 * subject and times follow the calendar; a cancelled or deleted event cancels the room; moved or
 * cancelled occurrences of a series become occurrence overrides.
 *
 * Idempotent and order-safe: the version (lastModifiedDateTime, changeKey) last applied is kept per
 * meeting, and an older one never overwrites a newer. Callers serialise work per mailbox (a lease),
 * so a read-compare-write here cannot interleave with another for the same meeting.
 *
 * Events that carry no Roomlink meeting leave no trace: nothing is written for them. Nor do events the
 * mailbox owner does not organise (invitations, which Exchange adds to the calendar by itself), whatever
 * meeting they name: only the organizer's own appointment moves or cancels the organizer's meeting.
 */
import { createHash } from 'node:crypto';
import type { FieldCipher } from '../../crypto/envelope.js';
import { findJoinBlock } from '../../instructions/marker.js';
import { DomainError } from '../errors.js';
import type { Meeting } from '../meetings/meeting.js';
import type { MeetingService, UpdateMeetingInput } from '../meetings/service.js';
import { isOpenEnded, lastEnd, type ScheduledTimes, seriesConfirmationDue } from '../meetings/window.js';
import type { Principal } from '../principal.js';
import { allDayEndAfter, placeAllDayIn } from './all-day.js';
import { type CalendarItem, isOccurrence, type MailboxOwner } from './calendar-item.js';
import { type LinkField, openLinkField, sealLinkField } from './links.js';
import {
  isTimeDerivedKey,
  latestMovedEnd,
  type OccurrenceOverride,
  occurrenceStartOn,
  openAt,
  openEdges,
  openOverride,
  openSchedule,
  type RoomOpenSchedule,
  sealOverride,
  type WindowMargins,
} from './occurrences.js';
import type { EventLinkRecord, LinkKind, SyncStore } from './ports.js';

export type ApplyResult =
  | 'ignored'
  | 'unchanged'
  | 'stale'
  | 'updated'
  | 'cancelled'
  | 'occurrences'
  | 'conflict';

export interface CalendarSyncServiceDeps {
  readonly store: SyncStore;
  readonly meetings: MeetingService;
  readonly cipher: FieldCipher;
  readonly window: WindowMargins;
  readonly now?: () => Date;
  readonly onApplied?: (result: ApplyResult) => void;
  /**
   * A series' moved or cancelled occurrences were saved: its live room (if any) must be checked
   * again, as after an update through the meeting service (which these writes bypass).
   */
  readonly onOccurrencesChanged?: (meetingId: string) => void;
}

interface AppliedVersion {
  readonly lastModified: string;
  readonly changeKey: string;
}

export function eventHash(eventId: string): string {
  return createHash('sha256').update(`graph-event\u001f${eventId}`).digest('hex');
}

export class CalendarSyncService {
  readonly #now: () => Date;

  constructor(private readonly deps: CalendarSyncServiceDeps) {
    this.#now = deps.now ?? (() => new Date());
  }

  /**
   * Applies a single event or a series master (with the series' instances, for overrides).
   * Occurrences and exceptions are applied through their master, but for a meeting made for one
   * occurrence alone (not a series'), which follows that occurrence like a single event. `instancesSince` is the start of
   * the span the instances were read over, when it has one (sync-worker.ts reads a window): an
   * occurrence moved to before it cannot be among them, and its recorded override is kept.
   */
  async applyItem(
    owner: MailboxOwner,
    item: CalendarItem,
    instances: readonly CalendarItem[] = [],
    instancesSince?: Date,
  ): Promise<ApplyResult> {
    const result = await this.#apply(owner, item, instances, instancesSince);
    this.deps.onApplied?.(result);
    return result;
  }

  /** The event is gone from the organizer's calendar: the room is cancelled. */
  async applyDeleted(owner: MailboxOwner, eventId: string): Promise<ApplyResult> {
    const link = await this.deps.store.links.findByEvent(owner.userId, eventHash(eventId));
    if (!link) return this.#report('ignored');
    try {
      await this.deps.meetings.cancel(principalOf(owner), link.meetingId);
    } catch (error) {
      if (!(error instanceof DomainError && error.code === 'meeting_not_found')) throw error;
    }
    await this.deps.store.links.remove(link.meetingId);
    return this.#report('cancelled');
  }

  /** The events this user's meetings follow (ids decrypted), for a round's check of those it did not see. */
  async linkedEvents(userId: string): Promise<{ meetingId: string; eventId: string; kind: LinkKind }[]> {
    const links = await this.deps.store.links.listByUser(userId);
    return Promise.all(
      links.map(async (l) => ({ meetingId: l.meetingId, eventId: await this.#eventId(l), kind: l.kind })),
    );
  }

  async isLinked(userId: string, eventId: string): Promise<boolean> {
    return (await this.deps.store.links.findByEvent(userId, eventHash(eventId))) !== undefined;
  }

  /** Occurrence-aware: is the room of `meeting` open at `at`? */
  async isOpenAt(meeting: Meeting, at: Date): Promise<boolean> {
    const overrides = meeting.recurrence ? await this.overrides(meeting.id) : [];
    return openAt(meeting, overrides, at, this.deps.window);
  }

  /**
   * For the room service, a series' room window: whether the room is open at a time, and when that
   * next changes. Around each occurrence that takes place (occurrences.ts, openSchedule), moved
   * ones at their new times; `nextChange` searches a bounded number of occurrences ahead.
   *
   * A series openSchedule cannot place in time (no readable pattern, no known zone) keeps the window
   * of the whole series, as before occurrences were computed: with `edges` (every instant the answer
   * can change) when occurrences were moved or cancelled, undefined otherwise (the room service then
   * uses the series' first start and last end). Undefined for a single meeting.
   */
  async openSchedule(meeting: Meeting): Promise<RoomOpenSchedule | undefined> {
    if (!meeting.recurrence) return undefined;
    const overrides = await this.overrides(meeting.id);
    const schedule = openSchedule(meeting, overrides, this.deps.window);
    if (schedule) return { isOpenAt: schedule.isOpenAt, nextChange: schedule.nextChange };
    if (overrides.length === 0) return undefined;
    return {
      isOpenAt: (at) => openAt(meeting, overrides, at, this.deps.window),
      edges: openEdges(meeting, overrides, this.deps.window),
    };
  }

  async overrides(meetingId: string): Promise<OccurrenceOverride[]> {
    const records = await this.deps.store.occurrences.list(meetingId);
    return Promise.all(records.map((r) => openOverride(this.deps.cipher, r)));
  }

  #report(result: ApplyResult): ApplyResult {
    this.deps.onApplied?.(result);
    return result;
  }

  async #apply(
    owner: MailboxOwner,
    event: CalendarItem,
    eventInstances: readonly CalendarItem[],
    instancesSince: Date | undefined,
  ): Promise<ApplyResult> {
    const actor = principalOf(owner);
    const hash = eventHash(event.id);
    if (event.isOrganizer === false) {
      await this.#dropInvitationLink(owner, hash);
      return 'ignored';
    }
    const meeting = await this.#meetingOf(owner, event, hash);
    if (!meeting) return 'ignored';
    // An all-day event that named no zone sync knows is placed in the meeting's: the add-in took it
    // from the organizer's mailbox (or the series), whose midnights it stored.
    const item = placeAllDayIn(event, meeting.timeZone);
    const instances = eventInstances.map((i) => placeAllDayIn(i, meeting.timeZone));
    // An occurrence follows its own meeting only, one the add-in made for it alone. An exception that
    // names its series' meeting (its body copied from the master's) is applied through the master,
    // whose overrides already hold its times: applied here it would move the whole series' meeting.
    if (isOccurrence(item) && meeting.recurrence) return 'ignored';
    const link = await this.deps.store.links.findByMeeting(meeting.id);
    // A copy of the appointment carries the same custom properties: the first event keeps the meeting.
    if (link && link.eventHash !== hash) return 'conflict';
    const previous = link ? await this.#version(link) : undefined;
    if (previous) {
      if (previous.changeKey === item.changeKey) {
        // The master is as last applied, but its occurrences are read over a window that moves with
        // the clock: one moved or cancelled beyond the window when that version came is listed only
        // once the window reaches it, with no new changeKey. A no-op when they are as recorded.
        const moved = await this.#followOccurrences(owner, meeting, meeting, item, instances, instancesSince);
        // Sync's daily fresh round reports every event again: an open-ended series still there.
        await this.#confirmSeries(actor, meeting, item);
        return moved ? 'occurrences' : 'unchanged';
      }
      if (item.lastModified < previous.lastModified) return 'stale';
    }
    const kind: LinkKind =
      item.type === 'seriesMaster' ? 'series' : isOccurrence(item) ? 'occurrence' : 'single';
    let result: ApplyResult = 'unchanged';
    if (item.isCancelled) {
      if (meeting.status !== 'cancelled') await this.deps.meetings.cancel(actor, meeting.id);
      result = 'cancelled';
    } else if (meeting.status !== 'cancelled') {
      const patch = changesOf(meeting, item);
      if (Object.keys(patch).length > 0) {
        await this.deps.meetings.update(actor, meeting.id, patch);
        result = 'updated';
      }
      const series: ScheduledTimes = {
        start: patch.start ?? meeting.start,
        end: patch.end ?? meeting.end,
        timeZone: patch.timeZone !== undefined ? patch.timeZone : meeting.timeZone,
        recurrence: patch.recurrence ?? meeting.recurrence,
      };
      const changed = await this.#followOccurrences(owner, meeting, series, item, instances, instancesSince);
      if (changed && result === 'unchanged') result = 'occurrences';
    }
    await this.deps.store.links.upsert(
      {
        meetingId: meeting.id,
        tenantId: owner.tenantId,
        userId: owner.userId,
        eventHash: hash,
        eventIdCt: await this.#seal(owner.tenantId, meeting.id, 'event_id', item.id),
        kind,
        versionCt: await this.#seal(
          owner.tenantId,
          meeting.id,
          'version',
          JSON.stringify({ lastModified: item.lastModified, changeKey: item.changeKey }),
        ),
      },
      this.#now(),
    );
    if (result !== 'cancelled') await this.#confirmSeries(actor, meeting, item);
    return result;
  }

  /**
   * An open-ended series (Graph's `noEnd`) still in the organizer's calendar keeps its room and
   * metadata 2 years from the day it was last seen (MeetingService.confirmSeries, window.ts). The
   * stored day is at hand: most rounds, when it is recent, cost nothing more.
   */
  async #confirmSeries(actor: Principal, meeting: Meeting, item: CalendarItem): Promise<void> {
    if (item.type !== 'seriesMaster' || item.isCancelled || !isOpenEnded(item.recurrence ?? null)) return;
    if (meeting.status === 'cancelled' || !seriesConfirmationDue(meeting.seriesSeenOn, this.#now())) return;
    try {
      await this.deps.meetings.confirmSeries(actor, meeting.id, this.#now());
    } catch (error) {
      if (!(error instanceof DomainError && error.code === 'meeting_not_found')) throw error;
    }
  }

  /**
   * A link an invitation holds (recorded before sync told invitations apart) is let go: through it,
   * the other organizer's moving, cancelling or deleting their event would reach this owner's meeting.
   * The owner's own appointment links again when next applied. Nothing is written otherwise.
   */
  async #dropInvitationLink(owner: MailboxOwner, hash: string): Promise<void> {
    const link = await this.deps.store.links.findByEvent(owner.userId, hash);
    if (link) await this.deps.store.links.remove(link.meetingId);
  }

  /**
   * The organizer's own meeting this item carries, or undefined (then nothing is recorded). Only an
   * event the owner organises: an invitation naming the owner's meeting (an attendee who pasted its
   * join block, or copied its custom property, into an event of their own and invited the owner)
   * carries none.
   */
  async #meetingOf(owner: MailboxOwner, item: CalendarItem, hash: string): Promise<Meeting | undefined> {
    if (item.isOrganizer === false) return undefined;
    const candidates: string[] = [];
    if (item.customMeetingId) candidates.push(item.customMeetingId);
    if (item.body) {
      const block = findJoinBlock(item.body.content, item.body.kind);
      if (block?.meetingId) candidates.push(block.meetingId);
      if (block?.slug) {
        const bySlug = await this.deps.meetings.findBySlug(block.slug);
        if (bySlug) candidates.push(bySlug.id);
      }
    }
    const link = await this.deps.store.links.findByEvent(owner.userId, hash);
    if (link) candidates.push(link.meetingId);
    for (const id of new Set(candidates)) {
      try {
        // get() answers only the organizer's own meetings in their tenant: a join link pasted into
        // someone else's appointment never lets their calendar change the meeting.
        return await this.deps.meetings.get(principalOf(owner), id);
      } catch (error) {
        if (!(error instanceof DomainError && error.code === 'meeting_not_found')) throw error;
      }
    }
    return undefined;
  }

  /**
   * A series' moved and cancelled occurrences, as the master and its instances say now: saved when
   * they differ from those recorded, and the purge day moved to cover an occurrence moved past the
   * series' last one. `series` holds the meeting's times, zone and recurrence as stored after this apply.
   * True when the overrides changed.
   */
  async #followOccurrences(
    owner: MailboxOwner,
    meeting: Meeting,
    series: ScheduledTimes,
    item: CalendarItem,
    instances: readonly CalendarItem[],
    instancesSince: Date | undefined,
  ): Promise<boolean> {
    if (item.type !== 'seriesMaster' || item.isCancelled || meeting.status === 'cancelled') return false;
    const { changed, overrides } = await this.#replaceOverrides(
      owner,
      meeting.id,
      item,
      instances,
      instancesSince,
    );
    if (changed) this.deps.onOccurrencesChanged?.(meeting.id);
    const movedEnd = latestMovedEnd(overrides);
    // Most series end with their pattern, whose last occurrence the stored purge day already covers:
    // only a later one costs a read of the meeting (and a write once).
    if (movedEnd && movedEnd > lastEnd(series, meeting.seriesSeenOn)) {
      try {
        await this.deps.meetings.coverMovedOccurrence(principalOf(owner), meeting.id, movedEnd);
      } catch (error) {
        if (!(error instanceof DomainError && error.code === 'meeting_not_found')) throw error;
      }
    }
    return changed;
  }

  async #replaceOverrides(
    owner: MailboxOwner,
    meetingId: string,
    master: CalendarItem,
    instances: readonly CalendarItem[],
    instancesSince: Date | undefined,
  ): Promise<{ changed: boolean; overrides: OccurrenceOverride[] }> {
    const fresh = seriesOverrides(master, instances);
    const stored = await this.deps.store.occurrences.list(meetingId);
    const before = await Promise.all(stored.map((r) => openOverride(this.deps.cipher, r)));
    const overrides = [...fresh, ...heldBefore(before, fresh, instances, instancesSince)];
    // Rows an earlier version keyed by a hash of their original start are written again.
    if (sameOverrides(before, overrides) && !stored.some((r) => isTimeDerivedKey(r.occurrenceKey))) {
      return { changed: false, overrides };
    }
    const records = await Promise.all(
      overrides.map((o) => sealOverride(this.deps.cipher, owner.tenantId, meetingId, o)),
    );
    await this.deps.store.occurrences.replace(meetingId, records, this.#now());
    return { changed: true, overrides };
  }

  async #version(link: EventLinkRecord): Promise<AppliedVersion | undefined> {
    try {
      return JSON.parse(
        await openLinkField(this.deps.cipher, link, 'version', link.versionCt),
      ) as AppliedVersion;
    } catch {
      return undefined;
    }
  }

  #eventId(link: EventLinkRecord): Promise<string> {
    return openLinkField(this.deps.cipher, link, 'event_id', link.eventIdCt);
  }

  #seal(tenantId: string, meetingId: string, column: LinkField, value: string): Promise<string> {
    return sealLinkField(this.deps.cipher, { tenantId, meetingId }, column, value);
  }
}

function principalOf(owner: MailboxOwner): Principal {
  return { tenantId: owner.tenantId, userId: owner.userId, isTenantAdmin: false };
}

function changesOf(meeting: Meeting, item: CalendarItem): UpdateMeetingInput {
  const patch: { -readonly [K in keyof UpdateMeetingInput]: UpdateMeetingInput[K] } = {};
  if (item.subject !== meeting.subject) patch.subject = item.subject;
  if (item.start.getTime() !== meeting.start.getTime()) patch.start = item.start;
  if (item.end.getTime() !== meeting.end.getTime()) patch.end = item.end;
  if (item.type === 'seriesMaster' && item.recurrence) {
    if (JSON.stringify(item.recurrence) !== JSON.stringify(meeting.recurrence)) {
      patch.recurrence = item.recurrence;
    }
  }
  return patch;
}

/**
 * The overrides a series master and its instances imply: exceptions moved away from their original
 * time, and cancelled occurrences. Graph returns a cancelled or deleted occurrence not as an instance
 * but in the master's cancelledOccurrences; an occurrence that is an instance (moved, re-instated or
 * listed twice) is never also taken as cancelled.
 */
export function seriesOverrides(
  master: CalendarItem,
  instances: readonly CalendarItem[],
): OccurrenceOverride[] {
  const duration = master.end.getTime() - master.start.getTime();
  // An all-day series' occurrences end at midnight, however long their days (all-day.ts).
  const endAfter = (start: Date) => allDayEndAfter(master, start) ?? new Date(start.getTime() + duration);
  const overrides = new Map<number, OccurrenceOverride>();
  const present = new Set<number>();
  for (const i of instances) {
    if (!i.originalStart) continue;
    present.add(i.originalStart.getTime());
    const originalEnd = endAfter(i.originalStart);
    const moved =
      i.start.getTime() !== i.originalStart.getTime() || i.end.getTime() !== originalEnd.getTime();
    if (i.isCancelled || (i.type === 'exception' && moved)) {
      overrides.set(i.originalStart.getTime(), {
        originalStart: i.originalStart,
        originalEnd,
        start: i.start,
        end: i.end,
        cancelled: i.isCancelled,
      });
    }
  }
  const clock = {
    start: master.start,
    timeZone: master.seriesTimeZone,
    rangeStartDate: rangeStartDate(master.recurrence),
  };
  for (const date of master.cancelledOccurrenceDates) {
    const originalStart = occurrenceStartOn(clock, date);
    if (!originalStart || present.has(originalStart.getTime()) || overrides.has(originalStart.getTime())) {
      continue;
    }
    const originalEnd = endAfter(originalStart);
    overrides.set(originalStart.getTime(), {
      originalStart,
      originalEnd,
      start: originalStart,
      end: originalEnd,
      cancelled: true,
    });
  }
  return [...overrides.values()];
}

/**
 * Recorded moves of occurrences held before `since`, the start of the span the instances were read
 * over: Graph could not list them, and what happened stays as recorded (it still dates the series'
 * end, for the purge day). One the master or the instances speak of again is theirs to say.
 */
function heldBefore(
  recorded: readonly OccurrenceOverride[],
  fresh: readonly OccurrenceOverride[],
  instances: readonly CalendarItem[],
  since: Date | undefined,
): OccurrenceOverride[] {
  if (!since) return [];
  const spoken = new Set([
    ...fresh.map((o) => o.originalStart.getTime()),
    ...instances.flatMap((i) => (i.originalStart ? [i.originalStart.getTime()] : [])),
  ]);
  return recorded.filter(
    (o) => !o.cancelled && o.end.getTime() <= since.getTime() && !spoken.has(o.originalStart.getTime()),
  );
}

function rangeStartDate(recurrence: CalendarItem['recurrence']): string | null {
  const range = recurrence?.range as { startDate?: unknown } | undefined;
  return typeof range?.startDate === 'string' ? range.startDate : null;
}

function sameOverrides(a: readonly OccurrenceOverride[], b: readonly OccurrenceOverride[]): boolean {
  const key = (o: OccurrenceOverride) =>
    `${o.originalStart.toISOString()}|${o.start.toISOString()}|${o.end.toISOString()}|${o.cancelled}`;
  const left = a.map(key).sort();
  const right = b.map(key).sort();
  return left.length === right.length && left.every((k, i) => k === right[i]);
}
