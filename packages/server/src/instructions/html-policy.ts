/**
 * What a rendered join-instructions HTML fragment may contain. The fragment goes into the body of
 * every attendee's appointment, so it is held to a small allowlist of e-mail-safe markup: well-formed
 * (Outlook's editors rewrite what they cannot parse), no active content, and only link schemes that
 * make sense in an invitation. Checked on the output of a template rendered with sample data, which
 * also catches markup assembled from template pieces (`<scr{{#if x}}ipt>`).
 */

export interface HtmlProblem {
  readonly message: string;
  /**
   * The offending output text, most precise first (the attribute, the whole tag, the tag's name):
   * the first that appears verbatim in the template tells where the problem is.
   */
  readonly snippets: readonly string[];
}

export interface HtmlSummary {
  /** Decoded href values of `<a>` elements, in order. */
  readonly links: readonly string[];
}

const ALLOWED_ELEMENTS = new Set([
  'a',
  'abbr',
  'b',
  'big',
  'blockquote',
  'br',
  'caption',
  'center',
  'code',
  'col',
  'colgroup',
  'dd',
  'del',
  'div',
  'dl',
  'dt',
  'em',
  'font',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'hr',
  'i',
  'img',
  'ins',
  'li',
  'mark',
  'ol',
  'p',
  'pre',
  'q',
  's',
  'small',
  'span',
  'strike',
  'strong',
  'sub',
  'sup',
  'table',
  'tbody',
  'td',
  'tfoot',
  'th',
  'thead',
  'tr',
  'tt',
  'u',
  'ul',
]);
const VOID_ELEMENTS = new Set(['br', 'col', 'hr', 'img']);
const ALLOWED_ATTRIBUTES = new Set([
  'align',
  'alt',
  'bgcolor',
  'border',
  'cellpadding',
  'cellspacing',
  'class',
  'color',
  'colspan',
  'dir',
  'face',
  'height',
  'href',
  'id',
  'lang',
  'name',
  'nowrap',
  'rel',
  'role',
  'rowspan',
  'size',
  'span',
  'src',
  'style',
  'target',
  'title',
  'valign',
  'width',
]);
const LINK_SCHEMES = /^(?:https?:\/\/|mailto:|tel:|sips?:)/i;
const IMAGE_SCHEMES = /^https?:\/\//i;
const FORBIDDEN_IN_STYLE = [
  'expression(',
  'javascript:',
  'vbscript:',
  'behavior:',
  '-moz-binding',
  'url(',
  '@import',
  '\\',
  '<',
];

/** The first problem in `html`, or null (with what the caller needs to check further) when it is fine. */
export function inspectHtml(html: string): { problem: HtmlProblem } | { summary: HtmlSummary } {
  const open: { name: string; tag: string }[] = [];
  const links: string[] = [];
  let i = 0;
  for (;;) {
    const lt = html.indexOf('<', i);
    if (lt === -1) break;
    const fail = (message: string, ...precise: string[]) => {
      const whole = html.slice(lt, Math.min(html.indexOf('>', lt) + 1 || lt + 40, lt + 120));
      const head = /^<\/?[^\s>]*/.exec(whole)?.[0] ?? '<';
      return { problem: { message, snippets: [...precise, whole, head] } };
    };
    if (html.startsWith('<!--', lt)) {
      return fail('HTML comments are not allowed (write template comments as {{! … }})');
    }
    if (html[lt + 1] === '!' || html[lt + 1] === '?')
      return fail('<!…> and <?…> declarations are not allowed');
    const closing = html[lt + 1] === '/';
    const nameStart = lt + (closing ? 2 : 1);
    const name = /^[a-zA-Z][a-zA-Z0-9]*/.exec(html.slice(nameStart, nameStart + 32))?.[0]?.toLowerCase();
    if (!name) return fail('a literal "<" must be written as &lt;');
    if (!ALLOWED_ELEMENTS.has(name)) {
      const why = DANGEROUS_ELEMENTS.has(name)
        ? 'is not allowed'
        : 'is not an element allowed in join instructions';
      return fail(`<${name}> ${why}`);
    }
    const tag = readTag(html, nameStart + name.length, closing);
    if ('error' in tag) return fail(`<${name}>: ${tag.error}`);
    i = tag.end;
    if (closing) {
      if (VOID_ELEMENTS.has(name)) return fail(`</${name}> is not valid: <${name}> has no end tag`);
      const top = open.pop()?.name;
      if (top !== name) return fail(top ? `</${name}> does not close <${top}>` : `</${name}> closes nothing`);
      continue;
    }
    for (const attribute of tag.attributes) {
      const problem = checkAttribute(name, attribute);
      if (problem) return fail(`<${name}>: ${problem}`, attribute.raw);
      if (name === 'a' && attribute.name === 'href') links.push(decodeEntities(attribute.value).trim());
    }
    if (VOID_ELEMENTS.has(name)) continue;
    if (tag.selfClosing) return fail(`<${name}/> is not valid HTML: write <${name}></${name}>`);
    open.push({ name, tag: html.slice(lt, tag.end) });
  }
  const unclosed = open.pop();
  if (unclosed) {
    return {
      problem: {
        message: `<${unclosed.name}> is never closed`,
        snippets: [unclosed.tag, `<${unclosed.name}`],
      },
    };
  }
  return { summary: { links } };
}

/** Named elements whose refusal is about safety rather than taste, for a clearer message. */
const DANGEROUS_ELEMENTS = new Set([
  'script',
  'style',
  'iframe',
  'frame',
  'frameset',
  'object',
  'embed',
  'applet',
  'link',
  'meta',
  'base',
  'form',
  'input',
  'button',
  'textarea',
  'select',
  'svg',
  'math',
  'template',
  'noscript',
  'html',
  'head',
  'body',
  'title',
  'video',
  'audio',
  'source',
  'portal',
]);

interface Attribute {
  readonly name: string;
  readonly value: string;
  /** As written, for pointing at it. */
  readonly raw: string;
}

type TagRead = { end: number; attributes: Attribute[]; selfClosing: boolean } | { error: string };

function readTag(html: string, from: number, closing: boolean): TagRead {
  const attributes: Attribute[] = [];
  let j = from;
  for (;;) {
    while (/\s/.test(html[j] ?? '')) j++;
    if (j >= html.length) return { error: 'the tag is never closed with ">"' };
    if (html[j] === '>') return { end: j + 1, attributes, selfClosing: false };
    if (html.startsWith('/>', j) && !closing) return { end: j + 2, attributes, selfClosing: true };
    if (closing) return { error: 'end tags take no attributes' };
    const name = /^[^\s"'<>/=]+/.exec(html.slice(j, j + 64))?.[0];
    if (!name) return { error: `unexpected "${html[j]}"` };
    const attributeStart = j;
    j += name.length;
    while (/\s/.test(html[j] ?? '')) j++;
    if (html[j] !== '=') {
      attributes.push({ name: name.toLowerCase(), value: '', raw: name });
      continue;
    }
    j++;
    while (/\s/.test(html[j] ?? '')) j++;
    const quote = html[j];
    if (quote !== '"' && quote !== "'") return { error: `the value of ${name} must be quoted` };
    const close = html.indexOf(quote, j + 1);
    if (close === -1) return { error: `the value of ${name} is never closed` };
    attributes.push({
      name: name.toLowerCase(),
      value: html.slice(j + 1, close),
      raw: html.slice(attributeStart, close + 1),
    });
    j = close + 1;
    if (!/[\s/>]/.test(html[j] ?? '')) return { error: `a space must follow the value of ${name}` };
  }
}

function checkAttribute(element: string, { name, value }: Attribute): string | null {
  if (name.startsWith('on')) return `event-handler attributes (${name}) are not allowed`;
  if (!ALLOWED_ATTRIBUTES.has(name) && !/^aria-[a-z]+$/.test(name))
    return `the attribute ${name} is not allowed`;
  const decoded = decodeEntities(value);
  if (name === 'href' || name === 'src') {
    // Browsers ignore whitespace and control characters inside a scheme ("java\tscript:").
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this looks for
    const url = decoded.replace(/[\u0000-\u0020\u007f-\u009f]/g, '');
    const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
    if (scheme === 'javascript' || scheme === 'vbscript' || scheme === 'livescript' || scheme === 'data') {
      return `${scheme}: URLs are not allowed`;
    }
    const allowed = element === 'img' || name === 'src' ? IMAGE_SCHEMES : LINK_SCHEMES;
    if (!allowed.test(url)) {
      return name === 'src'
        ? `${name} must be an absolute http(s) URL`
        : `${name} must be an absolute http(s), mailto:, tel: or sip: URL`;
    }
  }
  if (name === 'style') {
    const css = decoded
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/\s+/g, '')
      .toLowerCase();
    const bad = FORBIDDEN_IN_STYLE.find((f) => css.includes(f));
    if (bad) return `"${bad}" is not allowed in style`;
  }
  return null;
}

const NAMED_ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
  colon: ':',
  tab: '\t',
  newline: '\n',
  sol: '/',
  bsol: '\\',
  lpar: '(',
  rpar: ')',
  period: '.',
  comma: ',',
  semi: ';',
  equals: '=',
  num: '#',
  excl: '!',
  percnt: '%',
  plus: '+',
  quest: '?',
  commat: '@',
  lowbar: '_',
  hyphen: '-',
  dash: '-',
};

/** Enough of HTML's character references to see what a browser would see in an attribute. */
export function decodeEntities(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(
    /&(#[0-9]{1,8}|#[xX][0-9a-fA-F]{1,7}|[a-zA-Z][a-zA-Z0-9]{1,31});?/g,
    (whole, ref: string) => {
      if (ref.startsWith('#')) {
        const code =
          ref[1] === 'x' || ref[1] === 'X' ? Number.parseInt(ref.slice(2), 16) : Number(ref.slice(1));
        return code > 0 && code <= 0x10ffff && (code < 0xd800 || code > 0xdfff)
          ? String.fromCodePoint(code)
          : '\ufffd';
      }
      return NAMED_ENTITIES[ref.toLowerCase()] ?? whole;
    },
  );
}
