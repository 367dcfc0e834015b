/** Outlook's recurrence (Office.js, Mailbox 1.7) to Microsoft Graph's patternedRecurrence. */
import type { RecurrenceLike } from './office.js';

type GraphDay = 'sunday' | 'monday' | 'tuesday' | 'wednesday' | 'thursday' | 'friday' | 'saturday';

export interface GraphRecurrence {
  readonly pattern: {
    readonly type: string;
    readonly interval: number;
    readonly daysOfWeek?: GraphDay[];
    readonly dayOfMonth?: number;
    readonly month?: number;
    readonly index?: string;
    readonly firstDayOfWeek?: GraphDay;
  };
  readonly range: {
    readonly type: 'endDate' | 'noEnd';
    readonly startDate: string;
    readonly endDate?: string;
    readonly recurrenceTimeZone?: string;
  };
}

const DAYS: Record<string, GraphDay> = {
  sun: 'sunday',
  mon: 'monday',
  tue: 'tuesday',
  wed: 'wednesday',
  thu: 'thursday',
  fri: 'friday',
  sat: 'saturday',
};
const WEEKDAYS: GraphDay[] = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'];
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/** Outlook's `weekday` / `weekendDay` / `day` stand for several days in relative patterns. */
function daysFor(day: string | undefined): GraphDay[] {
  if (!day) return [];
  if (day === 'weekday') return [...WEEKDAYS];
  if (day === 'weekendDay') return ['saturday', 'sunday'];
  if (day === 'day') return Object.values(DAYS);
  const one = DAYS[day];
  return one ? [one] : [];
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function toGraphRecurrence(recurrence: RecurrenceLike | null | undefined): GraphRecurrence | null {
  if (!recurrence?.recurrenceType) return null;
  const p = recurrence.recurrenceProperties ?? {};
  const interval = p.interval && p.interval > 0 ? p.interval : 1;
  const firstDayOfWeek = p.firstDayOfWeek ? DAYS[p.firstDayOfWeek] : undefined;
  const month = p.month ? MONTHS.indexOf(p.month) + 1 : 0;
  let pattern: GraphRecurrence['pattern'];
  switch (recurrence.recurrenceType) {
    case 'daily':
      pattern = { type: 'daily', interval };
      break;
    case 'weekday':
      pattern = { type: 'weekly', interval: 1, daysOfWeek: [...WEEKDAYS] };
      break;
    case 'weekly':
      pattern = {
        type: 'weekly',
        interval,
        daysOfWeek: (p.days ?? []).flatMap((d) => daysFor(d)),
        ...(firstDayOfWeek ? { firstDayOfWeek } : {}),
      };
      break;
    case 'monthly':
      pattern = p.dayOfMonth
        ? { type: 'absoluteMonthly', interval, dayOfMonth: p.dayOfMonth }
        : {
            type: 'relativeMonthly',
            interval,
            daysOfWeek: daysFor(p.dayOfWeek),
            index: p.weekNumber ?? 'first',
          };
      break;
    case 'yearly':
      pattern = p.dayOfMonth
        ? { type: 'absoluteYearly', interval, dayOfMonth: p.dayOfMonth, month }
        : {
            type: 'relativeYearly',
            interval,
            daysOfWeek: daysFor(p.dayOfWeek),
            index: p.weekNumber ?? 'first',
            month,
          };
      break;
    default:
      return null;
  }
  const startDate = recurrence.seriesTime.getStartDate();
  const endDate = recurrence.seriesTime.getEndDate();
  const timeZone = recurrence.recurrenceTimeZone?.name;
  return {
    pattern,
    range: {
      ...(endDate && DATE.test(endDate)
        ? { type: 'endDate' as const, startDate, endDate }
        : { type: 'noEnd' as const, startDate }),
      ...(timeZone ? { recurrenceTimeZone: timeZone } : {}),
    },
  };
}
