import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TEMPLATES,
  type InstructionTemplates,
  TemplateError,
  validateTemplate,
  validateTemplates,
  validateTenantTemplates,
} from './index.js';

const GOOD_HTML = '<p><a href="{{joinUrl}}">Join</a> {{formatConferenceId conferenceId}}</p>';
const GOOD_TEXT = 'Join: {{joinUrl}}';

function rejection(template: Partial<InstructionTemplates>): TemplateError {
  return rejectionOf(() => validateTemplates({ html: GOOD_HTML, text: GOOD_TEXT, ...template }));
}

function rejectionOf(validate: () => unknown): TemplateError {
  try {
    validate();
  } catch (error) {
    if (error instanceof TemplateError) return error;
    throw error;
  }
  throw new Error('the template was accepted');
}

describe('accepted templates', () => {
  it('the built-in templates pass, in both languages', () => {
    for (const lang of ['en', 'fr'] as const) {
      const checks = validateTemplates(DEFAULT_TEMPLATES[lang], lang);
      expect(checks.html.variables).toEqual(
        expect.arrayContaining(['joinUrl', 'conferenceId', 'sipUri', 'guestPin', 'dialIn.number', 'helpUrl']),
      );
      expect(checks.html.variables).not.toContain('hostPin');
      expect(checks.html.warnings).toEqual([]);
      expect(checks.text.warnings).toEqual([]);
    }
  });

  it('a logic-light custom template passes and reports what it uses', () => {
    const html = `<table role="presentation"><tr><td style="padding:4px">
{{#with dialIn}}<a href="{{telHref number ../conferenceId}}">{{number}}</a>{{/with}}
{{#unless guestPin}}No PIN needed.{{else}}PIN: {{guestPin}}{{/unless}}
<a href="{{joinUrl}}" title="{{lang}}">Join</a>{{! a comment }}<br>
</td></tr></table>`;
    expect(validateTemplate(html, 'html')).toEqual({
      field: 'html',
      variables: ['conferenceId', 'dialIn', 'dialIn.number', 'guestPin', 'joinUrl', 'lang'],
      helpers: ['telHref'],
      warnings: [],
    });
  });

  it('the host PIN is available, with a warning that every attendee will see it', () => {
    const check = validateTemplate('Join {{joinUrl}} (host PIN {{hostPin}})', 'text');
    expect(check.warnings).toEqual([expect.stringMatching(/hostPin is sent to every attendee/)]);
  });
});

describe('rejected templates', () => {
  it.each([
    ['triple-stash', { html: '<p><a href="{{joinUrl}}">x</a>{{{joinUrl}}}</p>' }, /unescaped output/, 1, 31],
    ['{{&…}}', { html: '<p><a href="{{joinUrl}}">x</a>\n{{& sipUri}}</p>' }, /unescaped output/, 2, 1],
    ['triple-stash in text', { text: 'Join {{{joinUrl}}}' }, /unescaped output/, 1, 6],
    ['a partial', { html: '{{> footer}}' }, /partials/, 1, 1],
    ['a partial block', { html: '{{#> layout}}x{{/layout}}' }, /partials/, 1, 1],
    ['a decorator', { html: '{{* inline}}' }, /decorators/, 1, 1],
    [
      'an unknown variable',
      { html: '<p>\n  <a href="{{joinUrl}}">{{organizerEmail}}</a></p>' },
      /unknown variable "organizerEmail"; available: joinUrl/,
      2,
      27,
    ],
    ['the subject', { text: '{{joinUrl}} {{subject}}' }, /unknown variable "subject"/, 1, 15],
    [
      'a property of a value',
      { text: '{{joinUrl}} {{joinUrl.length}}' },
      /unknown variable "joinUrl.length"/,
      1,
      15,
    ],
    [
      'an object as a value',
      { text: '{{joinUrl}} {{dialIn}}' },
      /dialIn is not a value.*dialIn\.number/,
      1,
      13,
    ],
    ['an unknown helper', { html: '<p>{{shout joinUrl}}</p>' }, /unknown helper "shout"/, 1, 4],
    ['a removed built-in helper', { html: '{{lookup this "joinUrl"}}' }, /unknown helper "lookup"/, 1, 1],
    [
      '#each',
      { text: '{{joinUrl}}\n{{#each dialIn}}x{{/each}}' },
      /the block \{\{#each\}\} is not allowed/,
      2,
      1,
    ],
    ['an inverse section', { text: '{{joinUrl}}{{^guestPin}}x{{/guestPin}}' }, /#unless/, 1, 12],
    ['@root', { text: '{{joinUrl}} {{@root.joinUrl}}' }, /@-variables/, 1, 15],
    ['a wrong helper arity', { text: '{{joinUrl}} {{formatConferenceId}}' }, /takes 1 argument/, 1, 13],
    [
      'an unclosed block, named as written, at its opening tag',
      { html: '<p>\n<a href="{{joinUrl}}">x</a>\n{{#if guestPin}}open</p>' },
      /^\{\{#if guestPin\}\} is not closed: the template ends before its \{\{\/if\}\} \(on line 3, column 1\)$/,
      3,
      1,
    ],
    [
      'a stray closing tag',
      { text: '{{joinUrl}}\n{{#if guestPin}}x{{/if}} {{/if}}' },
      /^\{\{\/if\}\} has no open block to close \(on line 2, column 26\)$/,
      2,
      26,
    ],
    [
      'a mismatched block',
      { text: '{{joinUrl}}\n{{#if guestPin}}x{{/unless}}' },
      /^\{\{#if\}\} is closed by \{\{\/unless\}\}: a block ends with its own name, \{\{\/if\}\}/,
      2,
      undefined,
    ],
    [
      '{{else}} outside a block',
      { text: '{{joinUrl}} {{else}}' },
      /^\{\{else\}\} is outside any block/,
      1,
      13,
    ],
    [
      'a lexical error',
      { text: '{{joinUrl}} {{ } }}' },
      /^syntax error: this \{\{…\}\} cannot be read/,
      1,
      undefined,
    ],
  ])('%s', (_name, template, detail, line, column) => {
    const error = rejection(template);
    expect(error.detail).toMatch(detail);
    expect(error.field).toBe('html' in template ? 'html' : 'text');
    expect(error.line).toBe(line);
    if (column !== undefined) expect(error.column).toBe(column);
    if (error.line !== undefined)
      expect(error.detail).toContain(`line ${error.line}, column ${error.column}`);
    // The position once, and none of the parser's token names (OPEN_ENDBLOCK, EOF…).
    expect(error.detail.match(/line \d+/g) ?? []).toHaveLength(error.line === undefined ? 0 : 1);
    expect(error.detail).not.toMatch(/'[A-Z_]{3,}'|\bEOF\b|expected/);
  });

  it.each([
    [
      'a script tag',
      '<a href="{{joinUrl}}">x</a>\n  <script>alert(1)</script>',
      /<script> is not allowed/,
      2,
      3,
    ],
    [
      'a script tag built from pieces',
      '<a href="{{joinUrl}}">x</a><scr{{#if joinUrl}}ipt{{/if}}>',
      /<script> is not allowed/,
    ],
    ['a style element', '<style>p{}</style><a href="{{joinUrl}}">x</a>', /<style> is not allowed/, 1, 1],
    ['an iframe', '<a href="{{joinUrl}}">x</a><iframe src="https://x"></iframe>', /<iframe> is not allowed/],
    [
      'an event handler',
      '<a href="{{joinUrl}}" onclick="go()">x</a>',
      /event-handler attributes \(onclick\)/,
      1,
      23,
    ],
    [
      'an upper-case event handler',
      '<a href="{{joinUrl}}">x</a><img src="https://x/i.png" ONERROR="x">',
      /event-handler/,
    ],
    [
      'a javascript: URL',
      '<a href="{{joinUrl}}">x</a><a href="javascript:alert(1)">y</a>',
      /javascript: URLs are not allowed/,
      1,
      31,
    ],
    [
      'an entity-hidden javascript: URL',
      '<a href="{{joinUrl}}">x</a><a href="jav&#x61;script&colon;alert(1)">y</a>',
      /javascript: URLs/,
    ],
    [
      'a tab-split javascript: URL',
      '<a href="{{joinUrl}}">x</a><a href="java\tscript:alert(1)">y</a>',
      /javascript: URLs/,
    ],
    [
      'a data: URL',
      '<a href="{{joinUrl}}">x</a><img src="data:image/png;base64,AAAA">',
      /data: URLs are not allowed/,
    ],
    ['a relative link', '<a href="{{joinUrl}}">x</a><a href="/help">y</a>', /must be an absolute/],
    [
      'a variable as an href without scheme',
      '<a href="{{joinUrl}}">x</a><a href="{{sipUri}}">y</a>',
      /must be an absolute/,
    ],
    [
      'CSS expressions',
      '<a href="{{joinUrl}}" style="width:expression(alert(1))">x</a>',
      /"expression\(" is not allowed in style/,
    ],
    [
      'CSS url()',
      '<div style="background:url(https://x/t.png)"><a href="{{joinUrl}}">x</a></div>',
      /"url\(" is not allowed/,
    ],
    [
      'an unquoted attribute (a variable could add attributes)',
      '<a href={{joinUrl}}>x</a>',
      /must be quoted/,
    ],
    ['a variable in attribute position', '<a href="{{joinUrl}}" {{sipUri}}>x</a>', /not allowed|unexpected/],
    ['an unclosed element', '<div><a href="{{joinUrl}}">x</a>', /<div> is never closed/, 1, 1],
    [
      'an unclosed element in one branch',
      '<a href="{{joinUrl}}">x</a>{{#if guestPin}}<div>{{/if}}',
      /<div> is never closed/,
    ],
    ['misnested elements', '<b><i><a href="{{joinUrl}}">x</a></b></i>', /<\/b> does not close <i>/],
    ['an HTML comment', '<!-- hi --><a href="{{joinUrl}}">x</a>', /HTML comments are not allowed/],
    ['a bare <', '<a href="{{joinUrl}}">x</a> 1 < 2', /must be written as &lt;/],
    ['no join link', '<p>{{joinUrl}}</p>', /must link to the meeting/],
    [
      'a marker look-alike',
      '<a href="{{joinUrl}}" class="roomlink-join-end">x</a>',
      /reserved for the block's markers/,
    ],
    ['an underscore rule', `<a href="{{joinUrl}}">x</a>${'_'.repeat(30)}`, /reserved/, 1, 28],
    ['an underscore rule made of entities', `<a href="{{joinUrl}}">x</a>${'&#95;'.repeat(25)}`, /reserved/],
    [
      'an element Outlook would not keep',
      '<a href="{{joinUrl}}">x</a><marquee>hi</marquee>',
      /<marquee> is not an element allowed/,
    ],
  ])('HTML with %s', (_name, html, detail, line?: number, column?: number) => {
    const error = rejection({ html });
    expect(error.field).toBe('html');
    expect(error.detail).toMatch(detail);
    if (line !== undefined) expect([error.line, error.column]).toEqual([line, column]);
  });

  it.each([
    ['no join link', 'Join us at {{sipUri}}', /must contain the join link/],
    ['an underscore rule', `{{joinUrl}}\n${'_'.repeat(25)}`, /reserved/],
    ['a control character', '{{joinUrl}}\u0007', /control characters/],
    ['nothing', '  \n ', /the template is empty/],
  ])('text with %s', (_name, text, detail) => {
    const error = rejection({ text });
    expect(error.field).toBe('text');
    expect(error.detail).toMatch(detail);
  });

  it('rejects what only one branch of the template would produce', () => {
    expect(rejection({ text: '{{joinUrl}}{{#if dialIn}}{{dialIn.numbr}}{{/if}}' }).detail).toMatch(
      /dialIn\.numbr/,
    );
    expect(rejection({ html: '<a href="{{joinUrl}}">x</a>{{#if helpUrl}}<script>{{/if}}' }).detail).toMatch(
      /script/,
    );
  });

  it('rejects oversized and non-text templates', () => {
    expect(rejection({ text: `{{joinUrl}}${' '.repeat(20_001)}` }).detail).toMatch(/longer than 20,000/);
    expect(rejection({ text: 42 as unknown as string }).detail).toMatch(/must be text/);
  });

  it('counts characters as the settings schema does (code points), so an emoji is one', () => {
    const emoji = '\u{1F4C5}'; // two UTF-16 units
    // In a comment, so that the rendered text stays within its own limit.
    const frame = '{{joinUrl}}{{!--  --}}';
    const fits = `{{joinUrl}}{{!-- ${emoji.repeat(20_000 - frame.length)} --}}`;
    expect(() => validateTemplates({ html: GOOD_HTML, text: fits })).not.toThrow();
    expect(rejection({ text: `${fits}.` }).detail).toMatch(/longer than 20,000/);
  });

  it('names the language of a tenant override that fails', () => {
    const overrides = {
      en: { html: GOOD_HTML, text: GOOD_TEXT },
      fr: { html: GOOD_HTML, text: '{{x}}' },
    };
    const error = rejectionOf(() => validateTenantTemplates(overrides));
    expect(error).toBeInstanceOf(TemplateError);
    expect(error).toMatchObject({ field: 'text', language: 'fr', line: 1, column: 3 });
    expect(error.message).toMatch(/^fr text template: unknown variable "x"/);
    expect(Object.keys(validateTenantTemplates({ fr: DEFAULT_TEMPLATES.fr }))).toEqual(['fr']);
  });
});
