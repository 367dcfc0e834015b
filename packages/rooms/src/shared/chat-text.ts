/** Chat text, cleaned alike by the server (which relays it) and the join page (which sends it). */

/** Chat keeps line breaks and tabs, loses other control and bidi-override characters. */
export function cleanChat(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .replace(/[\p{Cc}\u202A-\u202E\u2066-\u2069]/gu, (c) => (c === '\n' || c === '\t' ? c : ''))
    .trim();
}
