/**
 * The appointment's location field. Roomlink appends its join URL instead of replacing what is there:
 * the organiser may already have booked a room, and a hybrid meeting needs both. Outlook lists several
 * locations separated by "; ", so that is the separator. The user's text is kept byte for byte (no
 * trimming, no re-joining), so that removal can take out exactly the "; <url>" Roomlink appended.
 */

export const LOCATION_SEPARATOR = '; ';
/** Office.js refuses a longer location (item.location.setAsync, DataExceedsMaximumSize). */
export const MAX_LOCATION_LENGTH = 255;

/**
 * The location with `entry` appended, or `current` unchanged when it is already there or when appending
 * would go over Outlook's limit (the join link is in the body anyway).
 */
export function appendLocation(current: string, entry: string): string {
  if (current.trim() === '') return entry.length <= MAX_LOCATION_LENGTH ? entry : current;
  if (splitLocation(current).includes(entry)) return current;
  const appended = `${current}${LOCATION_SEPARATOR}${entry}`;
  return appended.length <= MAX_LOCATION_LENGTH ? appended : current;
}

/** Takes out `entry` and the separator Roomlink put before it; the rest is left as the user wrote it. */
export function removeLocationEntry(current: string, entry: string): string {
  if (entry === '') return current;
  if (current === entry) return '';
  const appended = `${LOCATION_SEPARATOR}${entry}`;
  if (current.endsWith(appended)) return current.slice(0, -appended.length);
  const at = current.indexOf(appended);
  if (at !== -1 && isEntryEnd(current, at + appended.length)) {
    return current.slice(0, at) + current.slice(at + appended.length);
  }
  // The user moved things around: the entry may now come first, or with other spacing.
  const first = `${entry};`;
  if (current.startsWith(first)) return current.slice(first.length).replace(/^ /, '');
  const loose = new RegExp(`\\s*;\\s*${escapeRegExp(entry)}(?=\\s*(?:;|$))`);
  return current.replace(loose, '');
}

/** The location entry that is a Roomlink join URL with this slug (props lost: only the body's link is known). */
export function findJoinUrlEntry(entries: readonly string[], slug: string): string | null {
  const pattern = new RegExp(`/m/${escapeRegExp(slug)}$`);
  return entries.find((p) => /^https?:\/\//i.test(p) && pattern.test(p)) ?? null;
}

function isEntryEnd(text: string, index: number): boolean {
  return index === text.length || text[index] === ';';
}

/** The entries of a one-line location ("Room 4; https://…"). */
export function splitLocation(location: string): string[] {
  return location
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
