/**
 * Windows reuse the occurrences earlier windows built. Whatever changed in between, each must be the
 * occurrence a GET builds afresh.
 */
import { describe, expect, it } from 'vitest';
import { CalendarStore, type EventInstance } from './store.js';

const OWNER = 'alice';
const DAY = 86_400_000;
const WINDOW: [number, number] = [Date.UTC(2025, 2, 1), Date.UTC(2025, 5, 1)];
const PROPERTY = 'String {00020329-0000-0000-C000-000000000046} Name cecp-roomlink';

const at = (dateTime: string, timeZone = 'Pacific Standard Time') => ({ dateTime, timeZone });

describe('calendar store occurrences', () => {
  it('shows every change of a series in windows seen before it', () => {
    let now = Date.UTC(2025, 1, 1);
    const store = new CalendarStore(() => new Date(now));
    const master = store.create(OWNER, {
      subject: 'Stand-up',
      start: at('2025-03-03T09:00:00'),
      end: at('2025-03-03T09:30:00'),
      recurrence: {
        pattern: { type: 'daily', interval: 1 },
        range: { type: 'noEnd', startDate: '2025-03-03' },
      },
    });
    const key = master.ref.key;

    /** The window as calendarView and instances show it, checked against fresh GETs. */
    const view = (): EventInstance[] => {
      now += 60_000;
      const all = store.instancesInWindow(OWNER, ...WINDOW);
      expect(all.length).toBeGreaterThan(40);
      for (const instance of all) expect(instance).toEqual(store.get(OWNER, instance.ref));
      expect(store.seriesInstances(OWNER, key, ...WINDOW)).toEqual(all);
      return all;
    };
    const subjects = (all: EventInstance[]) => new Set(all.map((i) => i.fields.subject));

    const first = view();
    // The same objects come back: nothing was built again (what makes paging cheap).
    expect(store.instancesInWindow(OWNER, ...WINDOW)[5]).toBe(first[5]);

    store.update(OWNER, { key }, { subject: 'Daily stand-up' });
    expect(subjects(view())).toEqual(new Set(['Daily stand-up']));

    const moved = first[10] as EventInstance;
    store.update(OWNER, moved.ref, {
      subject: 'Moved',
      start: at('2025-03-13T15:00:00'),
      end: at('2025-03-13T15:30:00'),
    });
    const withException = view();
    expect(withException.find((i) => i.type === 'exception')?.fields.subject).toBe('Moved');

    store.update(OWNER, moved.ref, { subject: 'Moved again' });
    expect(view().find((i) => i.type === 'exception')?.fields.subject).toBe('Moved again');

    // Out of the window: the exception is no longer listed.
    store.update(OWNER, moved.ref, { start: at('2025-07-01T09:00:00'), end: at('2025-07-01T09:30:00') });
    expect(view().some((i) => i.type === 'exception')).toBe(false);

    const cancelled = first[20] as EventInstance;
    store.delete(OWNER, cancelled.ref);
    const afterDelete = view();
    expect(afterDelete.some((i) => i.originalStart === cancelled.originalStart)).toBe(false);

    store.setExtendedProperty(OWNER, { key }, { id: PROPERTY, value: '{"meetingId":"m1"}' });
    expect(view()[0]?.extendedProperties.get(PROPERTY)?.value).toBe('{"meetingId":"m1"}');

    // A new time drops exceptions and deletions, as Outlook does.
    store.update(OWNER, { key }, { start: at('2025-03-03T10:00:00'), end: at('2025-03-03T11:00:00') });
    const moved1h = view();
    expect(moved1h.some((i) => i.fields.start === cancelled.fields.start + 3_600_000)).toBe(true);
    expect(moved1h.every((i) => i.type === 'occurrence' && i.fields.end - i.fields.start === 3_600_000)).toBe(
      true,
    );

    store.update(
      OWNER,
      { key },
      { recurrence: { ...master.recurrence, pattern: { type: 'daily', interval: 2 } } },
    );
    const everyOther = view();
    expect((everyOther[1]?.fields.start ?? 0) - (everyOther[0]?.fields.start ?? 0)).toBe(2 * DAY);
  });
});
