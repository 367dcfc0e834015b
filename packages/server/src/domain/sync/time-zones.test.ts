import { Temporal } from 'temporal-polyfill';
import { describe, expect, it } from 'vitest';
import { instantOf, readingsOf, resolveTimeZone, wallClock } from './time-zones.js';

/** A UTC-encoded wall time, as the functions under test take and give them. */
const wall = (iso: string): number => Date.parse(`${iso}Z`);
const instant = (iso: string): number => Date.parse(iso);

describe('instantOf', () => {
  it('reads a wall time the clocks show twice as the earlier instant, east and west of UTC', () => {
    // Clocks went back from 02:00 EDT to 01:00 EST, and from 03:00 CEST to 02:00 CET.
    expect(instantOf(wall('2026-11-01T01:30:00'), 'America/New_York')).toBe(
      instant('2026-11-01T01:30:00-04:00'),
    );
    expect(instantOf(wall('2026-10-25T02:30:00'), 'Europe/Paris')).toBe(instant('2026-10-25T02:30:00+02:00'));
    expect(instantOf(wall('2026-04-05T02:30:00'), 'Australia/Sydney')).toBe(
      instant('2026-04-05T02:30:00+11:00'),
    );
  });

  it('moves a wall time the clocks skipped forward by the gap, east and west of UTC', () => {
    expect(instantOf(wall('2026-03-08T02:30:00'), 'America/New_York')).toBe(
      instant('2026-03-08T03:30:00-04:00'),
    );
    expect(instantOf(wall('2026-03-29T02:30:00'), 'Europe/Paris')).toBe(instant('2026-03-29T03:30:00+02:00'));
    // Half-hour DST, and Samoa's skipped day (2011-12-30 never happened in Apia).
    expect(instantOf(wall('2026-10-04T02:15:00'), 'Australia/Lord_Howe')).toBe(
      instant('2026-10-04T02:45:00+11:00'),
    );
    expect(instantOf(wall('2011-12-30T12:00:00'), 'Pacific/Apia')).toBe(instant('2011-12-31T12:00:00+14:00'));
  });

  it('agrees with Temporal ("compatible", RFC 5545; readingsOf: "earlier" and "later") around every transition of every zone', () => {
    const from = Temporal.Instant.from('2020-01-01T00:00:00Z');
    const until = Date.parse('2031-01-01T00:00:00Z');
    const mismatches: string[] = [];
    let checked = 0;
    for (const zone of Intl.supportedValuesOf('timeZone')) {
      let at = from.toZonedDateTimeISO(zone);
      for (;;) {
        const next = at.getTimeZoneTransition('next');
        if (!next || next.epochMilliseconds > until) break;
        const local = next.toPlainDateTime();
        // Before, inside and after the repeated or skipped span (at most 2 h in the database).
        for (let minutes = -150; minutes <= 150; minutes += 30) {
          const reading = local.add({ minutes });
          const expected = reading.toZonedDateTime(zone, { disambiguation: 'compatible' }).epochMilliseconds;
          const asWall = wall(reading.toString({ smallestUnit: 'second' }));
          checked++;
          if (instantOf(asWall, zone) !== expected) mismatches.push(`${zone} ${reading}`);
          // Both readings: Temporal's 'earlier' and 'later' (a skipped time moved back, and forward).
          const { first, last } = readingsOf(asWall, zone);
          const earlier = reading.toZonedDateTime(zone, { disambiguation: 'earlier' }).epochMilliseconds;
          const later = reading.toZonedDateTime(zone, { disambiguation: 'later' }).epochMilliseconds;
          if (first !== earlier || last !== later) mismatches.push(`readingsOf ${zone} ${reading}`);
          if (wallClock(expected + minutes * 60_000, zone) !== wallOf(expected + minutes * 60_000, zone)) {
            mismatches.push(`wallClock ${zone} ${new Date(expected).toISOString()}`);
          }
        }
        at = next;
      }
    }
    expect(checked).toBeGreaterThan(10_000);
    expect(mismatches.slice(0, 10)).toEqual([]);
  });
});

function wallOf(epochMilliseconds: number, zone: string): number {
  const t = Temporal.Instant.fromEpochMilliseconds(epochMilliseconds).toZonedDateTimeISO(zone);
  return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second, t.millisecond);
}

describe('readingsOf', () => {
  it('gives both showings of a repeated time, both readings of a skipped one, and one instant otherwise', () => {
    expect(readingsOf(wall('2026-10-25T02:30:00'), 'Europe/Paris')).toEqual({
      first: instant('2026-10-25T02:30:00+02:00'),
      last: instant('2026-10-25T02:30:00+01:00'),
      skipped: false,
    });
    expect(readingsOf(wall('2026-03-29T02:30:00'), 'Europe/Paris')).toEqual({
      first: instant('2026-03-29T01:30:00+01:00'),
      last: instant('2026-03-29T03:30:00+02:00'),
      skipped: true,
    });
    const noon = instant('2026-07-01T12:00:00+02:00');
    expect(readingsOf(wall('2026-07-01T12:00:00'), 'Europe/Paris')).toEqual({
      first: noon,
      last: noon,
      skipped: false,
    });
  });
});

describe('resolveTimeZone', () => {
  it('reads IANA and Windows names, and no UTC offset, on every Node.js version', () => {
    expect(resolveTimeZone('Europe/Paris')).toBe('Europe/Paris');
    expect(resolveTimeZone('W. Europe Standard Time')).toBe('Europe/Berlin');
    // Intl reads these from Node.js 22 on; Outlook and Graph never name a zone so.
    for (const offset of ['+05:00', '-08:00', '+0530']) expect(resolveTimeZone(offset)).toBeUndefined();
    expect(resolveTimeZone('Mars Standard Time')).toBeUndefined();
  });
});
