/**
 * Finds, inserts, replaces and removes the Roomlink join block in an appointment body.
 *
 * Pure string processing with no imports (no DOM, no Node APIs) so that the browser add-in, its
 * event-based runtime (no DOM there) and the server's calendar sync share this one file.
 *
 * Outlook does not give back the HTML it was given: Outlook on the web / Exchange prefix every id and
 * class with `x_` (again on each round trip: `x_x_…`), comments are sometimes dropped, Word-based
 * Outlook rewrites elements (`<div>` → `<p class=MsoNormal>`), unquotes or re-quotes attributes, wraps
 * content in extra `<div>`s, and Safe Links rewrites hrefs. So the block is recognised by three
 * independent layers, strongest first:
 *
 *  1. begin/end comments carrying the meeting id: `<!--roomlink:begin id=…-->`;
 *  2. begin/end sentinel elements whose class (`roomlink-join-begin`) and id
 *     (`roomlink-join-begin-<meeting id>`) survive with any number of `x_` prefixes and any quoting;
 *  3. the visible separator lines (a long underscore rule, as Teams draws) around a join URL
 *     `…/m/<slug>` (also inside a Safe Links `url=` parameter). This layer needs no markup at all,
 *     so it is also how a plain-text body, or Outlook's text rendering of the HTML block, is read.
 *
 * The range found is then widened over elements that wrap nothing but the block (the wrappers
 * Outlook adds), never over anything holding other content, so the user's own text is left as is.
 */

export type BodyKind = 'html' | 'text';

export interface JoinBlockLocation {
  /** Known when a marker carrying it survived (HTML only). */
  readonly meetingId?: string;
  /** From the join URL `…/m/<slug>` inside the block. */
  readonly slug?: string;
  /** `body.slice(start, end)` is the block (for text, without the blank line put before it). */
  readonly start: number;
  readonly end: number;
}

/** Narrows a search to one meeting's block: matches on the meeting id or the slug, whichever is known. */
export interface JoinBlockFilter {
  readonly meetingId?: string;
  readonly slug?: string;
}

/** The visible rule that opens and closes the block, in HTML and in text alike. */
export const SEPARATOR_LINE = '_'.repeat(80);
/** A shorter underscore run still counts: text renderings may trim or re-wrap the rule. */
export const MIN_SEPARATOR_LENGTH = 20;

export const JOIN_BLOCK_MARKERS = Object.freeze({
  wrapperClass: 'roomlink-join',
  beginClass: 'roomlink-join-begin',
  endClass: 'roomlink-join-end',
  beginComment: 'roomlink:begin',
  endComment: 'roomlink:end',
  joinPath: '/m/',
});

/** What a template may never produce, so that the markers above stay unambiguous. */
export const RESERVED_PATTERN = new RegExp(
  `roomlink-join|roomlink:(?:begin|end)|_{${MIN_SEPARATOR_LENGTH},}`,
  'i',
);

const MEETING_ID = /^[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)*$/;
const MAX_MEETING_ID = 128;
/** Join URL path, plain or percent-encoded (Safe Links puts the original URL in a query parameter). */
const SLUG_IN_URL = /(?:\/|%2f)m(?:\/|%2f)([A-Za-z0-9_-]{8,128})(?![A-Za-z0-9_-])/gi;
const LINK_SCHEME = /https?:\/\//i;
const NOT_IN_URL = /[\s"'<>]/;
const SEPARATOR_RUN = new RegExp(`_{${MIN_SEPARATOR_LENGTH},}`, 'g');
const COMMENT_MARKER = /<!--\s*roomlink:(begin|end)(?:\s+id=([A-Za-z0-9_-]+))?\s*-->/gi;
const ELEMENT_TOKEN = /roomlink-join-(begin|end)/gi;
/**
 * Elements Outlook wraps content in; body, table cells and the like are never widened over. Quoted
 * attribute values may not hold `<` (Outlook writes it `&lt;`), so a failed match stops at the next
 * tag instead of running on to the end of the body.
 */
const WRAPPER_OPEN_AT_END = /<(div|span|p|font)\b(?:[^<>"']|"[^"<]*"|'[^'<]*')*>\s*$/i;
/** How far apart the pieces of one block may lie before they are taken to be unrelated. */
const MAX_MARKER_GAP = 2048;
const MAX_TEXT_DISTANCE = 16_384;
const MAX_HTML_DISTANCE = 65_536;
const MAX_BLOCKS = 32;
/**
 * The body is someone's input (an invitation from outside lands in the calendar that sync reads),
 * so every scan below is linear in the body, whatever it holds: no scan starts over from each
 * match, and what a block can plausibly have is capped.
 */
const MAX_MARKERS = 8 * MAX_BLOCKS;
/** A block's sentinels carry four tokens (class and id, begin and end); the rest is not read. */
const MAX_TOKENS = 4 * MAX_MARKERS;
/** A sentinel's start tag is ~150 characters, a few hundred with Outlook's prefixes and styles. */
const MAX_TAG_LENGTH = 4096;
/** Outlook adds a few wrappers around a block; a body nested deeper is not widened further. */
const MAX_WRAPPERS = 16;
/** The longest URL text before a join link's `/m/` that still counts as one link. */
const MAX_LINK_PREFIX = 2048;

const SEPARATOR_SPAN = `<span style="white-space:nowrap;color:#5F5F5F;opacity:.36">${SEPARATOR_LINE}</span>`;
const SEPARATOR_STYLE = 'width:100%;height:20px';
const WRAPPER_STYLE =
  "margin:16px 0 0 0;font-family:'Segoe UI','Helvetica Neue',Helvetica,Arial,sans-serif;font-size:14px;color:#242424";

export function isValidMeetingId(meetingId: string): boolean {
  return meetingId.length <= MAX_MEETING_ID && MEETING_ID.test(meetingId);
}

/**
 * Wraps rendered instructions (already-safe HTML) in the markers. The meeting id goes into a comment
 * and ids, so it is restricted to letters, digits and single `-`/`_` (a UUID fits).
 */
export function wrapHtmlBlock(meetingId: string, innerHtml: string, lang?: string): string {
  if (!isValidMeetingId(meetingId)) throw new TypeError('meetingId must be letters, digits, - or _');
  const langAttr = lang && /^[a-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$/.test(lang) ? ` lang="${lang}"` : '';
  const m = JOIN_BLOCK_MARKERS;
  return (
    `<!--${m.beginComment} id=${meetingId}-->` +
    `<div class="${m.wrapperClass}"${langAttr} style="${WRAPPER_STYLE}">` +
    `<div class="${m.beginClass}" id="${m.beginClass}-${meetingId}" style="${SEPARATOR_STYLE}">${SEPARATOR_SPAN}</div>` +
    innerHtml +
    `<div class="${m.endClass}" id="${m.endClass}-${meetingId}" style="${SEPARATOR_STYLE}">${SEPARATOR_SPAN}</div>` +
    '</div>' +
    `<!--${m.endComment} id=${meetingId}-->`
  );
}

/** Wraps rendered plain-text instructions between separator lines; line breaks become `\n`. */
export function wrapTextBlock(innerText: string): string {
  const inner = innerText
    .replace(/\r\n?/g, '\n')
    .replace(/^\s*\n/, '')
    .trimEnd();
  return `${SEPARATOR_LINE}\n${inner}\n${SEPARATOR_LINE}`;
}

export function findJoinBlock(
  body: string,
  kind: BodyKind,
  filter?: JoinBlockFilter,
): JoinBlockLocation | null {
  for (const block of listJoinBlocks(body, kind)) if (matches(block, filter)) return block;
  return null;
}

/**
 * A Roomlink join link anywhere in the body, block or not (e.g. pasted by hand). For telling the user
 * a meeting link is there; never a range to remove, as nothing bounds it.
 */
export function findJoinLink(
  body: string,
): { readonly slug: string; readonly start: number; readonly end: number } | null {
  let tried = 0;
  for (const url of body.matchAll(SLUG_IN_URL)) {
    if (++tried > MAX_MARKERS) break;
    const start = linkStart(body, url.index);
    if (start !== -1) return { slug: url[1] as string, start, end: url.index + url[0].length };
  }
  return null;
}

/** Where the `http(s)://` link holding the slug at `index` starts (its first scheme), or -1. */
function linkStart(body: string, index: number): number {
  let run = index;
  while (run > 0 && index - run < MAX_LINK_PREFIX && !NOT_IN_URL.test(body[run - 1] as string)) run--;
  const scheme = LINK_SCHEME.exec(body.slice(run, index));
  return scheme ? run + scheme.index : -1;
}

/** Every Roomlink block in the body, in order (a body normally has one). */
export function listJoinBlocks(body: string, kind: BodyKind): JoinBlockLocation[] {
  return kind === 'html' ? listHtmlBlocks(body) : listTextBlocks(body);
}

/** Appends the block after the user's text (in HTML, before `</body>` when there is one). */
export function insertJoinBlock(body: string, block: string, kind: BodyKind): string {
  if (kind === 'text') {
    const eol = lineEnding(body);
    const text = block.replace(/\r\n?|\n/g, eol);
    return body.length === 0 ? text : body + eol + eol + text;
  }
  const bodyClose = lastMatch(body, /<\/body\s*>/gi);
  return bodyClose === -1 ? body + block : body.slice(0, bodyClose) + block + body.slice(bodyClose);
}

/** Swaps the (first matching) block for `newBlock`; the body is returned unchanged when there is none. */
export function replaceJoinBlock(
  body: string,
  newBlock: string,
  kind: BodyKind,
  filter?: JoinBlockFilter,
): string {
  const found = findJoinBlock(body, kind, filter);
  if (!found) return body;
  const block = kind === 'text' ? newBlock.replace(/\r\n?|\n/g, lineEnding(body)) : newBlock;
  return body.slice(0, found.start) + block + body.slice(found.end);
}

/** Replaces the block when there is one, appends it otherwise: one block per body, whatever happened before. */
export function upsertJoinBlock(
  body: string,
  block: string,
  kind: BodyKind,
  filter?: JoinBlockFilter,
): string {
  return findJoinBlock(body, kind, filter)
    ? replaceJoinBlock(body, block, kind, filter)
    : insertJoinBlock(body, block, kind);
}

/**
 * Removes every matching block (duplicates included) and, in text, the blank line that
 * `insertJoinBlock` put before it, so insert-then-remove gives back the body byte for byte.
 */
export function removeJoinBlock(body: string, kind: BodyKind, filter?: JoinBlockFilter): string {
  let out = body;
  for (let i = 0; i < MAX_BLOCKS; i++) {
    const found = findJoinBlock(out, kind, filter);
    if (!found) break;
    let start = found.start;
    if (kind === 'text') {
      for (let n = 0; n < 2; n++) {
        if (out.endsWith('\r\n', start)) start -= 2;
        else if (out[start - 1] === '\n' || out[start - 1] === '\r') start -= 1;
        else break;
      }
    }
    out = out.slice(0, start) + out.slice(found.end);
  }
  return out;
}

function matches(block: JoinBlockLocation, filter: JoinBlockFilter | undefined): boolean {
  if (!filter || (filter.meetingId === undefined && filter.slug === undefined)) return true;
  if (filter.meetingId !== undefined && block.meetingId === filter.meetingId) return true;
  return filter.slug !== undefined && block.slug === filter.slug;
}

// ---------------------------------------------------------------------------------------------
// HTML

interface Marker {
  readonly role: 'begin' | 'end';
  readonly start: number;
  readonly end: number;
  readonly meetingId?: string;
}

function listHtmlBlocks(body: string): JoinBlockLocation[] {
  const marked = blocksFromMarkers(body);
  const unmarked = blocksFromSeparators(body, 'html').filter(
    (b) => !marked.some((m) => b.start < m.end && m.start < b.end),
  );
  return [...marked, ...unmarked].sort((a, b) => a.start - b.start);
}

function blocksFromMarkers(body: string): JoinBlockLocation[] {
  const markers = [...commentMarkers(body), ...elementMarkers(body)]
    .sort((a, b) => a.start - b.start)
    .slice(0, MAX_MARKERS);
  const blocks: JoinBlockLocation[] = [];
  let k = 0;
  while (k < markers.length && blocks.length < MAX_BLOCKS) {
    if ((markers[k] as Marker).role !== 'begin') {
      k++;
      continue;
    }
    const begins: Marker[] = [];
    while (k < markers.length && (markers[k] as Marker).role === 'begin') begins.push(markers[k++] as Marker);
    const ends: Marker[] = [];
    while (k < markers.length && (markers[k] as Marker).role === 'end') ends.push(markers[k++] as Marker);
    if (ends.length === 0) break;
    // A begin left over from a block whose end was deleted must not pull user text into this one:
    // keep only the begin markers that sit together, right before the content.
    const beginGroup = trailingGroup(body, begins);
    const endGroup = leadingGroup(body, ends);
    const first = beginGroup[0] as Marker;
    const last = endGroup.reduce((a, b) => (b.end > a.end ? b : a));
    const [start, end] = widen(body, first.start, last.end);
    const meetingId = [...beginGroup, ...endGroup].find((m) => m.meetingId)?.meetingId;
    blocks.push(located(body, start, end, meetingId));
  }
  return blocks;
}

function trailingGroup(body: string, markers: Marker[]): Marker[] {
  let i = markers.length - 1;
  while (i > 0 && near(body, markers[i - 1] as Marker, markers[i] as Marker)) i--;
  return markers.slice(i);
}

function leadingGroup(body: string, markers: Marker[]): Marker[] {
  let i = 0;
  while (i < markers.length - 1 && near(body, markers[i] as Marker, markers[i + 1] as Marker)) i++;
  return markers.slice(0, i + 1);
}

/**
 * Two markers of one block: the same meeting, close, and nothing but markup between them. Text typed
 * at the end of the block lands inside its wrapper, between the end sentinel and the end comment:
 * that text belongs to the user, so the block stops at the sentinel (leaving a stray `</div>` and
 * end comment, which read as nothing).
 */
function near(body: string, a: Marker, b: Marker): boolean {
  const sameMeeting = !a.meetingId || !b.meetingId || a.meetingId === b.meetingId;
  return sameMeeting && b.start - a.end <= MAX_MARKER_GAP && onlyMarkup(body.slice(a.end, b.start));
}

function onlyMarkup(html: string): boolean {
  return (
    html
      .replace(/<!--[\s\S]*?-->/g, '')
      .replace(/<(?:[^<>"']|"[^"<]*"|'[^'<]*')*>/g, '')
      .replace(/&nbsp;|&#160;|&#xa0;|\s/gi, '').length === 0
  );
}

function commentMarkers(body: string): Marker[] {
  const out: Marker[] = [];
  for (const m of body.matchAll(COMMENT_MARKER)) {
    if (out.length >= MAX_MARKERS) break;
    const role = (m[1] as string).toLowerCase() === 'begin' ? 'begin' : 'end';
    out.push(withId({ role, start: m.index, end: m.index + m[0].length }, m[2]));
  }
  return out;
}

/** Sentinel elements, found by their class or id token wherever Outlook left it. */
function elementMarkers(body: string): Marker[] {
  const out: Marker[] = [];
  const closes = new ClosingTags(body);
  // The tokens come in order, so the `<` before each is found by walking forward once over the
  // body, and the tag it opens is read once however many tokens it holds.
  let open = -1;
  let nextOpen = body.indexOf('<');
  let tag: Tag | null = null;
  // Each role is tried once per tag: its identity is read from all of the tag's attributes at once.
  const tried = new Set<Marker['role']>();
  let tokens = 0;
  for (const m of body.matchAll(ELEMENT_TOKEN)) {
    if (out.length >= MAX_MARKERS || ++tokens > MAX_TOKENS) break;
    if (nextOpen !== -1 && nextOpen < m.index) {
      while (nextOpen !== -1 && nextOpen < m.index) {
        open = nextOpen;
        nextOpen = body.indexOf('<', nextOpen + 1);
      }
      tag = tagAt(body, open);
      tried.clear();
    }
    const role = (m[1] as string).toLowerCase() === 'begin' ? 'begin' : 'end';
    if (!tag || tag.end <= m.index || tried.has(role)) continue;
    tried.add(role);
    const marker = sentinel(body, tag, role, closes);
    if (marker) {
      out.push(marker);
      tag = null;
    }
  }
  return out;
}

function sentinel(body: string, tag: Tag, role: Marker['role'], closes: ClosingTags): Marker | null {
  const identity = markerIdentity(body.slice(tag.start, tag.end), role);
  if (!identity) return null;
  if (role === 'begin') return withId({ role, start: tag.start, end: tag.end }, identity.meetingId);
  const close = closes.after(tag.name, tag.start);
  return close === -1 ? null : withId({ role, start: tag.start, end: close }, identity.meetingId);
}

function withId(marker: Omit<Marker, 'meetingId'>, meetingId: string | undefined): Marker {
  return meetingId && isValidMeetingId(meetingId) ? { ...marker, meetingId } : marker;
}

interface Tag {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

/** The start tag opening at `start`, if one does. */
function tagAt(body: string, start: number): Tag | null {
  const name = /^<([a-zA-Z][a-zA-Z0-9:]*)/.exec(body.slice(start, start + 64))?.[1];
  if (!name) return null;
  const end = tagEnd(body, start + 1 + name.length);
  return end === -1 ? null : { name: name.toLowerCase(), start, end };
}

/**
 * Index just past the `>` closing a tag, skipping quoted attribute values, or -1. A `<` ends the
 * search even inside quotes (Outlook writes it `&lt;` there), so no two searches cover the same text.
 */
function tagEnd(body: string, from: number): number {
  let quote = '';
  const last = Math.min(body.length, from + MAX_TAG_LENGTH);
  for (let i = from; i < last; i++) {
    const c = body[i];
    if (c === '<') return -1;
    if (quote) {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '>') {
      return i + 1;
    }
  }
  return -1;
}

const ATTRIBUTE = /([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;

/** The marker's meeting id (when its id attribute survived), or null when the token is not a marker. */
const SENTINEL_WORD = {
  begin: /^(?:x_)*roomlink-join-begin(?:-([A-Za-z0-9_-]+))?$/i,
  end: /^(?:x_)*roomlink-join-end(?:-([A-Za-z0-9_-]+))?$/i,
} as const;

function markerIdentity(tagText: string, role: 'begin' | 'end'): { meetingId?: string } | null {
  const token = SENTINEL_WORD[role];
  let identity: { meetingId?: string } | null = null;
  const attributes = tagText.replace(/^<[a-zA-Z][a-zA-Z0-9:]*/, '').replace(/\/?>$/, '');
  for (const a of attributes.matchAll(ATTRIBUTE)) {
    const name = (a[1] as string).toLowerCase();
    if (name !== 'id' && name !== 'class') continue;
    for (const word of (a[2] ?? a[3] ?? a[4] ?? '').split(/\s+/)) {
      const hit = token.exec(word);
      if (!hit) continue;
      identity = hit[1] ? { meetingId: hit[1] } : (identity ?? {});
    }
  }
  return identity;
}

/**
 * For each element of a name, where it closes: one pass over the body per name, whatever the number
 * of sentinels asking (each used to count depth from its own start to the end of the body).
 */
class ClosingTags {
  readonly #pairs = new Map<string, Map<number, number>>();
  constructor(private readonly body: string) {}

  /** Index just past the end tag matching the element whose start tag is at `start`, or -1. */
  after(name: string, start: number): number {
    let pairs = this.#pairs.get(name);
    if (!pairs) {
      pairs = pairTags(this.body, name);
      this.#pairs.set(name, pairs);
    }
    return pairs.get(start) ?? -1;
  }
}

function pairTags(body: string, name: string): Map<number, number> {
  const tags = new RegExp(`<(/?)${name}(?=[\\s/>])(?:[^<>"']|"[^"<]*"|'[^'<]*')*>`, 'gi');
  const open: number[] = [];
  const pairs = new Map<number, number>();
  for (const m of body.matchAll(tags)) {
    if (m[1]) {
      const start = open.pop();
      if (start !== undefined) pairs.set(start, m.index + m[0].length);
    } else if (!m[0].endsWith('/>')) {
      open.push(m.index);
    }
  }
  return pairs;
}

/** Widens [start, end) over elements that wrap nothing but the range. */
function widen(body: string, start: number, end: number): [number, number] {
  let s = start;
  let e = end;
  for (let wrappers = 0; wrappers < MAX_WRAPPERS; wrappers++) {
    const before = body.slice(Math.max(0, s - 4096), s);
    const open = WRAPPER_OPEN_AT_END.exec(before);
    if (!open) break;
    // Word-based Outlook ends each paragraph with an empty <o:p></o:p>.
    const close = new RegExp(`^\\s*(?:<o:p>\\s*</o:p>\\s*)?</${open[1]}\\s*>`, 'i').exec(
      body.slice(e, e + 256),
    );
    if (!close) break;
    s -= before.length - open.index;
    e += close[0].length;
  }
  return [s, e];
}

// ---------------------------------------------------------------------------------------------
// Separator lines around a join URL: text bodies, and HTML whose markers did not survive.

interface Span {
  readonly start: number;
  readonly end: number;
}

function listTextBlocks(body: string): JoinBlockLocation[] {
  return blocksFromSeparators(body, 'text');
}

function blocksFromSeparators(body: string, kind: BodyKind): JoinBlockLocation[] {
  const separators = kind === 'text' ? separatorLines(body) : separatorRuns(body);
  if (separators.length < 2) return [];
  const maxDistance = kind === 'text' ? MAX_TEXT_DISTANCE : MAX_HTML_DISTANCE;
  const blocks: JoinBlockLocation[] = [];
  let consumed = 0;
  // URLs and separators both come in order: one walk over each finds every URL's neighbours.
  let next = 0;
  for (const url of body.matchAll(SLUG_IN_URL)) {
    if (blocks.length >= MAX_BLOCKS) break;
    if (url.index < consumed) continue;
    const urlEnd = url.index + url[0].length;
    while (next < separators.length && (separators[next] as Span).end <= url.index) next++;
    const before = separators[next - 1];
    let following = next;
    while (following < separators.length && (separators[following] as Span).start < urlEnd) following++;
    const after = separators[following];
    if (!before || !after || before.end < consumed) continue;
    if (url.index - before.end > maxDistance || after.start - urlEnd > maxDistance) continue;
    let start = before.start;
    let end = after.end;
    if (kind === 'html') [start, end] = widen(body, ...separatorElement(body, before, after));
    blocks.push({ slug: url[1] as string, start, end });
    consumed = end;
  }
  return blocks;
}

/** Whole lines of underscores (spaces and a trailing `\r` allowed). */
function separatorLines(body: string): Span[] {
  const lines: Span[] = [];
  const line = new RegExp(`^[ \\t\\u00a0]*_{${MIN_SEPARATOR_LENGTH},}[ \\t\\u00a0]*(?=\\r?$)`, 'gm');
  for (const m of body.matchAll(line)) lines.push({ start: m.index, end: m.index + m[0].length });
  return lines;
}

function separatorRuns(body: string): Span[] {
  return [...body.matchAll(SEPARATOR_RUN)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
}

/** From the opening of the element holding the first rule to the close of the one holding the last. */
function separatorElement(body: string, first: Span, last: Span): [number, number] {
  const preceding = body.slice(Math.max(0, first.start - 2048), first.start);
  const open = lastMatch(preceding, /<(?:div|p)\b/gi);
  const start = open === -1 ? first.start : first.start - preceding.length + open;
  const close = /<\/(?:div|p)\s*>/i.exec(body.slice(last.end, last.end + 2048));
  const end = close ? last.end + close.index + close[0].length : last.end;
  return [start, end];
}

function located(body: string, start: number, end: number, meetingId: string | undefined): JoinBlockLocation {
  const slug = new RegExp(SLUG_IN_URL.source, 'i').exec(body.slice(start, end))?.[1];
  return { ...(meetingId ? { meetingId } : {}), ...(slug ? { slug } : {}), start, end };
}

function lastMatch(text: string, pattern: RegExp): number {
  let index = -1;
  for (const m of text.matchAll(pattern)) index = m.index;
  return index;
}

function lineEnding(body: string): string {
  return body.includes('\r\n') ? '\r\n' : '\n';
}
