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

export function loadProps(item: AppointmentComposeLike): Promise<CustomPropertiesLike> {
  return officeCall<CustomPropertiesLike>((cb) => item.loadCustomPropertiesAsync(cb));
}

export function saveProps(props: CustomPropertiesLike): Promise<void> {
  return officeCall<void>((cb) => props.saveAsync(cb));
}

export function stringProp(props: CustomPropertiesLike, name: string): string | null {
  const value = props.get(name);
  return typeof value === 'string' && value !== '' ? value : null;
}

/** The zone the device shows times in (an IANA name), or undefined where Intl cannot tell. */
function deviceTimeZone(): string | undefined {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || undefined;
  } catch {
    return undefined;
  }
}
