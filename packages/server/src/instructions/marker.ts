/**
 * Finds, inserts, replaces and removes Roomlink's join block in an appointment body. Pure string
 * processing (no DOM, no Node) so that the add-in bundles this same file.
 *
 * Outlook rewrites bodies: Exchange and Outlook on the web prefix ids and classes with `x_`, drop
 * comments and data-* attributes, wrap content in extra elements and requote attributes. So the HTML
 * block is delimited by two sentinel elements whose class names carry the meeting id
 * (`roomlink-begin-<id>`, `roomlink-end-<id>`): a class name survives all of those rewrites, with or
 * without the `x_` prefix. Plain-text bodies have no attributes: there the block is delimited by two
 * rule lines and recognised by the join link (`…/m/<slug>`) between them.
 */

export type BodyKind = 'html' | 'text';

export interface JoinBlockMatch {
  /** Present when the HTML sentinels were found. */
  readonly meetingId?: string;
  /** Present when a Roomlink join link was found inside the block (or, as a fallback, anywhere). */
  readonly slug?: string;
  /** Offsets of the whole block in the body: body.slice(start, end) is the block. */
  readonly start: number;
  readonly end: number;
  /** False when only a join link was found, without the block's delimiters. */
  readonly delimited: boolean;
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const BEGIN = new RegExp(`(?:x_)?roomlink-begin-(${UUID})`, 'i');
const JOIN_LINK = /https?:\/\/[^\s"'<>]+\/m\/([A-Za-z0-9_-]{16,64})/;
/** A rule line: long enough that a user's own text is very unlikely to contain it by accident. */
export const TEXT_RULE = '_'.repeat(64);
const TEXT_RULE_LINE = /^_{32,}[ \t]*$/gm;

/** Wraps a rendered HTML block in its sentinels. */
export function wrapHtmlBlock(meetingId: string, innerHtml: string): string {
  const rule = '<div style="color:#8a8886">________________________________________________</div>';
  return (
    `<div class="roomlink-begin-${meetingId}">${rule}</div>` +
    `<div class="roomlink-block">${innerHtml}</div>` +
    `<div class="roomlink-end-${meetingId}">${rule}</div>`
  );
}

/** Wraps a rendered plain-text block in its rule lines. */
export function wrapTextBlock(innerText: string): string {
  return `${TEXT_RULE}\n${innerText.trim()}\n${TEXT_RULE}`;
}

export function findJoinBlock(body: string, kind: BodyKind): JoinBlockMatch | null {
  return kind === 'html' ? findHtml(body) : findText(body);
}

export function removeJoinBlock(body: string, kind: BodyKind): string {
  const match = findJoinBlock(body, kind);
  if (!match?.delimited) return body;
  let before = body.slice(0, match.start);
  let after = body.slice(match.end);
  if (kind === 'text') {
    // Insertion added one blank line before the block; take it away again.
    if (before.endsWith('\n')) before = before.slice(0, -1);
    if (after.startsWith('\n')) after = after.slice(1);
  }
  return before + after;
}

export function replaceJoinBlock(body: string, block: string, kind: BodyKind): string {
  const match = findJoinBlock(body, kind);
  if (!match?.delimited) return insertJoinBlock(body, block, kind);
  return body.slice(0, match.start) + block + body.slice(match.end);
}

/** Appends the block after the user's text (inside <body> when there is one). */
export function insertJoinBlock(body: string, block: string, kind: BodyKind): string {
  if (kind === 'text')
    return body.length === 0 ? block : `${body}${body.endsWith('\n') ? '' : '\n'}\n${block}`;
  const close = body.search(/<\/body\s*>/i);
  return close === -1 ? body + block : body.slice(0, close) + block + body.slice(close);
}

function findHtml(body: string): JoinBlockMatch | null {
  const begin = BEGIN.exec(body);
  if (begin) {
    const meetingId = (begin[1] as string).toLowerCase();
    const start = body.lastIndexOf('<', begin.index);
    const endToken = new RegExp(`(?:x_)?roomlink-end-${meetingId}`, 'i').exec(body.slice(begin.index));
    if (start !== -1 && endToken) {
      const endTokenAt = begin.index + endToken.index;
      const end = elementEnd(body, body.lastIndexOf('<', endTokenAt));
      if (end !== -1) {
        const slug = JOIN_LINK.exec(body.slice(start, end))?.[1];
        return { meetingId, ...(slug ? { slug } : {}), start, end, delimited: true };
      }
    }
  }
  return linkOnly(body);
}

/** The offset just past the element that opens at `open`, balancing nested divs. */
function elementEnd(body: string, open: number): number {
  const tags = /<(\/?)div\b[^>]*>/gi;
  tags.lastIndex = open;
  let depth = 0;
  for (let m = tags.exec(body); m; m = tags.exec(body)) {
    depth += m[1] ? -1 : 1;
    if (depth === 0) return m.index + m[0].length;
  }
  return -1;
}

function findText(body: string): JoinBlockMatch | null {
  const link = JOIN_LINK.exec(body);
  if (!link) return null;
  const rules = [...body.matchAll(TEXT_RULE_LINE)].map((m) => ({
    start: m.index,
    end: m.index + m[0].length,
  }));
  const before = rules.filter((r) => r.end <= link.index).at(-1);
  const after = rules.find((r) => r.start >= link.index + link[0].length);
  if (!before || !after) return linkOnly(body);
  return { slug: link[1] as string, start: before.start, end: after.end, delimited: true };
}

function linkOnly(body: string): JoinBlockMatch | null {
  const link = JOIN_LINK.exec(body);
  return link
    ? { slug: link[1] as string, start: link.index, end: link.index + link[0].length, delimited: false }
    : null;
}
