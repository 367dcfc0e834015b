/**
 * The organizers' calendars. Items are single events and series masters; occurrences are computed from
 * a master's recurrence, exceptions are per-occurrence overrides and cancelled occurrences are holes.
 * Every change bumps the item's changeKey and is reported to listeners (change notifications).
 */
import { GraphError, itemNotFound } from './errors.js';
import { type EventFields, parseEventInput } from './event-input.js';
import { ExtendedProperties } from './extended-properties.js';
import { type EventRef, newChangeKey, newICalUId, newItemKey, occurrenceICalUId } from './ids.js';
import { isOccurrenceStart, occurrenceStarts, type SeriesTiming } from './recurrence.js';
import { requireZone, wallClock } from './time.js';
import type { EventType, PatternedRecurrence, Recipient, SingleValueExtendedProperty } from './types.js';

/**
 * An invitation: the attendee's copy of an event someone else organises, which Exchange puts in the
 * attendee's calendar. The organizer's updates reach it; their cancellation marks it cancelled
 * (isCancelled) and leaves it in the calendar until the attendee removes it.
 */
export interface Invitation {
  readonly organizer: Recipient;
  readonly isCancelled: boolean;
}

interface StoredException {
  originalStart: number;
  createdAt: number;
  lastModifiedAt: number;
  changeKey: string;
  overrides: Partial<EventFields>;
  /** Outlook does not carry a series' custom properties over to an exception (office-js #1508). */
  extendedProperties: ExtendedProperties;
}

interface StoredItem {
  key: string;
  ownerOid: string;
  createdAt: number;
  lastModifiedAt: number;
  changeKey: string;
  iCalUId: string;
  fields: EventFields;
  extendedProperties: ExtendedProperties;
  /** Non-null for a series master. */
  recurrence: PatternedRecurrence | null;
  exceptions: Map<number, StoredException>;
  cancelled: Set<number>;
  /** Set for an invitation (an event the calendar's owner does not organise). */
  invitation: Invitation | null;
}

/** One event as a client sees it: a single instance, a series master, an occurrence or an exception. */
export interface EventInstance {
  readonly ref: EventRef;
  readonly ownerOid: string;
  readonly type: EventType;
  readonly fields: EventFields;
  readonly changeKey: string;
  readonly createdAt: number;
  readonly lastModifiedAt: number;
  readonly iCalUId: string;
  readonly recurrence: PatternedRecurrence | null;
  readonly seriesMasterKey?: string;
  readonly originalStart?: number;
  readonly extendedProperties: ExtendedProperties;
  /** Changes whenever anything this instance shows changes (delta compares it). */
  readonly version: string;
  /** For series masters: the ids Graph lists in cancelledOccurrences, as occurrence refs. */
  readonly cancelledOccurrences: readonly number[];
  /** Set for an invitation, and for each instance of an invitation's series. */
  readonly invitation: Invitation | null;
}

export type ChangeType = 'created' | 'updated' | 'deleted';

/** What a change notification reports: always the stored item (series master, not occurrence). */
export interface StoreChange {
  ownerOid: string;
  ref: EventRef;
  changeType: ChangeType;
  changeKey: string;
}

interface BuiltOccurrences {
  changeKey: string;
  byStart: Map<number, EventInstance>;
}

/** Bounds the occurrences kept per series (see CalendarStore.builtOccurrences). */
const MAX_BUILT_OCCURRENCES = 10_000;

const overlaps = (start: number, end: number, windowStart: number, windowEnd: number): boolean =>
  start < windowEnd && (end > windowStart || (start === end && start >= windowStart));

export class CalendarStore {
  private readonly calendars = new Map<string, Map<string, StoredItem>>();
  /**
   * Each mailbox's Deleted Items folder. Graph's cancel "moves the event to the Deleted Items folder",
   * and so does a delete in Outlook or through Graph; an immutable id does not change when its item
   * moves, so GET /events/{id} still finds the item there, while calendarView and its delta no longer
   * list it. Deleting it again, or permanentDelete, purges it (then 404).
   */
  private readonly deletedItems = new Map<string, Map<string, StoredItem>>();
  private readonly listeners = new Set<(change: StoreChange) => void>();
  /**
   * Occurrences already built, per series and for its current changeKey. A client pages through
   * calendarView, its delta and instances, and every page expands the whole window again; building
   * an occurrence (deep copies of the master's fields) was most of the cost. Sharing them is safe as
   * nothing mutates an EventInstance: serializing copies what it returns.
   */
  private readonly built = new WeakMap<StoredItem, BuiltOccurrences>();

  constructor(private readonly now: () => Date) {}

  onChange(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  clear(): void {
    this.calendars.clear();
    this.deletedItems.clear();
  }

  /** `invitedBy`: the item is an invitation from that organizer, not the owner's own event. */
  create(ownerOid: string, input: unknown, invitedBy?: Recipient): EventInstance {
    const now = this.now().getTime();
    const parsed = parseEventInput(input, undefined, now);
    const item: StoredItem = {
      key: newItemKey(),
      ownerOid,
      createdAt: now,
      lastModifiedAt: now,
      changeKey: newChangeKey(),
      iCalUId: newICalUId(now),
      fields: parsed.fields,
      extendedProperties: new ExtendedProperties(),
      recurrence: parsed.recurrence ?? null,
      exceptions: new Map(),
      cancelled: new Set(),
      invitation: invitedBy ? { organizer: structuredClone(invitedBy), isCancelled: false } : null,
    };
    for (const p of parsed.extendedProperties ?? []) item.extendedProperties.set(p.id, p.value);
    this.calendar(ownerOid).set(item.key, item);
    this.emit(item, 'created');
    return this.itemInstance(item);
  }

  /** Finds the item in the calendar or in Deleted Items, as a GET by (immutable) id does. */
  get(ownerOid: string, ref: EventRef): EventInstance | undefined {
    const item = this.calendars.get(ownerOid)?.get(ref.key) ?? this.deletedItems.get(ownerOid)?.get(ref.key);
    if (!item) return undefined;
    if (ref.occurrenceStart === undefined) return this.itemInstance(item);
    if (!this.hasOccurrence(item, ref.occurrenceStart)) return undefined;
    return this.occurrenceInstance(item, ref.occurrenceStart);
  }

  update(ownerOid: string, ref: EventRef, patch: unknown): EventInstance {
    const item = this.require(ownerOid, ref);
    const now = this.now().getTime();
    if (ref.occurrenceStart !== undefined)
      return this.updateOccurrence(item, ref.occurrenceStart, patch, now);
    const parsed = parseEventInput(patch, item.fields, now);
    const timingChanged =
      parsed.changed.has('start') || parsed.changed.has('end') || parsed.recurrence !== undefined;
    item.fields = parsed.fields;
    if (parsed.recurrence !== undefined) item.recurrence = parsed.recurrence;
    // Outlook drops exceptions and deletions when a series' time or pattern changes.
    if (timingChanged) {
      item.exceptions.clear();
      item.cancelled.clear();
    }
    for (const p of parsed.extendedProperties ?? []) item.extendedProperties.set(p.id, p.value);
    this.touch(item, now);
    this.emit(item, 'updated');
    return this.itemInstance(item);
  }

  /**
   * Deletes one occurrence of a series (which then is a cancelled occurrence), or moves an item to
   * Deleted Items; an item already there is purged.
   */
  delete(ownerOid: string, ref: EventRef): void {
    if (ref.occurrenceStart === undefined && this.deletedItems.get(ownerOid)?.delete(ref.key)) return;
    const item = this.require(ownerOid, ref);
    if (ref.occurrenceStart !== undefined) {
      // Like Graph: an occurrence the series never had, or one already deleted, is not found.
      if (!this.hasOccurrence(item, ref.occurrenceStart)) throw itemNotFound();
      item.exceptions.delete(ref.occurrenceStart);
      item.cancelled.add(ref.occurrenceStart);
      this.touch(item, this.now().getTime());
      this.emit(item, 'updated');
      return;
    }
    this.calendar(ownerOid).delete(item.key);
    this.folder(this.deletedItems, ownerOid).set(item.key, item);
    this.emit(item, 'deleted');
  }

  /** The organizer of an invitation cancels it: the attendee's copy stays, marked cancelled. */
  cancelInvitation(ownerOid: string, ref: EventRef): EventInstance {
    const item = this.require(ownerOid, ref);
    if (ref.occurrenceStart !== undefined || !item.invitation) {
      throw new Error('Not an invitation (an occurrence of one is cancelled through its series)');
    }
    item.invitation = { ...item.invitation, isCancelled: true };
    this.touch(item, this.now().getTime());
    this.emit(item, 'updated');
    return this.itemInstance(item);
  }

  /** POST /events/{id}/permanentDelete: gone from the calendar or Deleted Items alike. */
  permanentDelete(ownerOid: string, ref: EventRef): void {
    if (ref.occurrenceStart !== undefined) throw itemNotFound();
    if (this.deletedItems.get(ownerOid)?.delete(ref.key)) return;
    const item = this.require(ownerOid, ref);
    this.calendar(ownerOid).delete(item.key);
    this.emit(item, 'deleted');
  }

  setExtendedProperty(ownerOid: string, ref: EventRef, property: SingleValueExtendedProperty): EventInstance {
    return this.update(ownerOid, ref, { singleValueExtendedProperties: [property] });
  }

  /** Series masters and single instances (what GET /events lists), oldest first. */
  listItems(ownerOid: string): EventInstance[] {
    return [...(this.calendars.get(ownerOid)?.values() ?? [])]
      .sort((a, b) => a.createdAt - b.createdAt)
      .map((item) => this.itemInstance(item));
  }

  /** What a calendarView over [windowStart, windowEnd) shows: no masters, sorted by start. */
  instancesInWindow(ownerOid: string, windowStart: number, windowEnd: number): EventInstance[] {
    const result: EventInstance[] = [];
    for (const item of this.calendars.get(ownerOid)?.values() ?? []) {
      if (item.recurrence) result.push(...this.seriesWindow(item, windowStart, windowEnd));
      else if (overlaps(item.fields.start, item.fields.end, windowStart, windowEnd)) {
        result.push(this.itemInstance(item));
      }
    }
    return result.sort((a, b) => a.fields.start - b.fields.start || a.ref.key.localeCompare(b.ref.key));
  }

  /** Occurrences and exceptions of one series within a window (GET /events/{id}/instances). */
  seriesInstances(ownerOid: string, key: string, windowStart: number, windowEnd: number): EventInstance[] {
    // The master's recurrence still expands while it sits in Deleted Items.
    const item = this.deletedItems.get(ownerOid)?.get(key) ?? this.require(ownerOid, { key });
    if (!item.recurrence) return [];
    return this.seriesWindow(item, windowStart, windowEnd).sort((a, b) => a.fields.start - b.fields.start);
  }

  private seriesWindow(item: StoredItem, windowStart: number, windowEnd: number): EventInstance[] {
    const timing = this.timing(item);
    const occurrence = this.builtOccurrences(item);
    const result: EventInstance[] = [];
    for (const start of occurrenceStarts(timing, windowStart, windowEnd)) {
      if (item.cancelled.has(start) || item.exceptions.has(start)) continue;
      result.push(occurrence(start));
    }
    for (const exception of item.exceptions.values()) {
      const instance = occurrence(exception.originalStart);
      if (overlaps(instance.fields.start, instance.fields.end, windowStart, windowEnd)) result.push(instance);
    }
    return result;
  }

  /** occurrenceInstance for seriesWindow, reusing what an earlier window built (see `built`). */
  private builtOccurrences(item: StoredItem): (originalStart: number) => EventInstance {
    let entry = this.built.get(item);
    // Every change of an item, its exceptions or cancellations included, gives it a new changeKey.
    if (entry?.changeKey !== item.changeKey || entry.byStart.size >= MAX_BUILT_OCCURRENCES) {
      entry = { changeKey: item.changeKey, byStart: new Map() };
      this.built.set(item, entry);
    }
    const { byStart } = entry;
    return (originalStart) => {
      let instance = byStart.get(originalStart);
      if (!instance) {
        instance = this.occurrenceInstance(item, originalStart);
        byStart.set(originalStart, instance);
      }
      return instance;
    };
  }

  private updateOccurrence(
    item: StoredItem,
    originalStart: number,
    patch: unknown,
    now: number,
  ): EventInstance {
    if (!this.hasOccurrence(item, originalStart)) throw itemNotFound();
    if (typeof patch === 'object' && patch !== null && 'recurrence' in patch) {
      throw new GraphError(400, 'ErrorInvalidRequest', 'The recurrence of an occurrence cannot be changed.');
    }
    const current = this.occurrenceInstance(item, originalStart);
    const parsed = parseEventInput(patch, current.fields, now);
    let exception = item.exceptions.get(originalStart);
    if (!exception) {
      exception = {
        originalStart,
        createdAt: now,
        lastModifiedAt: now,
        changeKey: newChangeKey(),
        overrides: {},
        extendedProperties: new ExtendedProperties(),
      };
      item.exceptions.set(originalStart, exception);
    }
    const overrides = exception.overrides as Record<string, unknown>;
    for (const key of parsed.changed) overrides[key] = parsed.fields[key];
    for (const p of parsed.extendedProperties ?? []) exception.extendedProperties.set(p.id, p.value);
    exception.lastModifiedAt = now;
    exception.changeKey = newChangeKey();
    // The exception lives inside the master's item in the mailbox, so the master changes too.
    this.touch(item, now);
    this.emit(item, 'updated');
    return this.occurrenceInstance(item, originalStart);
  }

  private hasOccurrence(item: StoredItem, originalStart: number): boolean {
    if (!item.recurrence || item.cancelled.has(originalStart)) return false;
    return item.exceptions.has(originalStart) || isOccurrenceStart(this.timing(item), originalStart);
  }

  private timing(item: StoredItem): SeriesTiming {
    const recurrence = item.recurrence as PatternedRecurrence;
    return {
      recurrence,
      seriesStart: item.fields.start,
      duration: item.fields.end - item.fields.start,
      zone: requireZone(recurrence.range.recurrenceTimeZone || item.fields.startTimeZone),
    };
  }

  private itemInstance(item: StoredItem): EventInstance {
    return {
      ref: { key: item.key },
      ownerOid: item.ownerOid,
      type: item.recurrence ? 'seriesMaster' : 'singleInstance',
      fields: structuredClone(item.fields),
      changeKey: item.changeKey,
      createdAt: item.createdAt,
      lastModifiedAt: item.lastModifiedAt,
      iCalUId: item.iCalUId,
      recurrence: item.recurrence ? structuredClone(item.recurrence) : null,
      extendedProperties: item.extendedProperties.clone(),
      version: item.changeKey,
      cancelledOccurrences: [...item.cancelled].sort((a, b) => a - b),
      invitation: item.invitation,
    };
  }

  private occurrenceInstance(item: StoredItem, originalStart: number): EventInstance {
    const exception = item.exceptions.get(originalStart);
    const duration = item.fields.end - item.fields.start;
    const fields: EventFields = {
      ...structuredClone(item.fields),
      start: originalStart,
      end: originalStart + duration,
      ...structuredClone(exception?.overrides ?? {}),
    };
    const date = new Date(wallClock(originalStart, this.timing(item).zone));
    return {
      ref: { key: item.key, occurrenceStart: originalStart },
      ownerOid: item.ownerOid,
      type: exception ? 'exception' : 'occurrence',
      fields,
      changeKey: exception?.changeKey ?? item.changeKey,
      createdAt: exception?.createdAt ?? item.createdAt,
      lastModifiedAt: exception?.lastModifiedAt ?? item.lastModifiedAt,
      iCalUId: occurrenceICalUId(
        item.iCalUId,
        date.getUTCFullYear(),
        date.getUTCMonth() + 1,
        date.getUTCDate(),
      ),
      recurrence: null,
      seriesMasterKey: item.key,
      originalStart,
      extendedProperties: exception ? exception.extendedProperties.clone() : item.extendedProperties.clone(),
      version: exception ? `${item.changeKey}/${exception.changeKey}` : item.changeKey,
      cancelledOccurrences: [],
      invitation: item.invitation,
    };
  }

  private touch(item: StoredItem, now: number): void {
    item.lastModifiedAt = now;
    item.changeKey = newChangeKey();
  }

  private require(ownerOid: string, ref: EventRef): StoredItem {
    const item = this.calendars.get(ownerOid)?.get(ref.key);
    if (!item) throw itemNotFound();
    return item;
  }

  private calendar(ownerOid: string): Map<string, StoredItem> {
    return this.folder(this.calendars, ownerOid);
  }

  private folder(folders: Map<string, Map<string, StoredItem>>, ownerOid: string): Map<string, StoredItem> {
    let folder = folders.get(ownerOid);
    if (!folder) {
      folder = new Map();
      folders.set(ownerOid, folder);
    }
    return folder;
  }

  private emit(item: StoredItem, changeType: ChangeType): void {
    const change: StoreChange = {
      ownerOid: item.ownerOid,
      ref: { key: item.key },
      changeType,
      changeKey: item.changeKey,
    };
    for (const listener of this.listeners) listener(change);
  }
}
