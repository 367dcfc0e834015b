/**
 * The meeting lifecycle: create (idempotent), read, update, cancel, delete. Sensitive values are
 * encrypted here before they reach the store and decrypted after they leave it.
 */
import type { CipherContext, FieldCipher } from '../../crypto/envelope.js';
import type { Store } from '../../store/store.js';
import type { AuditAction } from '../audit/audit.js';
import { DomainError, SessionEndedError } from '../errors.js';
import { timeOrderedId } from '../ids.js';
import type { Principal } from '../principal.js';
import type { MovedOccurrenceEnd } from '../sync/occurrences.js';
import type { Language, TenantSettings } from '../tenants/tenant.js';
import { HostLinks } from './host-link.js';
import type {
  Meeting,
  MeetingOptions,
  ProviderRoomRef,
  Recurrence,
  RoomDetails,
  StoredMeeting,
} from './meeting.js';
import { refuseExpired, refuseSeriesWithoutZone, validateTimes, validateTimeZone } from './meeting-rules.js';
import type { HandOffRequest, MeetingProvider } from './provider.js';
import { type MeetingAccess, sameItemKey } from './reclaim.js';
import { outlookLimits, type RecurrenceLimits, validateRecurrence } from './recurrence-rules.js';
import {
  cancelledSeriesPurgeDay,
  isOpenEnded,
  purgeAfterDay,
  roomWindow,
  type ScheduledTimes,
  seriesConfirmationDue,
  type WindowPolicy,
} from './window.js';

export interface CreateMeetingInput {
  readonly subject: string;
  readonly start: Date;
  readonly end: Date;
  readonly timeZone?: string | null;
  readonly recurrence?: Recurrence | null;
  readonly idempotencyKey?: string | null;
  readonly options?: Partial<MeetingOptions>;
}

export interface UpdateMeetingInput {
  readonly subject?: string;
  readonly start?: Date;
  readonly end?: Date;
  readonly timeZone?: string | null;
  readonly recurrence?: Recurrence | null;
  readonly options?: Partial<MeetingOptions>;
}

/** How a create or an update is checked, beyond what every write must be. */
export interface MeetingWriteOptions {
  /**
   * The organizer asked for these times (the meetings API): refuse times whose purge day has already
   * come (meeting-rules.ts, refuseExpired), which the next retention run would delete at once. Off for
   * calendar sync, which follows the calendar (a meeting moved there into the far past is left to
   * retention), and for callers that import past meetings on purpose. An update is only refused for
   * a change of its times or recurrence: a meeting still kept can be renamed, or its options changed.
   */
  readonly refuseExpired?: boolean;
  /**
   * The organizer asked for these times: a series must name a time zone Roomlink reads
   * (meeting-rules.ts, refuseSeriesWithoutZone), so that its room opens at each occurrence only. Off
   * for calendar sync, which follows whatever zone the calendar holds. An update is only refused for
   * a change of its times, recurrence or time zone.
   */
  readonly requireSeriesZone?: boolean;
}

export interface MeetingServiceDeps {
  readonly store: Store;
  readonly cipher: FieldCipher;
  readonly providers: ReadonlyMap<string, MeetingProvider>;
  readonly defaultProvider: string;
  readonly window: WindowPolicy;
  readonly now?: () => Date;
  /**
   * A meeting's times or options were changed and committed: its live room (if any) must be checked
   * again, since the room only asks about them when someone joins or at its closing time.
   */
  readonly onUpdated?: (meeting: Meeting) => void;
  /**
   * A meeting moved to `userId` after a new sign-in (#reclaim): calendar sync, which links events to
   * meetings per user, must read that user's calendar afresh to follow it again.
   */
  readonly onReclaimed?: (userId: string) => void;
  /**
   * How far a recurrence's interval and count may go (recurrence-rules.ts): Outlook's limits by
   * default, what the meetings API answers 422 invalid_recurrence beyond. Calendar sync's service is
   * this one with Graph's limits (`withRecurrenceLimits(graphLimits)`, graph/index.ts): it follows the
   * organizer's calendar, which may hold a series another client made beyond Outlook's limits.
   */
  readonly recurrenceLimits?: RecurrenceLimits;
  /**
   * The latest end of an occurrence calendar sync recorded as moved: its room still opens then, so a
   * series' purge day computed again (new times) covers it, as coverMovedOccurrence made it. Sync
   * corrects the records at its next apply of the series. Without it (no calendar sync), none.
   */
  readonly movedOccurrenceEnd?: MovedOccurrenceEnd;
}

const TABLE = 'meetings';
/** Attempts at fresh room codes when a slug or conference id happens to collide. */
const CODE_ATTEMPTS = 5;

export class MeetingService {
  readonly #now: () => Date;
  readonly #recurrenceLimits: RecurrenceLimits;
  /** One-click host links for the organizer, and what the room service asks of their tickets. */
  readonly hostLinks: HostLinks;

  constructor(private readonly deps: MeetingServiceDeps) {
    this.#now = deps.now ?? (() => new Date());
    this.#recurrenceLimits = deps.recurrenceLimits ?? outlookLimits;
    this.hostLinks = new HostLinks({
      meetings: this,
      cipher: deps.cipher,
      audit: deps.store.audit,
      now: this.#now,
    });
  }

  /**
   * The same service (same store, providers, clock and callbacks) checking recurrences against
   * `limits` instead: for calendar sync, which must accept any series Graph holds (graphLimits).
   */
  withRecurrenceLimits(limits: RecurrenceLimits): MeetingService {
    return new MeetingService({ ...this.deps, recurrenceLimits: limits });
  }

  /** Returns the existing meeting (created: false) when the idempotency key was seen before. */
  async create(
    actor: Principal,
    input: CreateMeetingInput,
    writeOptions: MeetingWriteOptions = {},
  ): Promise<{ meeting: Meeting; created: boolean }> {
    validateTimes(input.start, input.end);
    validateTimeZone(input.timeZone);
    validateRecurrence(input.recurrence, this.#recurrenceLimits);
    const key = input.idempotencyKey ?? null;
    if (key) {
      const existing = await this.deps.store.meetings.findByIdempotencyKey(actor.tenantId, actor.userId, key);
      if (existing) return { meeting: await this.#checkedReplay(existing, input), created: false };
    }
    const recurrence = input.recurrence ?? null;
    const times = { start: input.start, end: input.end, timeZone: input.timeZone ?? null, recurrence };
    // Read before ensure: a create refused here writes nothing, not even its tenant's row.
    const known = await this.deps.store.tenants.find(actor.tenantId);
    if (writeOptions.refuseExpired) {
      refuseExpired(times, known?.settings.retentionDays ?? null, null, this.#now());
    }
    if (writeOptions.requireSeriesZone) refuseSeriesWithoutZone(recurrence, times.timeZone);
    const tenant = known ?? (await this.deps.store.tenants.ensure(actor.tenantId, this.#now()));
    const provider = this.#provider(this.deps.defaultProvider);
    const options = resolveOptions(input.options, tenant.settings);
    const window = roomWindow(times, this.deps.window);

    for (let attempt = 0; attempt < CODE_ATTEMPTS; attempt++) {
      const id = timeOrderedId();
      const room = await provider.createRoom({
        meetingId: id,
        tenantId: actor.tenantId,
        options,
        pinLength: tenant.settings.pinLength,
        ...window,
      });
      const at = this.#now().toISOString();
      const plain: SealInput = {
        id,
        tenantId: actor.tenantId,
        organizerId: actor.userId,
        idempotencyKey: key,
        provider: provider.id,
        status: 'scheduled',
        subject: input.subject,
        start: input.start,
        end: input.end,
        timeZone: input.timeZone ?? null,
        recurrence,
        options,
        room,
        purgeAfter: purgeAfterDay(times, tenant.settings.retentionDays),
        seriesSeenOn: null,
        version: 1,
        createdAt: at,
        updatedAt: at,
      };
      let outcome: 'inserted' | 'conflict';
      try {
        const stored = await this.#seal(plain);
        outcome = await this.deps.store.transaction(async (tx) => {
          // The session the request authenticated with must still exist as the insert commits: a
          // sign-out or erasure since then leaves nothing behind (see AuthFlowRepository.holdSession).
          if (actor.sessionKey !== undefined && !(await tx.authFlow.holdSession(actor.sessionKey))) {
            throw new SessionEndedError();
          }
          if ((await tx.meetings.insert(stored)) === 'conflict') return 'conflict';
          await tx.audit.append(auditEntry(actor, 'meeting.created', id), this.#now());
          return 'inserted';
        });
      } catch (error) {
        await discardRoom(provider, room, id);
        throw error;
      }
      // The values are at hand: no need to decrypt what was just encrypted.
      if (outcome === 'inserted') return { meeting: this.#plain(plain), created: true };
      await discardRoom(provider, room, id);
      if (key) {
        // Lost a race with a concurrent request carrying the same key: answer with its meeting.
        const winner = await this.deps.store.meetings.findByIdempotencyKey(actor.tenantId, actor.userId, key);
        if (winner) return { meeting: await this.#checkedReplay(winner, input), created: false };
      }
      // Otherwise a slug or conference id collided: try again with fresh codes.
    }
    throw new DomainError('room_codes_exhausted', 'could not allocate unique room codes');
  }

  async get(actor: Principal, id: string, access: MeetingAccess = {}): Promise<Meeting> {
    return this.#open(await this.#find(actor, id, access));
  }

  async update(
    actor: Principal,
    id: string,
    patch: UpdateMeetingInput,
    writeOptions: MeetingWriteOptions = {},
    access: MeetingAccess = {},
  ): Promise<Meeting> {
    const stored = await this.#find(actor, id, access);
    const current = await this.#open(stored);
    if (current.status === 'cancelled')
      throw new DomainError('meeting_cancelled', 'the meeting was cancelled');
    const start = patch.start ?? current.start;
    const end = patch.end ?? current.end;
    validateTimes(start, end);
    if (patch.timeZone !== undefined) validateTimeZone(patch.timeZone);
    if (patch.recurrence !== undefined) validateRecurrence(patch.recurrence, this.#recurrenceLimits);
    const tenant = await this.deps.store.tenants.ensure(actor.tenantId, this.#now());
    const options: MeetingOptions = { ...current.options, ...definedOnly(patch.options ?? {}) };
    const recurrence = patch.recurrence !== undefined ? patch.recurrence : current.recurrence;
    const timeZone = patch.timeZone !== undefined ? patch.timeZone : current.timeZone;
    const times = { start, end, timeZone, recurrence };
    // Times sent again unchanged (a client that sends every field) are no change. A series' zone
    // places its occurrences, so a new one moves its last end (window.ts, lastEnd).
    const timesChanged =
      start.getTime() !== current.start.getTime() ||
      end.getTime() !== current.end.getTime() ||
      JSON.stringify(recurrence) !== JSON.stringify(current.recurrence) ||
      (recurrence !== null && timeZone !== current.timeZone);
    // Nothing to change (a client that sends back what it read): no new version, audit entry or room
    // update, which would also make a concurrent writer's PATCH fail for nothing.
    if (
      !timesChanged &&
      timeZone === current.timeZone &&
      (patch.subject === undefined || patch.subject === current.subject) &&
      sameOptions(options, current.options)
    )
      return current;
    if (writeOptions.refuseExpired && timesChanged) {
      refuseExpired(times, tenant.settings.retentionDays, current.seriesSeenOn, this.#now());
    }
    if (writeOptions.requireSeriesZone && (timesChanged || patch.timeZone !== undefined)) {
      refuseSeriesWithoutZone(recurrence, timeZone);
    }
    // The day sync last saw the series is kept: it matters again if the series becomes open-ended.
    const window = roomWindow(times, this.deps.window, current.seriesSeenOn);
    const room = await this.#provider(current.provider).updateRoom(current.room, {
      meetingId: id,
      tenantId: actor.tenantId,
      options,
      pinLength: tenant.settings.pinLength,
      ...window,
    });
    const plain: SealInput = {
      ...current,
      idempotencyKey: stored.idempotencyKey,
      subject: patch.subject ?? current.subject,
      start,
      end,
      timeZone,
      recurrence,
      options,
      room,
      purgeAfter: timesChanged
        ? purgeAfterDay(
            times,
            tenant.settings.retentionDays,
            current.seriesSeenOn,
            recurrence ? ((await this.deps.movedOccurrenceEnd?.(id)) ?? null) : null,
          )
        : stored.purgeAfter,
      version: current.version + 1,
      createdAt: stored.createdAt,
      updatedAt: this.#now().toISOString(),
    };
    const next = await this.#seal(plain);
    await this.deps.store.transaction(async (tx) => {
      if (!(await tx.meetings.update(next))) await lostRace(tx.meetings, actor, id);
      await tx.audit.append(auditEntry(actor, 'meeting.updated', id), this.#now());
    });
    const meeting = this.#plain(plain);
    // After the commit: the room service reads the meeting back, and must find the new times and PIN.
    this.deps.onUpdated?.(meeting);
    return meeting;
  }

  /**
   * Cancels the room; the meeting is kept (so the join page can say it was cancelled) until purged.
   * The room's provider ends its live sessions only once the cancellation is committed: a cancel that
   * fails to commit (a lost race, the store unreachable) leaves the meeting and its room as they were,
   * with nobody sent out of a meeting that still exists.
   *
   * A meeting already cancelled is asked of its provider again (providers' `cancelRoom` is
   * idempotent): when the provider failed after an earlier cancellation's commit, its caller got an
   * error, and its retry (the add-in's, or the sync job's) is what ends the room.
   */
  async cancel(actor: Principal, id: string, access: MeetingAccess = {}): Promise<Meeting> {
    const stored = await this.#find(actor, id, access);
    const current = await this.#open(stored);
    const provider = this.#provider(current.provider);
    if (stored.status === 'cancelled') {
      await provider.cancelRoom(current.room, id);
      return current;
    }
    const next: StoredMeeting = {
      ...stored,
      purgeAfter: await this.#purgeOnCancel(stored, current),
      status: 'cancelled',
      version: stored.version + 1,
      updatedAt: this.#now().toISOString(),
    };
    await this.deps.store.transaction(async (tx) => {
      if (!(await tx.meetings.update(next))) await lostRace(tx.meetings, actor, id);
      await tx.audit.append(auditEntry(actor, 'meeting.cancelled', id), this.#now());
    });
    await provider.cancelRoom(current.room, id);
    return this.#open(next);
  }

  /**
   * A cancelled series ends now (or at its first occurrence, if that is still to come): its purge day
   * moves that close, never later, instead of waiting for a last occurrence that will not happen
   * (for a series with no end, 2 years or more away). A single meeting keeps its purge day.
   */
  async #purgeOnCancel(stored: StoredMeeting, current: Meeting): Promise<string> {
    if (!current.recurrence) return stored.purgeAfter;
    const tenant = await this.deps.store.tenants.find(stored.tenantId);
    const day = cancelledSeriesPurgeDay(current.end, this.#now(), tenant?.settings.retentionDays ?? null);
    // ISO days sort as text: the earlier of the two.
    return [day, stored.purgeAfter].sort()[0] ?? stored.purgeAfter;
  }

  /**
   * Calendar sync saw this series, with no end, in the organizer's calendar at `at`: its horizon
   * (room window and purge day) now runs 2 years from that day (window.ts, `lastEnd`). Writes
   * `series_seen_on` and moves the purge day later, never earlier, computed as at creation (the
   * tenant's retention days, or 3 months). Only when the stored day is SERIES_CONFIRM_EVERY_DAYS old
   * or more, so that sync's daily rounds do not write daily; not a change of the meeting: no new
   * version, no audit entry. A cancelled meeting, a series with an end, or a meeting updated
   * meanwhile is left alone. True when it wrote.
   */
  async confirmSeries(actor: Principal, id: string, at: Date): Promise<boolean> {
    const stored = await this.#find(actor, id);
    if (stored.status === 'cancelled' || !seriesConfirmationDue(stored.seriesSeenOn, at)) return false;
    if (!stored.recurrenceCt) return false;
    const times = await this.#seriesTimes(stored, stored.recurrenceCt);
    if (!isOpenEnded(times.recurrence)) return false;
    const tenant = await this.deps.store.tenants.find(actor.tenantId);
    const day = at.toISOString().slice(0, 10);
    return this.deps.store.meetings.confirmSeries({
      tenantId: stored.tenantId,
      id: stored.id,
      version: stored.version,
      seriesSeenOn: day,
      purgeAfter: purgeAfterDay(times, tenant?.settings.retentionDays ?? null, day),
    });
  }

  /**
   * Calendar sync saw an occurrence of this series moved to end at `movedEnd`, after the pattern's
   * last occurrence: the purge day moves later to cover it (window.ts, `purgeAfterDay`), computed as
   * at creation, never earlier. Reads the row first, so that a day already late enough costs no write;
   * not a change of the meeting: no new version, no audit entry. A cancelled meeting, a single one,
   * or one updated meanwhile is left alone (sync tries again at its next round). True when it wrote.
   */
  async coverMovedOccurrence(actor: Principal, id: string, movedEnd: Date): Promise<boolean> {
    const stored = await this.#find(actor, id);
    if (stored.status === 'cancelled' || !stored.recurrenceCt) return false;
    const times = await this.#seriesTimes(stored, stored.recurrenceCt);
    const tenant = await this.deps.store.tenants.find(actor.tenantId);
    const purgeAfter = purgeAfterDay(
      times,
      tenant?.settings.retentionDays ?? null,
      stored.seriesSeenOn,
      movedEnd,
    );
    if (purgeAfter <= stored.purgeAfter) return false;
    return this.deps.store.meetings.extendPurgeAfter({
      tenantId: stored.tenantId,
      id: stored.id,
      version: stored.version,
      purgeAfter,
    });
  }

  /** A series' first occurrence's times, zone and recurrence, decrypted: what its purge day is computed from. */
  async #seriesTimes(stored: StoredMeeting, recurrenceCt: string): Promise<ScheduledTimes> {
    const c = (column: string): CipherContext => ({
      tenantId: stored.tenantId,
      table: TABLE,
      column,
      rowId: stored.id,
    });
    const [start, end, recurrenceJson] = await Promise.all([
      this.deps.cipher.decrypt(c('start'), stored.startCt),
      this.deps.cipher.decrypt(c('end'), stored.endCt),
      this.deps.cipher.decrypt(c('recurrence'), recurrenceCt),
    ]);
    return {
      start: new Date(start),
      end: new Date(end),
      timeZone: stored.timeZone,
      recurrence: JSON.parse(recurrenceJson) as Recurrence,
    };
  }

  /**
   * Cancels the room and deletes the meeting's metadata now, its audit trail included; the deletion
   * itself is recorded as a count, without the meeting's id (which would outlive the meeting).
   */
  async delete(actor: Principal, id: string, access: MeetingAccess = {}): Promise<void> {
    const stored = await this.#find(actor, id, access);
    const current = await this.#open(stored);
    const provider = this.#provider(current.provider);
    if (current.status !== 'cancelled') await provider.cancelRoom(current.room, id);
    await provider.deleteRoom?.(current.room, id);
    await this.deps.store.transaction(async (tx) => {
      await tx.meetings.delete(actor.tenantId, id);
      await tx.audit.append(
        {
          tenantId: actor.tenantId,
          actorId: actor.userId,
          action: 'meeting.deleted',
          details: { meetings: 1 },
        },
        this.#now(),
      );
    });
  }

  /** For the room service: the meeting behind a join link, decrypted, regardless of tenant. */
  async findBySlug(slug: string): Promise<Meeting | undefined> {
    const stored = await this.deps.store.meetings.findBySlug(slug);
    return stored && this.#open(stored);
  }

  /**
   * How Roomlink's join page hands one admitted participant over to the meeting's external engine
   * (the provider's handOff, with the meeting's current options); undefined when the built-in room
   * service holds the meeting.
   */
  handOffFor(
    meeting: Meeting,
  ): ((participant: Omit<HandOffRequest, 'options'>) => Promise<string>) | undefined {
    const provider = this.#provider(meeting.provider);
    const handOff = provider.handOff?.bind(provider);
    if (!handOff) return undefined;
    return (participant) => handOff(meeting.room, { ...participant, options: meeting.options });
  }

  /**
   * What ends the call on an external engine for the meeting's room (the provider's endCall);
   * undefined when the built-in room service holds the meeting.
   */
  endCallFor(meeting: Meeting): (() => Promise<void>) | undefined {
    const provider = this.#provider(meeting.provider);
    const endCall = provider.endCall?.bind(provider);
    if (!endCall) return undefined;
    return () => endCall(meeting.room);
  }

  /**
   * The calls the external engines run now for rooms of this deployment, with their meetings (for the
   * room service, which ends those whose room is no longer open). Engines' other calls are left out.
   */
  async runningEngineCalls(): Promise<ProviderRoomRef[]> {
    const found: ProviderRoomRef[] = [];
    for (const provider of this.deps.providers.values()) {
      if (!provider.runningCalls) continue;
      const refs = await provider.runningCalls();
      if (refs.length === 0) continue;
      found.push(...(await this.deps.store.meetings.findRoomsByProviderRefs(provider.id, refs)));
    }
    return found;
  }

  languageOf(meeting: Meeting, settings: TenantSettings): Language {
    return meeting.options.language ?? settings.defaultLanguage;
  }

  async #find(actor: Principal, id: string, access: MeetingAccess = {}): Promise<StoredMeeting> {
    const stored = await this.deps.store.meetings.findById(actor.tenantId, id);
    if (stored && stored.organizerId === actor.userId) return stored;
    const reclaimed =
      stored && access.itemKey !== undefined && (await this.#reclaim(actor, stored, access.itemKey));
    if (reclaimed) return reclaimed;
    // Another organizer's meeting is as invisible as another tenant's: same answer, no oracle (a
    // wrong item key, or an organizer still signed in, answer the same too).
    throw new DomainError('meeting_not_found', 'no such meeting');
  }

  /**
   * The caller presents the key of the Outlook item that carries this meeting (reclaim.ts): the
   * meeting moves to them if its organizer signed out, which left it with a user row no sign-in will
   * use again. The store's guarded update checks the organizer's status and that the caller has no
   * meeting with that key; undefined when it may not move.
   */
  async #reclaim(
    actor: Principal,
    stored: StoredMeeting,
    itemKey: string,
  ): Promise<StoredMeeting | undefined> {
    if (!sameItemKey(stored.idempotencyKey, itemKey)) return undefined;
    const moved = await this.deps.store.transaction(async (tx) => {
      // As for a create: nothing changes hands for a session revoked meanwhile.
      if (actor.sessionKey !== undefined && !(await tx.authFlow.holdSession(actor.sessionKey))) {
        throw new SessionEndedError();
      }
      const done = await tx.meetings.reassignFromSignedOut({
        tenantId: actor.tenantId,
        id: stored.id,
        fromUserId: stored.organizerId,
        toUserId: actor.userId,
        key: itemKey,
      });
      if (done) {
        await tx.audit.append(
          {
            ...auditEntry(actor, 'meeting.reclaimed', stored.id),
            details: { previousOrganizerId: stored.organizerId },
          },
          this.#now(),
        );
      }
      return done;
    });
    if (moved) {
      this.deps.onReclaimed?.(actor.userId);
      return { ...stored, organizerId: actor.userId };
    }
    // A concurrent request of the same caller (another add-in window) may have taken it first.
    const again = await this.deps.store.meetings.findById(actor.tenantId, stored.id);
    return again && again.organizerId === actor.userId ? again : undefined;
  }

  /** A replayed create must describe the same meeting; a reused key with other data is an error. */
  async #checkedReplay(existing: StoredMeeting, input: CreateMeetingInput): Promise<Meeting> {
    const meeting = await this.#open(existing);
    // The organizer may have edited subject, times or recurrence since (the add-in, calendar sync):
    // the key still names that meeting. Only a meeting never changed since its create can tell a
    // reused key, by a different recurrence shape: one client key per Outlook item was reused for another.
    const unchanged = existing.version === 1;
    if (unchanged && Boolean(meeting.recurrence) !== Boolean(input.recurrence ?? null)) {
      throw new DomainError('idempotency_key_reused', 'this idempotency key belongs to another meeting');
    }
    return meeting;
  }

  #provider(id: string): MeetingProvider {
    const provider = this.deps.providers.get(id);
    if (!provider) throw new Error(`meeting provider "${id}" is not configured`);
    return provider;
  }

  async #seal(m: SealInput): Promise<StoredMeeting> {
    const c = (column: string): CipherContext => ({
      tenantId: m.tenantId,
      table: TABLE,
      column,
      rowId: m.id,
    });
    const enc = (column: string, value: string) => this.deps.cipher.encrypt(c(column), value);
    const [subjectCt, startCt, endCt, recurrenceCt, hostPinCt, guestPinCt] = await Promise.all([
      enc('subject', m.subject),
      enc('start', m.start.toISOString()),
      enc('end', m.end.toISOString()),
      m.recurrence ? enc('recurrence', JSON.stringify(m.recurrence)) : null,
      enc('host_pin', m.room.hostPin),
      m.room.guestPin ? enc('guest_pin', m.room.guestPin) : null,
    ]);
    return {
      id: m.id,
      tenantId: m.tenantId,
      organizerId: m.organizerId,
      idempotencyKey: m.idempotencyKey,
      provider: m.provider,
      status: m.status,
      subjectCt,
      startCt,
      endCt,
      recurrenceCt,
      timeZone: m.timeZone,
      options: m.options,
      slug: m.room.slug,
      conferenceId: m.room.conferenceId,
      hostPinCt,
      guestPinCt,
      providerRef: m.room.providerRef,
      purgeAfter: m.purgeAfter,
      seriesSeenOn: m.seriesSeenOn,
      version: m.version,
      createdAt: m.createdAt,
      updatedAt: m.updatedAt,
    };
  }

  #plain(m: SealInput): Meeting {
    const { idempotencyKey: _key, purgeAfter: _purge, createdAt, updatedAt, ...rest } = m;
    return {
      ...rest,
      room: this.#provider(m.provider).describeRoom(m.room),
      ...roomWindow(m, this.deps.window, m.seriesSeenOn),
      createdAt: new Date(createdAt),
      updatedAt: new Date(updatedAt),
    };
  }

  async #open(s: StoredMeeting): Promise<Meeting> {
    const c = (column: string): CipherContext => ({
      tenantId: s.tenantId,
      table: TABLE,
      column,
      rowId: s.id,
    });
    const dec = (column: string, value: string) => this.deps.cipher.decrypt(c(column), value);
    const [subject, start, end, recurrence, hostPin, guestPin] = await Promise.all([
      dec('subject', s.subjectCt),
      dec('start', s.startCt),
      dec('end', s.endCt),
      s.recurrenceCt ? dec('recurrence', s.recurrenceCt) : null,
      dec('host_pin', s.hostPinCt),
      s.guestPinCt ? dec('guest_pin', s.guestPinCt) : null,
    ]);
    const startDate = new Date(start);
    const endDate = new Date(end);
    const parsedRecurrence = recurrence ? (JSON.parse(recurrence) as Recurrence) : null;
    const details = this.#provider(s.provider).describeRoom({
      slug: s.slug,
      conferenceId: s.conferenceId,
      hostPin,
      guestPin,
      providerRef: s.providerRef,
    });
    return {
      id: s.id,
      tenantId: s.tenantId,
      organizerId: s.organizerId,
      provider: s.provider,
      status: s.status,
      subject,
      start: startDate,
      end: endDate,
      timeZone: s.timeZone,
      recurrence: parsedRecurrence,
      options: s.options,
      room: details,
      ...roomWindow(
        { start: startDate, end: endDate, timeZone: s.timeZone, recurrence: parsedRecurrence },
        this.deps.window,
        s.seriesSeenOn,
      ),
      seriesSeenOn: s.seriesSeenOn,
      version: s.version,
      createdAt: new Date(s.createdAt),
      updatedAt: new Date(s.updatedAt),
    };
  }
}

type SealInput = Omit<Meeting, 'validFrom' | 'validUntil' | 'createdAt' | 'updatedAt'> & {
  readonly idempotencyKey: string | null;
  readonly purgeAfter: string;
  readonly createdAt: string;
  readonly updatedAt: string;
};

function resolveOptions(
  requested: Partial<MeetingOptions> | undefined,
  settings: TenantSettings,
): MeetingOptions {
  return {
    guestPin: requested?.guestPin ?? settings.guestPinDefault,
    lobby: requested?.lobby ?? settings.lobbyDefault,
    ...(requested?.language ? { language: requested.language } : {}),
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function auditEntry(actor: Principal, action: AuditAction, meetingId: string) {
  return {
    tenantId: actor.tenantId,
    actorId: actor.userId,
    action,
    targetType: 'meeting',
    targetId: meetingId,
  };
}

/**
 * A room this create will not use (its insert collided, lost an idempotency race or was refused) is
 * released, so that an external engine does not keep rooms nobody can reach. Best effort: the
 * create's own outcome is what its caller needs, and no join details of the room were handed out.
 */
async function discardRoom(provider: MeetingProvider, room: RoomDetails, meetingId: string): Promise<void> {
  try {
    await provider.deleteRoom?.(room, meetingId);
  } catch {
    // Nothing to undo on our side: the room was never stored.
  }
}

function sameOptions(a: MeetingOptions, b: MeetingOptions): boolean {
  return a.guestPin === b.guestPin && a.lobby === b.lobby && a.language === b.language;
}

/**
 * A guarded write found another version: a change won (409, read again and retry) or a deletion did
 * (404, as a read would now answer: retrying cannot succeed).
 */
async function lostRace(
  meetings: Pick<Store['meetings'], 'findById'>,
  actor: Principal,
  id: string,
): Promise<never> {
  const now = await meetings.findById(actor.tenantId, id);
  if (!now || now.organizerId !== actor.userId) throw new DomainError('meeting_not_found', 'no such meeting');
  throw new DomainError('concurrent_update', 'the meeting changed meanwhile; read it again and retry');
}
