/**
 * Meeting times a number of days from today, at a fixed UTC time of day. The API refuses a meeting
 * that retention would delete at once (3 months after it ends), so a test written with a fixed
 * calendar date would start failing some months later.
 */
export function daysFromNow(
  days: number,
  startUtc = '09:00',
  endUtc = '10:00',
): { readonly start: string; readonly end: string } {
  const day = new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
  return { start: `${day}T${startUtc}:00Z`, end: `${day}T${endUtc}:00Z` };
}
