import { describe, expect, it } from 'vitest';
import { EVENT_SELECT, graphAllDayDates, graphDateTime, INSTANCE_SELECT, toCalendarItem } from './events.js';

const ADDIN = 'addin';
const floating = (date: string, timeZone = 'UTC') => ({ dateTime: `${date}T00:00:00.0000000`, timeZone });

/** An all-day event on 15 January 2027 as Graph returns it (sync asks for outlook.timezone="UTC"). */
function allDay(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'e1',
    type: 'singleInstance',
    subject: 'Offsite',
    isAllDay: true,
    originalStartTimeZone: 'AUS Eastern Standard Time',
    start: floating('2027-01-15'),
    end: floating('2027-01-16'),
    lastModifiedDateTime: '2027-01-01T00:00:00Z',
    changeKey: 'ck',
    ...extra,
  };
}

describe('Graph event times', () => {
  it('asks Graph for isAllDay and the zone an event was written in, once each', () => {
    for (const select of [INSTANCE_SELECT, EVENT_SELECT]) {
      const fields = select.split(',');
      expect(fields).toContain('isAllDay');
      expect(fields).toContain('originalStartTimeZone');
      expect(new Set(fields).size).toBe(fields.length);
    }
  });

  it('reads a timed event in UTC and refuses another zone (sync asks for UTC)', () => {
    expect(graphDateTime({ dateTime: '2025-03-01T10:00:00.0000000', timeZone: 'UTC' })).toEqual(
      new Date('2025-03-01T10:00:00Z'),
    );
    expect(
      graphDateTime({ dateTime: '2025-03-01T10:00:00.0000000', timeZone: 'Pacific Standard Time' }),
    ).toBe(undefined);
  });

  it("places an all-day event at its organizer's midnights (Windows zone name)", () => {
    const item = toCalendarItem(allDay(), ADDIN);
    // Sydney is at UTC+11 in January: 15 Jan 00:00 local is 14 Jan 13:00Z.
    expect(item?.start).toEqual(new Date('2027-01-14T13:00:00Z'));
    expect(item?.end).toEqual(new Date('2027-01-15T13:00:00Z'));
    expect(item?.allDay).toEqual({
      startDate: '2027-01-15',
      endDate: '2027-01-16',
      timeZone: 'AUS Eastern Standard Time',
    });
  });

  it('places a US organizer’s all-day event (IANA zone name) and a day with a clock change', () => {
    const item = toCalendarItem(
      allDay({
        originalStartTimeZone: 'America/New_York',
        start: floating('2027-03-14'),
        end: floating('2027-03-15'),
      }),
      ADDIN,
    );
    // 14 March 2027: New York moves from EST (UTC-5) to EDT (UTC-4); the day is 23 hours long.
    expect(item?.start).toEqual(new Date('2027-03-14T05:00:00Z'));
    expect(item?.end).toEqual(new Date('2027-03-15T04:00:00Z'));
  });

  it('is not skipped when Graph labels its times with the event’s zone, which then places them', () => {
    const item = toCalendarItem(
      allDay({
        originalStartTimeZone: 'UTC',
        start: floating('2027-01-15', 'Pakistan Standard Time'),
        end: floating('2027-01-16', 'Pakistan Standard Time'),
      }),
      ADDIN,
    );
    expect(item?.start).toEqual(new Date('2027-01-14T19:00:00Z'));
    expect(item?.end).toEqual(new Date('2027-01-15T19:00:00Z'));
  });

  it("a series master's recurrence zone places it when the event names no other", () => {
    const item = toCalendarItem(
      allDay({
        type: 'seriesMaster',
        originalStartTimeZone: 'tzone://Microsoft/Custom',
        recurrence: {
          pattern: { type: 'daily', interval: 1 },
          range: { type: 'noEnd', startDate: '2027-01-15', recurrenceTimeZone: 'Tokyo Standard Time' },
        },
      }),
      ADDIN,
    );
    expect(item?.start).toEqual(new Date('2027-01-14T15:00:00Z'));
    expect(item?.allDay?.timeZone).toBe('Tokyo Standard Time');
  });

  it('falls back to UTC midnights, marked as placed in no zone, when no zone is known', () => {
    const item = toCalendarItem(allDay({ originalStartTimeZone: 'Customized Time Zone' }), ADDIN);
    expect(item?.start).toEqual(new Date('2027-01-15T00:00:00Z'));
    expect(item?.end).toEqual(new Date('2027-01-16T00:00:00Z'));
    expect(item?.allDay?.timeZone).toBeNull();
  });

  it('skips an all-day event whose dates cannot be read, and a timed one in another zone', () => {
    expect(toCalendarItem(allDay({ start: { dateTime: 'soon', timeZone: 'UTC' } }), ADDIN)).toBeUndefined();
    expect(toCalendarItem(allDay({ end: floating('2027-01-15') }), ADDIN)).toBeUndefined();
    expect(
      toCalendarItem(
        allDay({ isAllDay: false, start: floating('2027-01-15', 'Tokyo Standard Time') }),
        ADDIN,
      ),
    ).toBeUndefined();
  });

  it('reads floating dates, an end off midnight closing the next day', () => {
    expect(graphAllDayDates(floating('2027-01-15'), floating('2027-01-18'))).toEqual({
      startDate: '2027-01-15',
      endDate: '2027-01-18',
    });
    expect(
      graphAllDayDates(floating('2027-01-15'), { dateTime: '2027-01-15T09:00:00.0000000', timeZone: 'UTC' }),
    ).toEqual({ startDate: '2027-01-15', endDate: '2027-01-16' });
    expect(graphAllDayDates(floating('2027-02-30'), floating('2027-03-01'))).toBeUndefined();
  });
});
