/** Reads and writes the open appointment through Office.js, as promises. */
import type { BodyKind } from '../../../server/src/instructions/marker.js';
import {
  type AppointmentComposeLike,
  COERCION,
  type CustomPropertiesLike,
  type OfficeLike,
  officeCall,
} from './office.js';
import { type GraphRecurrence, toGraphRecurrence } from './recurrence.js';

/** The add-in's custom properties on the item (readable in Graph as extended property cecp-<add-in id>). */
export const PROPS = Object.freeze({
  meetingId: 'roomlinkMeetingId',
  joinUrl: 'roomlinkJoinUrl',
  idempotencyKey: 'roomlinkIdempotencyKey',
  /** The exact location entry Roomlink added, so that removal takes out only that. */
  location: 'roomlinkLocation',
});

export interface ItemDetails {
  readonly subject: string;
  readonly start: Date;
  readonly end: Date;
  readonly timeZone: string | null;
  readonly recurrence: GraphRecurrence | null;
}

export interface ItemBody {
  readonly kind: BodyKind;
  readonly content: string;
}

export async function readDetails(office: OfficeLike, item: AppointmentComposeLike): Promise<ItemDetails> {
  const [subject, start, end] = await Promise.all([
    officeCall<string>((cb) => item.subject.getAsync(cb)),
    officeCall<Date>((cb) => item.start.getAsync(cb)),
    officeCall<Date>((cb) => item.end.getAsync(cb)),
  ]);
  let recurrence: GraphRecurrence | null = null;
  let seriesZone: string | undefined;
  if (item.recurrence && typeof item.recurrence.getAsync === 'function') {
    const recurrenceApi = item.recurrence;
    const pattern = toGraphRecurrence(await officeCall((cb) => recurrenceApi.getAsync(cb)));
    // One occurrence opened on its own answers its series' pattern (Office.Recurrence: "Appointment
    // Organizer - Compose Instance"), but its meeting is that occurrence alone: sending the pattern
    // would open the room at every later occurrence, which has no join block.
    if (typeof item.seriesId === 'string' && item.seriesId !== '')
      seriesZone = pattern?.range.recurrenceTimeZone;
    else recurrence = pattern;
  }
  const timeZone =
    // || rather than ??: some clients give an empty time zone, which names none (the API refuses "").
    // The device's zone last: the API refuses a series with no zone (its room opens per occurrence).
    recurrence?.range.recurrenceTimeZone ||
    seriesZone ||
    office.context.mailbox.userProfile?.timeZone ||
    deviceTimeZone() ||
    null;
  return { subject: subject ?? '', start: new Date(start), end: new Date(end), timeZone, recurrence };
}

export async function readBody(item: AppointmentComposeLike): Promise<ItemBody> {
  const { getTypeAsync } = item.body;
  // Outlook mobile offers no getTypeAsync to an online-meeting provider; its bodies are read and
  // written as HTML, as Microsoft's own sample for that surface does.
  const type =
    typeof getTypeAsync === 'function'
      ? await officeCall<string>((cb) => getTypeAsync.call(item.body, cb))
      : COERCION.html;
  const kind: BodyKind = type === COERCION.text ? 'text' : 'html';
  const content = await officeCall<string>((cb) => item.body.getAsync(kind, cb));
  return { kind, content: content ?? '' };
}

export async function writeBody(item: AppointmentComposeLike, body: ItemBody): Promise<void> {
  await officeCall<void>((cb) => item.body.setAsync(body.content, { coercionType: body.kind }, cb));
}

/**
 * Reads the body, applies `change` and writes the result back in the same format. Nothing slow (no
 * network) happens between the read and the write, so the user's text is written back as Outlook gave it.
 */
export async function updateBody(
  item: AppointmentComposeLike,
  change: (body: ItemBody) => string,
): Promise<{ before: ItemBody; after: ItemBody }> {
  const before = await readBody(item);
  const after = { kind: before.kind, content: change(before) };
  if (after.content !== before.content) await writeBody(item, after);
  return { before, after };
}

export function readLocation(item: AppointmentComposeLike): Promise<string> {
  return officeCall<string>((cb) => item.location.getAsync(cb)).then((l) => l ?? '');
}

export function writeLocation(item: AppointmentComposeLike, location: string): Promise<void> {
  return officeCall<void>((cb) => item.location.setAsync(location, cb));
}

/**
 * The item's custom properties as every flow must read them: made to agree with the item's session
 * data when that says anything (agreeWithSession). The agreement is made in memory; the caller's next
 * saveProps keeps it in this runtime.
 */
export async function loadProps(
  office: OfficeLike,
  item: AppointmentComposeLike,
): Promise<CustomPropertiesLike> {
  const props = await officeCall<CustomPropertiesLike>((cb) => item.loadCustomPropertiesAsync(cb));
  const session = await readSessionState(office, item);
  if (session) agreeWithSession(props, session);
  return props;
}

export function saveProps(props: CustomPropertiesLike): Promise<void> {
  return officeCall<void>((cb) => props.saveAsync(cb));
}

export function stringProp(props: CustomPropertiesLike, name: string): string | null {
  const value = props.get(name);
  return typeof value === 'string' && value !== '' ? value : null;
}

/**
 * The meeting id and join URL are also kept in the item's session data (Mailbox 1.11). Classic Outlook
 * on Windows keeps custom properties saved in compose mode only once the item is closed or
 * `item.saveAsync` is called (learn.microsoft.com/office/dev/add-ins/outlook/metadata-for-an-outlook-add-in,
 * and the CustomProperties.saveAsync reference), so its OnAppointmentSend runtime may find none for a
 * meeting added in the same window; session data "is specific to a single mail item" and is shared by
 * the add-in's runtimes for it (learn.microsoft.com/javascript/api/outlook/office.sessiondata).
 */
export interface SessionMeeting {
  readonly meetingId: string;
  readonly joinUrl: string | null;
}

/**
 * The session-data key that says the item's meeting was removed (its value: the removed meeting's id,
 * or REMOVED_UNKNOWN). In classic Outlook the send runtime keeps reading the custom properties the
 * item was last saved with, which still name a meeting the user has removed since (SessionMeeting).
 */
export const SESSION_REMOVED = 'roomlinkRemovedMeetingId';
const REMOVED_UNKNOWN = '*';

/**
 * What the item's session data says of its meeting, written on every change of it since the item was
 * opened: `meeting`, or `removed` (none since the last removal). Null: it says nothing (nothing changed
 * since the item was opened, or there is no session data here).
 */
export type SessionState =
  | {
      readonly kind: 'meeting';
      readonly meeting: SessionMeeting;
      /** The item's idempotency key for that meeting, when the session data holds it. */
      readonly itemKey?: string;
    }
  | { readonly kind: 'removed' };

function sessionData(office: OfficeLike, item: AppointmentComposeLike) {
  // The property can be missing even where Mailbox 1.11 is claimed (github.com/OfficeDev/office-js/issues/4169).
  if (!office.context.requirements?.isSetSupported('Mailbox', '1.11')) return null;
  const data = item.sessionData;
  return data && typeof data.setAsync === 'function' ? data : null;
}

/**
 * Records the item's meeting in its session data, and clears the mark of an earlier removal; never
 * fails. Session data only backs up the custom properties (mobile clients refuse it: FeatureNotEnabled).
 */
export async function writeSessionMeeting(
  office: OfficeLike,
  item: AppointmentComposeLike,
  meeting: { readonly id: string; readonly joinUrl: string },
  itemKey: string | null,
): Promise<void> {
  try {
    const data = sessionData(office, item);
    if (!data) return;
    // The key before the id, so that a runtime finding the id finds the key that goes with it
    // (agreeWithSession); without it the meeting is still recorded (requests then carry no key).
    await officeCall<void>((cb) =>
      itemKey ? data.setAsync(PROPS.idempotencyKey, itemKey, cb) : data.removeAsync(PROPS.idempotencyKey, cb),
    ).catch(() => undefined);
    await officeCall<void>((cb) => data.setAsync(PROPS.meetingId, meeting.id, cb));
    await officeCall<void>((cb) => data.setAsync(PROPS.joinUrl, meeting.joinUrl, cb));
    // Removing a key that is not there may fail. A mark left behind names another meeting than the one
    // just set, so it does not hide it (readSessionState).
    await officeCall<void>((cb) => data.removeAsync(SESSION_REMOVED, cb)).catch(() => undefined);
  } catch {
    // See above.
  }
}

/**
 * Records in the item's session data that it has no meeting any more (`meetingId`: the one removed,
 * when known); never fails. The mark is written first: should the meeting's keys fail to go, a mark
 * naming that same meeting still says it was removed.
 */
export async function writeSessionRemoval(
  office: OfficeLike,
  item: AppointmentComposeLike,
  meetingId: string | null,
): Promise<void> {
  try {
    const data = sessionData(office, item);
    if (!data) return;
    const mark = meetingId ?? REMOVED_UNKNOWN;
    await officeCall<void>((cb) => data.setAsync(SESSION_REMOVED, mark, cb)).catch(() => undefined);
    // Removing a key that is not there may fail: each is tried.
    await officeCall<void>((cb) => data.removeAsync(PROPS.meetingId, cb)).catch(() => undefined);
    await officeCall<void>((cb) => data.removeAsync(PROPS.joinUrl, cb)).catch(() => undefined);
    await officeCall<void>((cb) => data.removeAsync(PROPS.idempotencyKey, cb)).catch(() => undefined);
  } catch {
    // Session data only backs up the custom properties.
  }
}

/**
 * The idempotency key an add claimed for the item before its request, kept in the item's session data
 * too; never fails. In classic Outlook a runtime sees only the custom properties it saved itself until
 * the item is saved (SessionMeeting): the key of an add that made its meeting but could not write it
 * into the item (a description too long for the joining details) is not in the task pane's, nor in the
 * next ribbon command's (a new runtime). Found here, the retry gets that meeting back instead of a
 * second one. The removal of a meeting takes the key out with the rest (writeSessionRemoval).
 */
export async function writeSessionKey(
  office: OfficeLike,
  item: AppointmentComposeLike,
  itemKey: string,
): Promise<void> {
  try {
    const data = sessionData(office, item);
    if (data) await officeCall<void>((cb) => data.setAsync(PROPS.idempotencyKey, itemKey, cb));
  } catch {
    // Session data only backs up the custom properties.
  }
}

/** The key writeSessionKey (or writeSessionMeeting) left in the session data, or null; never fails. */
export async function readSessionKey(
  office: OfficeLike,
  item: AppointmentComposeLike,
): Promise<string | null> {
  try {
    const data = sessionData(office, item);
    if (!data) return null;
    const value = await officeCall<string | null>((cb) => data.getAsync(PROPS.idempotencyKey, cb));
    return typeof value === 'string' && value !== '' ? value : null;
  } catch {
    return null;
  }
}

/** What the item's session data says of its meeting (SessionState), or null; never fails. */
export async function readSessionState(
  office: OfficeLike,
  item: AppointmentComposeLike,
): Promise<SessionState | null> {
  try {
    const data = sessionData(office, item);
    if (!data) return null;
    // A key never set may come back failed or null: both mean none.
    const read = (name: string) =>
      officeCall<string | null>((cb) => data.getAsync(name, cb)).then(
        (v) => (typeof v === 'string' && v !== '' ? v : null),
        () => null,
      );
    const meetingId = await read(PROPS.meetingId);
    const removed = await read(SESSION_REMOVED);
    // Both set: the meeting was added after another's removal (whose mark could not be cleared), or
    // the removal could not take the meeting's keys out (the mark names the same meeting).
    if (meetingId && meetingId !== removed) {
      const meeting = { meetingId, joinUrl: await read(PROPS.joinUrl) };
      const itemKey = await read(PROPS.idempotencyKey);
      return itemKey ? { kind: 'meeting', meeting, itemKey } : { kind: 'meeting', meeting };
    }
    return removed ? { kind: 'removed' } : null;
  } catch {
    return null;
  }
}

/**
 * Makes `props` (one runtime's custom properties) say what the item's session data says of its
 * meeting. The session data comes first: every add and removal since the item was opened wrote it, and
 * every runtime sees it at once, whereas in classic Outlook a runtime's custom properties are its own
 * last save, else those the item was last saved with (SessionMeeting): a task pane or command opened
 * after "add, save, remove" reads the removed meeting there, and after "remove, add again" the removed
 * one instead of the new one. Acting on those would remove, restore or rewrite the wrong meeting.
 */
function agreeWithSession(props: CustomPropertiesLike, session: SessionState): void {
  const recorded = stringProp(props, PROPS.meetingId);
  if (session.kind === 'removed') {
    // What the removal forgot, the key too (adding again makes a new meeting). A key without a meeting
    // is this runtime's own claim for an add under way (add-meeting.ts): kept.
    if (recorded) for (const name of Object.values(PROPS)) props.remove(name);
    return;
  }
  const { meetingId, joinUrl } = session.meeting;
  if (recorded === meetingId) {
    if (joinUrl && !stringProp(props, PROPS.joinUrl)) props.set(PROPS.joinUrl, joinUrl);
    if (session.itemKey) props.set(PROPS.idempotencyKey, session.itemKey);
    return;
  }
  // Another meeting's record (or none): nothing of it goes with this one.
  props.set(PROPS.meetingId, meetingId);
  setOrRemove(props, PROPS.joinUrl, joinUrl);
  setOrRemove(props, PROPS.idempotencyKey, session.itemKey ?? null);
  // The location entry the add wrote is its join URL, when there was room for it; removing an entry
  // that is not listed changes nothing (location-field.ts).
  setOrRemove(props, PROPS.location, joinUrl);
}

function setOrRemove(props: CustomPropertiesLike, name: string, value: string | null): void {
  if (value) props.set(name, value);
  else props.remove(name);
}

/**
 * The meeting the item records: its custom properties as they agree with its session data (loadProps).
 * `props` as the client gave them; left unchanged.
 */
export async function recordedMeeting(
  office: OfficeLike,
  item: AppointmentComposeLike,
  props: CustomPropertiesLike,
): Promise<SessionMeeting | null> {
  const session = await readSessionState(office, item);
  if (session) return session.kind === 'meeting' ? session.meeting : null;
  const meetingId = stringProp(props, PROPS.meetingId);
  return meetingId ? { meetingId, joinUrl: stringProp(props, PROPS.joinUrl) } : null;
}

/** The zone the device shows times in (an IANA name), or undefined where Intl cannot tell. */
function deviceTimeZone(): string | undefined {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || undefined;
  } catch {
    return undefined;
  }
}
