import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type JoinDetails, renderInstructions } from './index.js';
import {
  findJoinBlock,
  findJoinLink,
  insertJoinBlock,
  listJoinBlocks,
  removeJoinBlock,
  replaceJoinBlock,
  SEPARATOR_LINE,
  upsertJoinBlock,
  wrapHtmlBlock,
} from './marker.js';

const details: JoinDetails = {
  meetingId: '3f2b8c1e-5d4a-4c6b-9e8f-1a2b3c4d5e6f',
  joinUrl: 'https://roomlink.example/m/Zk3pQ9xY2mN8vB4tR6wL1a',
  conferenceId: '4815162342',
  sipUri: '4815162342@roomlink.example',
  guestPin: '902114',
  hostPin: '558031',
  dialIn: { number: '+33 1 23 45 67 89' },
};
const SLUG = 'Zk3pQ9xY2mN8vB4tR6wL1a';
const other: JoinDetails = {
  ...details,
  meetingId: '9d3c2b1a-0000-4000-8000-00000000beef',
  joinUrl: 'https://roomlink.example/m/OtherMeetingSlug000001',
};

const en = renderInstructions(details, 'en');
const fr = renderInstructions(details, 'fr');

/** A body as Outlook on the web hands it to an add-in, with text the block must not touch. */
const USER_HTML =
  '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">' +
  '<style type="text/css" style="display:none;">P {margin-top:0;margin-bottom:0;}</style></head>' +
  '<body dir="ltr"><div class="elementToProof" style="font-family: Aptos; font-size: 12pt;">' +
  'Agenda: budget — “Q1” &amp; <b>hiring</b><br>See <a href="https://example.com/m/notours">notes</a></div>' +
  '<div id="Signature"><p>Alice<br>___________________________</p></div>\n</body></html>';

/** A Teams block the user also has in the body: ours must never take any of it. */
const TEAMS_HTML =
  '<div style="width:100%"><span style="white-space:nowrap;color:#5F5F5F;opacity:.36;">' +
  '________________________________________________________________________________</span></div>' +
  '<div><span style="font-size:24px">Microsoft Teams meeting</span><br>' +
  '<a href="https://teams.microsoft.com/l/meetup-join/19%3ameeting_abc%40thread.v2/0">Join now</a></div>' +
  '<div style="width:100%"><span style="white-space:nowrap;color:#5F5F5F;opacity:.36;">' +
  '________________________________________________________________________________</span></div>';

// --- What Outlook does to HTML it is given (simulated from documented behaviour) -------------

/** Exchange / Outlook on the web: every id and class token gets `x_`, again on each round trip. */
function prefixX(html: string): string {
  return html.replace(
    /\b(id|class)="([^"]*)"/g,
    (_m, name: string, value: string) =>
      `${name}="${value
        .split(/\s+/)
        .map((t) => `x_${t}`)
        .join(' ')}"`,
  );
}

function stripComments(html: string): string {
  return html.replace(/<!--[\s\S]*?-->/g, '');
}

/** Attribute names upper-cased, values unquoted or single-quoted, order reversed. */
function requote(html: string): string {
  return html.replace(
    /<([a-zA-Z][a-zA-Z0-9]*)((?:\s+[a-zA-Z-]+="[^"]*")+)\s*>/g,
    (_m, tag: string, attrs: string) => {
      const list = [...attrs.matchAll(/([a-zA-Z-]+)="([^"]*)"/g)].map(([, name, value]) => {
        const v = value as string;
        const quoted = /^[\w.:/-]+$/.test(v) ? v : `'${v.replaceAll("'", '&#39;')}'`;
        return `${(name as string).toUpperCase()}=${quoted}`;
      });
      return `<${tag} ${list.reverse().join(' ')}>`;
    },
  );
}

/** Extra wrappers: around the whole block, and around each of its sentinels. */
function wrapExtra(block: string): string {
  const eachSentinel = block.replace(
    /(<div class="[^"]*roomlink-join-(?:begin|end)[^"]*"[^>]*><span[^>]*>_+<\/span><\/div>)/g,
    '<div style="margin:0">$1</div>',
  );
  return `<div class="x_elementToProof"><div>${eachSentinel}</div></div>`;
}

/** Safe Links: hrefs point at the scanner, with the original URL percent-encoded in `url=`. */
function safeLinks(html: string): string {
  return html.replace(
    /href="(https:[^"]*)"/g,
    (_m, url: string) =>
      `href="https://eur01.safelinks.protection.outlook.com/?url=${encodeURIComponent(url)}&amp;data=05%7C02&amp;reserved=0"`,
  );
}

function crlfBetweenTags(html: string): string {
  return html.replaceAll('><', '>\r\n<');
}

/** Word-based Outlook: no ids, classes or comments left, divs become MsoNormal paragraphs. */
function wordify(html: string): string {
  return stripComments(html)
    .replace(/\s(?:id|class)="[^"]*"/g, '')
    .replace(/<div\b/g, '<p class=MsoNormal')
    .replace(/<\/div>/g, '<o:p></o:p></p>');
}

/** Inserts the block, then lets Outlook rewrite only the block (the user's HTML stays byte-identical). */
function insertRewritten(user: string, block: string, rewrite: (html: string) => string): string {
  const at = insertJoinBlock(user, '\u0000', 'html').indexOf('\u0000');
  return user.slice(0, at) + rewrite(block) + user.slice(at);
}

describe('HTML join block', () => {
  it('inserts after the user text, is found with its meeting id and slug, and removes byte-exactly', () => {
    const body = insertJoinBlock(USER_HTML, en.html, 'html');
    expect(body.indexOf('Agenda')).toBeLessThan(body.indexOf('Roomlink meeting'));
    expect(body.endsWith(`\n${en.html}</body></html>`)).toBe(true);
    const found = findJoinBlock(body, 'html');
    expect(found).toEqual({
      meetingId: details.meetingId,
      slug: SLUG,
      start: expect.any(Number),
      end: expect.any(Number),
    });
    expect(body.slice(found?.start, found?.end)).toBe(en.html);
    expect(removeJoinBlock(body, 'html')).toBe(USER_HTML);
  });

  it.each([
    ['an empty document', '<html><body></body></html>'],
    ['a fragment without <body>', '<p>Hello</p>'],
    ['an empty string', ''],
    ['text ending inside an unclosed div', '<div>Hello'],
  ])('round-trips %s', (_name, user) => {
    expect(removeJoinBlock(insertJoinBlock(user, en.html, 'html'), 'html')).toBe(user);
  });

  it.each([
    ['ids and classes prefixed x_ (twice)', (h: string) => prefixX(prefixX(stripComments(h)))],
    ['comments stripped', stripComments],
    ['extra wrapping divs', (h: string) => wrapExtra(stripComments(h))],
    ['attributes re-quoted, upper-cased and reordered', (h: string) => requote(stripComments(h))],
    ['Safe Links hrefs', safeLinks],
    ['CRLF between tags', crlfBetweenTags],
    [
      'all of the above',
      (h: string) => crlfBetweenTags(requote(safeLinks(wrapExtra(prefixX(stripComments(h)))))),
    ],
  ])('finds and removes exactly the block after Outlook rewrote it: %s', (_name, rewrite) => {
    const body = insertRewritten(USER_HTML, en.html, rewrite);
    const found = findJoinBlock(body, 'html');
    expect(found?.slug).toBe(SLUG);
    if (rewrite !== safeLinks && rewrite !== crlfBetweenTags)
      expect(found?.meetingId).toBe(details.meetingId);
    expect(removeJoinBlock(body, 'html')).toBe(USER_HTML);
  });

  it('keeps the meeting id while any marker survives: comments alone, or element ids alone', () => {
    const commentsOnly = en.html.replace(/\s(?:id|class)="[^"]*"/g, '');
    expect(
      findJoinBlock(
        insertRewritten(USER_HTML, commentsOnly, (h) => h),
        'html',
      )?.meetingId,
    ).toBe(details.meetingId);
    const idsOnly = prefixX(stripComments(en.html)).replace(/\sclass="[^"]*"/g, '');
    const body = insertRewritten(USER_HTML, idsOnly, (h) => h);
    expect(findJoinBlock(body, 'html')?.meetingId).toBe(details.meetingId);
    expect(removeJoinBlock(body, 'html')).toBe(USER_HTML);
  });

  it('falls back to the separator rules around the join URL when no marker survives (Word-based Outlook)', () => {
    const body = wordify(insertJoinBlock(USER_HTML, en.html, 'html'));
    const found = findJoinBlock(body, 'html');
    expect(found).toMatchObject({ slug: SLUG });
    expect(found?.meetingId).toBeUndefined();
    expect(removeJoinBlock(body, 'html')).toBe(wordify(USER_HTML));
  });

  it('rewriting the whole body (user text included) leaves the user text as Outlook rewrote it', () => {
    const rewrite = (h: string) => requote(prefixX(stripComments(h)));
    const body = rewrite(insertJoinBlock(USER_HTML, en.html, 'html'));
    expect(removeJoinBlock(body, 'html')).toBe(rewrite(USER_HTML));
  });

  it('never takes a Teams block, the user underscores, or a user link with /m/ in it', () => {
    const user = USER_HTML.replace('</body>', `${TEAMS_HTML}</body>`);
    const body = insertRewritten(user, en.html, stripComments);
    expect(removeJoinBlock(body, 'html')).toBe(user);
    const wordBody = wordify(insertJoinBlock(user, en.html, 'html'));
    expect(removeJoinBlock(wordBody, 'html')).toBe(wordify(user));
    expect(findJoinBlock(user, 'html')).toBeNull();
  });

  it('does not widen over an element that holds user text', () => {
    const body = `<div>Hello<br>${en.html}</div>`;
    expect(removeJoinBlock(body, 'html')).toBe('<div>Hello<br></div>');
  });

  it('keeps text typed at the end of the block, inside its wrapper, when removing or replacing it', () => {
    const block = en.html;
    const wrapperClose = block.lastIndexOf('</div>');
    const typed = '<p>Agenda: budget, hiring</p>';
    // The editor puts the caret inside the block's wrapper, after its closing rule, or just after it.
    for (const placed of [
      block.slice(0, wrapperClose) + typed + block.slice(wrapperClose),
      block.slice(0, wrapperClose + 6) + typed + block.slice(wrapperClose + 6),
    ]) {
      const body = insertJoinBlock(USER_HTML, placed, 'html');
      const removed = removeJoinBlock(body, 'html');
      expect(removed).toContain(typed);
      expect(removed).not.toContain('Roomlink meeting');
      expect(listJoinBlocks(removed, 'html')).toEqual([]);
      const replaced = replaceJoinBlock(body, fr.html, 'html');
      expect(replaced).toContain(typed);
      expect(replaced).toContain('Réunion Roomlink');
      expect(replaced).not.toContain('Roomlink meeting');
      // The block found afterwards is the new one alone, and a second replace keeps the text too.
      expect(listJoinBlocks(replaced, 'html')).toHaveLength(1);
      expect(replaceJoinBlock(replaced, en.html, 'html')).toContain(typed);
    }
  });

  it('replace swaps only the block', () => {
    const body = insertJoinBlock(USER_HTML, en.html, 'html').replace(
      '</body>',
      '<p>P.S. typed after</p></body>',
    );
    const replaced = replaceJoinBlock(body, fr.html, 'html');
    expect(replaced).toBe(body.replace(en.html, fr.html));
    expect(replaced).toContain('Réunion Roomlink');
    expect(replaced).not.toContain('Roomlink meeting');
    expect(replaceJoinBlock(USER_HTML, fr.html, 'html')).toBe(USER_HTML);
  });

  it('upsert appends once and replaces afterwards', () => {
    const once = upsertJoinBlock(USER_HTML, en.html, 'html');
    const twice = upsertJoinBlock(once, fr.html, 'html');
    expect(listJoinBlocks(twice, 'html')).toHaveLength(1);
    expect(removeJoinBlock(twice, 'html')).toBe(USER_HTML);
  });

  it('tells meetings apart and removes only the one asked for', () => {
    const second = renderInstructions(other, 'en').html;
    const body = insertJoinBlock(insertJoinBlock(USER_HTML, en.html, 'html'), second, 'html');
    expect(listJoinBlocks(body, 'html').map((b) => b.meetingId)).toEqual([
      details.meetingId,
      other.meetingId,
    ]);
    expect(findJoinBlock(body, 'html', { slug: 'OtherMeetingSlug000001' })?.meetingId).toBe(other.meetingId);
    const without = removeJoinBlock(body, 'html', { meetingId: details.meetingId });
    expect(without).toBe(insertJoinBlock(USER_HTML, second, 'html'));
    expect(removeJoinBlock(body, 'html')).toBe(USER_HTML);
  });

  it('removes nothing it cannot bound: a lone begin marker, or a bare join link', () => {
    const endless = `${USER_HTML}${en.html.slice(0, en.html.indexOf('roomlink-join-end') - 12)}`;
    const broken = stripComments(endless).replaceAll(SEPARATOR_LINE, '');
    expect(findJoinBlock(broken, 'html')).toBeNull();
    expect(removeJoinBlock(broken, 'html')).toBe(broken);
    const pasted = `<p>Link: ${details.joinUrl}</p>`;
    expect(findJoinBlock(pasted, 'html')).toBeNull();
    expect(removeJoinBlock(pasted, 'html')).toBe(pasted);
    expect(findJoinLink(pasted)).toEqual({ slug: SLUG, start: 9, end: 9 + details.joinUrl.length });
  });

  it('refuses a meeting id that could break out of the markers', () => {
    expect(() => wrapHtmlBlock('x--><script>', '<p></p>')).toThrow(TypeError);
    expect(() => wrapHtmlBlock('a--b', '<p></p>')).toThrow(TypeError);
  });
});

// --- Plain text -----------------------------------------------------------------------------

/** Roughly what Exchange gives for an HTML body asked for as text: blocks become lines, links `text <url>`. */
function htmlToText(html: string): string {
  return stripComments(html)
    .replace(/<a\b[^>]*href="([^"]*)"[^>]*>([\s\S]*?)<\/a>/gi, '$2 [[$1]]')
    .replace(/<br\s*\/?>|<\/(?:div|p)>/gi, '\r\n')
    .replace(/<[^>]+>/g, '')
    .replace(/\[\[(.*?)\]\]/g, '<$1>')
    .replace(/&nbsp;/g, '\u00a0')
    .replace(/&amp;/g, '&')
    .replace(/(\r\n)+/g, '\r\n');
}

describe('plain-text join block', () => {
  const USER_TEXT = 'Agenda:\n- budget\n- hiring\n\nAlice\n';

  it('wraps the text between separator lines and round-trips byte-exactly', () => {
    expect(en.text.startsWith(`${SEPARATOR_LINE}\n`)).toBe(true);
    expect(en.text.endsWith(`\n${SEPARATOR_LINE}`)).toBe(true);
    for (const user of [USER_TEXT, 'No newline at the end', '', '\n', 'Ends with two\n\n']) {
      const body = insertJoinBlock(user, en.text, 'text');
      const found = findJoinBlock(body, 'text');
      expect(found).toMatchObject({ slug: SLUG });
      expect(body.slice(found?.start, found?.end)).toBe(en.text);
      expect(removeJoinBlock(body, 'text')).toBe(user);
    }
  });

  it('follows a CRLF body, and Outlook re-wrapping it as CRLF', () => {
    const user = USER_TEXT.replaceAll('\n', '\r\n');
    const body = insertJoinBlock(user, en.text, 'text');
    expect(body).not.toMatch(/[^\r]\n/);
    expect(removeJoinBlock(body, 'text')).toBe(user);
    const rewrapped = insertJoinBlock(USER_TEXT, en.text, 'text').replaceAll('\n', '\r\n');
    expect(removeJoinBlock(rewrapped, 'text')).toBe(user);
  });

  it('leaves text typed after the block and a Teams block before it', () => {
    const teams = `${'_'.repeat(80)}\nMicrosoft Teams meeting\nJoin: https://teams.microsoft.com/l/meetup-join/abc\n${'_'.repeat(80)}\n`;
    const body = `${insertJoinBlock(teams + USER_TEXT, en.text, 'text')}\nThanks!`;
    expect(removeJoinBlock(body, 'text')).toBe(`${teams}${USER_TEXT}\nThanks!`);
  });

  it('finds the HTML block in Outlook’s text rendering of it', () => {
    const body = `Hello team\r\n\r\n${htmlToText(en.html)}\r\nBye`;
    expect(body).toContain(`Join the meeting now <${details.joinUrl}>`);
    expect(findJoinBlock(body, 'text')).toMatchObject({ slug: SLUG });
    // The blank line before the block goes with it; the line break the rendering put after it stays.
    expect(removeJoinBlock(body, 'text')).toBe('Hello team\r\n\r\nBye');
  });

  it('replace swaps only the block', () => {
    const body = `${insertJoinBlock(USER_TEXT, en.text, 'text')}\nP.S.`;
    expect(replaceJoinBlock(body, fr.text, 'text')).toBe(body.replace(en.text, fr.text));
  });

  it('removes nothing without both separator lines around the join link', () => {
    const body = `${USER_TEXT}${SEPARATOR_LINE}\nJoin: ${details.joinUrl}\n`;
    expect(findJoinBlock(body, 'text')).toBeNull();
    expect(removeJoinBlock(body, 'text')).toBe(body);
  });
});

describe('marker.ts', () => {
  it('imports nothing, so the browser add-in can bundle the same file', () => {
    const source = readFileSync(new URL('./marker.ts', import.meta.url), 'utf8');
    expect(source).not.toMatch(/^\s*import\s/m);
    expect(source).not.toMatch(/\brequire\(|\bdocument\.|\bwindow\.|\bprocess\./);
  });
});
