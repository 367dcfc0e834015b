/** Display names, cleaned alike by the server (which decides) and the join page (which says why). */

/**
 * Display names: no control or formatting characters (they could spoof other names or reorder
 * text), whitespace collapsed. Empty after that means no name.
 */
export function cleanName(name: string): string {
  return name
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, '')
    .replace(/\s+/g, ' ')
    .trim();
}
