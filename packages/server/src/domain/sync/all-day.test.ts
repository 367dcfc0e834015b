import { describe, expect, it } from 'vitest';
import { allDayEndAfter, allDaySpan, placeAllDayIn } from './all-day.js';
import type { CalendarItem } from './calendar-item.js';
import { seriesOverrides } from './sync-service.js';

const SYDNEY = 'AUS Eastern Standard Time';

function item(overrides: Partial<CalendarItem>): CalendarItem {
  return {
    id: 'e1',
    type: 'singleInstance',
    subject: 'Offsite',
    start: new Date('2027-01-15T00:00:00Z'),
    end: new Date('2027-01-16T00:00:00Z'),
    allDay: { startDate: '2027-01-15', endDate: '2027-01-16', timeZone: null },
    isCancelled: false,
    lastModified: '2027-01-01T00:00:00.000Z',
    changeKey: 'ck',
    seriesMasterId: null,
    originalStart: null,
    recurrence: null,
    seriesTimeZone: null,
    cancelledOccurrenceDates: [],
    customMeetingId: null,
    body: null,
    ...overrides,
  };
}

describe('all-day events', () => {
  it('spans the midnights of their days in a zone, clock changes included', () => {
    expect(allDaySpan('2027-01-15', '2027-01-16', SYDNEY)).toEqual({
      start: new Date('2027-01-14T13:00:00Z'),
      end: new Date('2027-01-15T13:00:00Z'),
    });
    // Sydney leaves daylight saving on 4 April 2027: that day lasts 25 hours.
    expect(allDaySpan('2027-04-04', '2027-04-05', 'Australia/Sydney')).toEqual({
      start: new Date('2027-04-03T13:00:00Z'),
      end: new Date('2027-04-04T14:00:00Z'),
    });
    // Santiago skips its midnight (00:00 to 01:00) on 5 September 2027: the day begins at 01:00.
    expect(allDaySpan('2027-09-05', '2027-09-06', 'America/Santiago')?.start).toEqual(
      new Date('2027-09-05T04:00:00Z'),
    );
    expect(allDaySpan('2027-01-15', '2027-01-16', 'Nowhere/Special')).toBeUndefined();
  });

  it("are placed in the meeting's zone only when the event named none", () => {
    const placed = placeAllDayIn(item({}), 'America/Los_Angeles');
    expect(placed.start).toEqual(new Date('2027-01-15T08:00:00Z'));
    expect(placed.end).toEqual(new Date('2027-01-16T08:00:00Z'));
    expect(placed.allDay?.timeZone).toBe('America/Los_Angeles');

    const named = item({
      start: new Date('2027-01-14T13:00:00Z'),
      allDay: { startDate: '2027-01-15', endDate: '2027-01-16', timeZone: SYDNEY },
    });
    expect(placeAllDayIn(named, 'America/Los_Angeles')).toBe(named);
    const unplaced = item({});
    expect(placeAllDayIn(unplaced, null)).toBe(unplaced);
    expect(placeAllDayIn(unplaced, 'Not a zone')).toBe(unplaced);
    const timed = item({ allDay: null });
    expect(placeAllDayIn(timed, 'America/Los_Angeles')).toBe(timed);
  });

  it('end each occurrence of a series at midnight, however long its day', () => {
    const master = item({
      type: 'seriesMaster',
      start: new Date('2027-04-01T13:00:00Z'),
      end: new Date('2027-04-02T13:00:00Z'),
      allDay: { startDate: '2027-04-02', endDate: '2027-04-03', timeZone: 'Australia/Sydney' },
    });
    // 4 April (25 hours): from 3 April 13:00Z to 4 April 14:00Z.
    expect(allDayEndAfter(master, new Date('2027-04-03T13:00:00Z'))).toEqual(
      new Date('2027-04-04T14:00:00Z'),
    );
    expect(allDayEndAfter(item({ allDay: null }), new Date())).toBeUndefined();
  });

  it('do not make an unmoved exception of an all-day series look moved across a clock change', () => {
    const master = item({
      type: 'seriesMaster',
      start: new Date('2027-04-01T13:00:00Z'),
      end: new Date('2027-04-02T13:00:00Z'),
      allDay: { startDate: '2027-04-02', endDate: '2027-04-03', timeZone: 'Australia/Sydney' },
      recurrence: {
        pattern: { type: 'daily', interval: 1 },
        range: { type: 'numbered', startDate: '2027-04-02', numberOfOccurrences: 5 },
      },
      seriesTimeZone: 'Australia/Sydney',
    });
    // 4 April's occurrence, retitled in Outlook (an exception) but not moved.
    const retitled = item({
      id: 'x4',
      type: 'exception',
      seriesMasterId: 'e1',
      subject: 'Offsite (agenda)',
      start: new Date('2027-04-03T13:00:00Z'),
      end: new Date('2027-04-04T14:00:00Z'),
      originalStart: new Date('2027-04-03T13:00:00Z'),
      allDay: { startDate: '2027-04-04', endDate: '2027-04-05', timeZone: 'Australia/Sydney' },
    });
    expect(seriesOverrides(master, [retitled])).toEqual([]);
  });
});
