/**
 * The appointment's location field. Roomlink appends its join URL instead of replacing what is there:
 * the organiser may already have booked a room, and a hybrid meeting needs both. Outlook lists several
 * locations separated by "; ", so that is the separator, and removal takes out exactly that entry.
 */

export const LOCATION_SEPARATOR = '; ';

export function appendLocation(current: string, entry: string): string {
  const trimmed = current.trim();
  if (trimmed === '') return entry;
  if (splitLocation(trimmed).includes(entry)) return current;
  return `${trimmed}${LOCATION_SEPARATOR}${entry}`;
}

export function removeLocationEntry(current: string, entry: string): string {
  const parts = splitLocation(current);
  if (!parts.includes(entry)) return current;
  return parts.filter((p) => p !== entry).join(LOCATION_SEPARATOR);
}

function splitLocation(location: string): string[] {
  return location
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}
