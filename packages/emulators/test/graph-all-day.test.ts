/**
 * All-day events as Graph returns them: start and end are the event's own midnights, floating and
 * labelled UTC, whatever zone outlook.timezone asks for; the calendar view and an occurrence's
 * originalStart still go by the instants those midnights are in the organizer's zone.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ALICE, type GraphHarness, startGraphHarness } from './support/graph-harness.js';

const SYDNEY = 'AUS Eastern Standard Time';
const midnight = (date: string) => ({ dateTime: `${date}T00:00:00`, timeZone: SYDNEY });

describe('Graph emulator: all-day events', () => {
  let h: GraphHarness;

  beforeEach(async () => {
    h = await startGraphHarness();
    h.emulator.upsertUser({ oid: ALICE, displayName: 'Alice Organizer', mail: 'alice@contoso.test' });
  });
  afterEach(async () => {
    await h.close();
  });

  const read = async (path: string, zone?: string) =>
    (await (
      await h.graph(path, zone ? { headers: { prefer: `outlook.timezone="${zone}"` } } : {})
    ).json()) as Record<string, unknown>;

  it('returns floating midnights labelled UTC, whatever zone is preferred', async () => {
    const event = h.emulator.createEvent(ALICE, {
      subject: 'Offsite',
      isAllDay: true,
      start: midnight('2027-01-15'),
      end: midnight('2027-01-16'),
    });
    for (const zone of [undefined, 'UTC', 'Pacific Standard Time', SYDNEY]) {
      const got = await read(`/me/events/${event.id}`, zone);
      expect(got.isAllDay).toBe(true);
      expect(got.originalStartTimeZone).toBe(SYDNEY);
      expect(got.start).toEqual({ dateTime: '2027-01-15T00:00:00.0000000', timeZone: 'UTC' });
      expect(got.end).toEqual({ dateTime: '2027-01-16T00:00:00.0000000', timeZone: 'UTC' });
    }
    // A timed event is still shown in the zone asked for.
    const timed = h.emulator.createEvent(ALICE, {
      subject: 'Call',
      start: { dateTime: '2027-01-15T09:00:00', timeZone: SYDNEY },
      end: { dateTime: '2027-01-15T10:00:00', timeZone: SYDNEY },
    });
    expect((await read(`/me/events/${timed.id}`, 'UTC')).start).toEqual({
      dateTime: '2027-01-14T22:00:00.0000000',
      timeZone: 'UTC',
    });
  });

  it('lists an all-day event in the calendar view by its midnights in its own zone', async () => {
    h.emulator.createEvent(ALICE, {
      subject: 'Offsite',
      isAllDay: true,
      start: midnight('2027-01-15'),
      end: midnight('2027-01-16'),
    });
    const view = async (start: string, end: string) =>
      ((await read(`/me/calendarView?startDateTime=${start}&endDateTime=${end}`)).value as unknown[]).length;
    // Sydney's 15 January (AEDT, UTC+11) is 14 Jan 13:00Z to 15 Jan 13:00Z.
    expect(await view('2027-01-14T12:00:00Z', '2027-01-14T13:30:00Z')).toBe(1);
    expect(await view('2027-01-15T14:00:00Z', '2027-01-15T20:00:00Z')).toBe(0);
  });

  it('gives an all-day series occurrences floating midnights and originalStart as an instant', async () => {
    const master = h.emulator.createEvent(ALICE, {
      subject: 'Leave',
      isAllDay: true,
      start: midnight('2027-01-15'),
      end: midnight('2027-01-16'),
      recurrence: {
        pattern: { type: 'daily', interval: 1 },
        range: {
          type: 'numbered',
          startDate: '2027-01-15',
          numberOfOccurrences: 3,
          recurrenceTimeZone: SYDNEY,
        },
      },
    });
    const got = await read(
      `/me/events/${master.id}/instances?startDateTime=2027-01-01T00:00:00Z&endDateTime=2027-02-01T00:00:00Z`,
      'UTC',
    );
    const instances = got.value as Record<string, unknown>[];
    expect(instances.map((i) => (i.start as { dateTime: string }).dateTime)).toEqual([
      '2027-01-15T00:00:00.0000000',
      '2027-01-16T00:00:00.0000000',
      '2027-01-17T00:00:00.0000000',
    ]);
    expect(instances.map((i) => i.originalStart)).toEqual([
      '2027-01-14T13:00:00Z',
      '2027-01-15T13:00:00Z',
      '2027-01-16T13:00:00Z',
    ]);
  });

  it('moves a start or end off midnight out to the midnight of its day', async () => {
    const event = h.emulator.createEvent(ALICE, {
      subject: 'Sloppy',
      isAllDay: true,
      start: { dateTime: '2027-01-15T13:00:00', timeZone: SYDNEY },
      end: { dateTime: '2027-01-16T09:00:00', timeZone: SYDNEY },
    });
    const got = await read(`/me/events/${event.id}`, 'UTC');
    expect(got.start).toEqual({ dateTime: '2027-01-15T00:00:00.0000000', timeZone: 'UTC' });
    expect(got.end).toEqual({ dateTime: '2027-01-17T00:00:00.0000000', timeZone: 'UTC' });
  });
});
