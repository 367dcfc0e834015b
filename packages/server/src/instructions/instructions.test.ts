import { describe, expect, it } from 'vitest';
import {
  DEFAULT_TEMPLATES,
  findJoinBlock,
  insertJoinBlock,
  type JoinDetails,
  pickLanguage,
  removeJoinBlock,
  renderInstructions,
  replaceJoinBlock,
  TemplateError,
  validateTemplates,
} from './index.js';

const details: JoinDetails = {
  meetingId: '3f2b8c1e-5d4a-4c6b-9e8f-1a2b3c4d5e6f',
  joinUrl: 'https://roomlink.example/m/Zk3pQ9xY2mN8vB4tR6wL1a',
  conferenceId: '4815162342',
  sipUri: '4815162342@roomlink.example',
  guestPin: '902114',
  hostPin: '558031',
  dialIn: null,
};

describe('rendering', () => {
  it('renders English and French with the guest PIN but never the host PIN', () => {
    const en = renderInstructions(details, 'en');
    const fr = renderInstructions(details, 'fr');
    expect(en.html).toContain('Join the meeting');
    expect(en.html).toContain('481 516 234 2');
    expect(fr.html).toContain('Rejoindre la réunion');
    expect(fr.text).toContain('Code invité : 902114');
    for (const r of [en, fr]) {
      expect(r.html).toContain(details.joinUrl);
      expect(r.html).toContain('902114');
      expect(r.html).not.toContain(details.hostPin);
      expect(r.text).not.toContain(details.hostPin);
      expect(r.text).toContain(details.sipUri);
    }
  });

  it('shows a dial-in line only when configured, and no guest PIN line without one', () => {
    const withDialIn = renderInstructions(
      { ...details, guestPin: null, dialIn: { number: '+33 1 23 45 67 89' } },
      'en',
    );
    expect(withDialIn.text).toContain('Dial in by phone: +33 1 23 45 67 89');
    expect(withDialIn.text).not.toContain('Guest PIN');
    expect(renderInstructions(details, 'en').text).not.toContain('Dial in');
  });

  it('escapes every variable', () => {
    const hostile = {
      ...details,
      joinUrl: 'https://x/m/"><script>alert(1)</script>',
      sipUri: `<img src=x onerror=alert(1)>`,
    };
    const r = renderInstructions(hostile, 'en');
    expect(r.html).not.toContain('<script>');
    expect(r.html).not.toContain('<img');
    expect(r.html).toContain('&lt;script&gt;');
  });

  it('uses a tenant override for its language and the default for others', () => {
    const overrides = { fr: { html: '<p>Salut {{joinUrl}}</p>', text: 'Salut {{joinUrl}}' } };
    expect(renderInstructions(details, 'fr', overrides).text).toContain(`Salut ${details.joinUrl}`);
    expect(renderInstructions(details, 'en', overrides).text).toContain('Join the meeting');
  });
});

describe('template validation', () => {
  const base = DEFAULT_TEMPLATES.en;
  it('accepts the defaults', () => {
    expect(() => validateTemplates(DEFAULT_TEMPLATES.en)).not.toThrow();
    expect(() => validateTemplates(DEFAULT_TEMPLATES.fr)).not.toThrow();
  });
  it.each([
    ['triple-stash', '<p>{{{joinUrl}}}</p>', /unescaped/],
    ['ampersand output', '<p>{{& joinUrl}}</p>', /unescaped/],
    ['a partial', '<p>{{> footer}}</p>', /partials/],
    ['an unknown variable', '<p>{{organizerEmail}}</p>', /unknown variable "organizerEmail"/],
    ['an unknown helper', '<p>{{shout joinUrl}}</p>', /unknown helper "shout"/],
    ['a syntax error', '<p>{{#if guestPin}}open</p>', /syntax error on line 1/],
    ['a script tag', '<p>{{joinUrl}}</p><script>x()</script>', /script/],
    ['an event handler', '<p onclick="x()">{{joinUrl}}</p>', /event-handler/],
    ['a javascript: URL', '<a href="javascript:alert(1)">join</a>', /javascript:/],
  ])('rejects %s with a clear detail', (_name, html, detail) => {
    let error: unknown;
    try {
      validateTemplates({ ...base, html });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TemplateError);
    expect((error as TemplateError).field).toBe('html');
    expect((error as TemplateError).detail).toMatch(detail);
  });
  it('rejects an empty text template', () => {
    expect(() => validateTemplates({ ...base, text: ' ' })).toThrow(/text template: is empty/);
  });
});

describe('pickLanguage', () => {
  it.each([
    ['fr', 'fr'],
    ['fr-CA', 'fr'],
    ['FR-fr', 'fr'],
    ['de-DE', 'en'],
    ['de-DE,fr;q=0.8,en;q=0.5', 'fr'],
    ['en;q=0.2,fr;q=0.9', 'fr'],
    ['fr;q=0,en', 'en'],
    [undefined, 'en'],
  ])('%s → %s (tenant default en)', (requested, expected) => {
    expect(pickLanguage(requested, 'en')).toBe(expected);
  });
  it('falls back to the tenant default', () => {
    expect(pickLanguage('es', 'fr')).toBe('fr');
  });
});

describe('join block marker', () => {
  const userHtml =
    '<html><head><style>p{}</style></head><body><p>Agenda:</p><ul><li>Budget — “Q1”</li></ul>\n</body></html>';
  const block = renderInstructions(details, 'en');

  it('inserts after the user text and removes back to the exact original', () => {
    const withBlock = insertJoinBlock(userHtml, block.html, 'html');
    expect(withBlock.indexOf('Agenda')).toBeLessThan(withBlock.indexOf('Join the meeting'));
    expect(withBlock).toMatch(/<\/body><\/html>$/);
    const found = findJoinBlock(withBlock, 'html');
    expect(found).toMatchObject({
      meetingId: details.meetingId,
      slug: 'Zk3pQ9xY2mN8vB4tR6wL1a',
      delimited: true,
    });
    expect(removeJoinBlock(withBlock, 'html')).toBe(userHtml);
  });

  it('still finds and removes exactly the block after Outlook rewrote the HTML', () => {
    const inserted = insertJoinBlock(userHtml, block.html, 'html');
    const rewritten = inserted
      .replaceAll('class="roomlink-', 'class=x_roomlink-')
      .replaceAll(/"/g, "'")
      .replace('<div class=x_roomlink-begin', '<div><div class=x_roomlink-begin')
      .replace(/(x_roomlink-end-[^>]+>.*?<\/div>)/, '$1</div>')
      .replaceAll(/<!--.*?-->/g, '');
    const found = findJoinBlock(rewritten, 'html');
    expect(found?.meetingId).toBe(details.meetingId);
    const removed = removeJoinBlock(rewritten, 'html');
    expect(removed).not.toContain('Join the meeting');
    expect(removed).toContain('<p>Agenda:</p><ul><li>Budget — “Q1”</li></ul>');
    expect(removed.replace('<div></div>', '')).toBe(userHtml.replaceAll('"', "'"));
  });

  it('replaces only the block', () => {
    const inserted = insertJoinBlock(userHtml, block.html, 'html');
    const replaced = replaceJoinBlock(inserted, renderInstructions(details, 'fr').html, 'html');
    expect(replaced).toContain('Rejoindre la réunion');
    expect(replaced).not.toContain('Join the meeting');
    expect(removeJoinBlock(replaced, 'html')).toBe(userHtml);
  });

  it('works on plain-text bodies', () => {
    const userText = 'Agenda:\n- budget\n';
    const withBlock = insertJoinBlock(userText, block.text, 'text');
    expect(findJoinBlock(withBlock, 'text')).toMatchObject({
      slug: 'Zk3pQ9xY2mN8vB4tR6wL1a',
      delimited: true,
    });
    expect(removeJoinBlock(withBlock, 'text')).toBe(userText);
    expect(removeJoinBlock(`${withBlock}\nThanks!`, 'text')).toBe(`${userText}Thanks!`);
  });

  it('falls back to the join link when delimiters are gone, but removes nothing it cannot bound', () => {
    const mangled = `<p>See ${details.joinUrl} for the call</p>`;
    expect(findJoinBlock(mangled, 'html')).toMatchObject({
      slug: 'Zk3pQ9xY2mN8vB4tR6wL1a',
      delimited: false,
    });
    expect(removeJoinBlock(mangled, 'html')).toBe(mangled);
    expect(findJoinBlock('<p>no meeting here</p>', 'html')).toBeNull();
  });
});
