import { describe, expect, it, vi } from 'vitest';
import { prepareTemplate, type TemplateContext } from './engine.js';
import {
  DEFAULT_TEMPLATES,
  findJoinBlock,
  formatConferenceId,
  type JoinDetails,
  renderInstructions,
  TemplateError,
  telHref,
} from './index.js';

const details: JoinDetails = {
  meetingId: '3f2b8c1e-5d4a-4c6b-9e8f-1a2b3c4d5e6f',
  joinUrl: 'https://roomlink.example/m/Zk3pQ9xY2mN8vB4tR6wL1a',
  conferenceId: '4815162342',
  sipUri: '4815162342@sip.roomlink.example',
  guestPin: '902114',
  hostPin: '558031',
  dialIn: null,
};

const sampleContext: TemplateContext = {
  joinUrl: details.joinUrl,
  conferenceId: details.conferenceId,
  sipUri: details.sipUri,
  guestPin: null,
  hostPin: details.hostPin,
  dialIn: null,
  helpUrl: null,
  lang: 'en',
};

describe('default instructions', () => {
  it.each([
    [
      'en',
      ['Roomlink meeting', 'Join the meeting', 'Meeting ID:', 'Guest PIN:', 'video conferencing device'],
    ],
    [
      'fr',
      ['Réunion Roomlink', 'Rejoindre la réunion', 'ID de réunion', 'Code PIN invité', 'visioconférence'],
    ],
  ] as const)(
    '%s: the right words, the join link, grouped meeting ID, SIP address and guest PIN',
    (lang, words) => {
      const r = renderInstructions(details, lang);
      expect(r.language).toBe(lang);
      for (const output of [r.html, r.text]) {
        for (const word of words) expect(output).toContain(word);
        expect(output).toContain(details.joinUrl);
        expect(output).toContain('481 516 2342');
        expect(output).toContain(details.sipUri);
        expect(output).toContain('902114');
      }
      expect(r.html).toContain(`<a href="${details.joinUrl}"`);
      expect(r.html).toContain(`href="sip:${details.sipUri}"`);
      expect(r.html).toContain(`lang="${lang}"`);
    },
  );

  it('offers no SIP address, in either language or form, when there is no SIP gateway', () => {
    for (const lang of ['en', 'fr'] as const) {
      const r = renderInstructions({ ...details, sipUri: null }, lang);
      for (const output of [r.html, r.text]) {
        expect(output).toContain(details.joinUrl);
        expect(output).toContain('481 516 2342');
        expect(output).not.toMatch(/sip:|video conferencing|visioconférence/);
      }
      // No empty paragraph left where the line was.
      expect(r.text).not.toMatch(/\n\n\n/);
      // A phone line, when there is one, still stands apart from the meeting ID and PIN.
      const phone = renderInstructions({ ...details, sipUri: null, dialIn: { number: '+1 555 0100' } }, lang);
      expect(phone.text).toMatch(/902114\n\n.*\+1 555 0100/);
      expect(phone.html).not.toContain('sip:');
    }
  });

  it('never shows the host PIN', () => {
    for (const lang of ['en', 'fr'] as const) {
      const r = renderInstructions({ ...details, dialIn: { number: '+1 555 0100' } }, lang, undefined, {
        helpUrl: 'https://help.example/roomlink',
      });
      expect(r.html).not.toContain(details.hostPin);
      expect(r.text).not.toContain(details.hostPin);
      expect(DEFAULT_TEMPLATES[lang].html).not.toContain('hostPin');
      expect(DEFAULT_TEMPLATES[lang].text).not.toContain('hostPin');
    }
  });

  it('shows the guest PIN and dial-in lines only when there are some', () => {
    const bare = renderInstructions({ ...details, guestPin: null }, 'en');
    expect(bare.text).not.toContain('Guest PIN');
    expect(bare.text).not.toContain('Join by phone');
    expect(bare.text).not.toMatch(/\n\n\n/);
    const phone = renderInstructions({ ...details, dialIn: { number: '+33 1 23 45 67 89' } }, 'fr');
    expect(phone.text).toContain('Participer par téléphone\u00a0: +33 1 23 45 67 89');
    expect(phone.html).toContain('href="tel:+33123456789,,4815162342%23"');
  });

  it('adds the "Need help?" link only when one is configured', () => {
    expect(renderInstructions(details, 'en').html).not.toContain('Need help?');
    const helped = renderInstructions(details, 'en', undefined, { helpUrl: 'https://help.example/roomlink' });
    expect(helped.html).toContain('Need help? <a href="https://help.example/roomlink"');
    expect(helped.text).toContain('Need help? https://help.example/roomlink');
  });

  it('never contains the meeting subject', () => {
    const withSubject = { ...details, subject: 'Secret merger talks' } as unknown as JoinDetails;
    const r = renderInstructions(withSubject, 'en');
    expect(r.html).not.toContain('Secret merger');
    expect(r.text).not.toContain('Secret merger');
  });
});

describe('escaping', () => {
  const hostile: JoinDetails = {
    ...details,
    joinUrl: 'https://roomlink.example/m/Zk3pQ9xY2mN8vB4tR6wL1a?x="><script>alert(1)</script>',
    sipUri: `1@sip'"><img src=x onerror=alert(1)>`,
    guestPin: '<b>1</b>',
    dialIn: { number: '+1 555 "0100" & <i>' },
  };

  it('escapes every value in HTML, quotes included', () => {
    const { html } = renderInstructions(hostile, 'en');
    const inner = html.replace(/^<!--[^>]*-->/, '').replace(/<!--[^>]*-->$/, '');
    expect(inner).not.toMatch(/<script|<img|<b>1|<i>|onerror=alert/);
    expect(inner).toContain('?x&#x3D;&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(inner).toContain('1@sip&#x27;&quot;&gt;&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;');
    expect(inner).toContain('&lt;b&gt;1&lt;/b&gt;');
    expect(inner).toContain('+1 555 &quot;0100&quot; &amp; &lt;i&gt;');
    expect(findJoinBlock(html, 'html')).toMatchObject({
      meetingId: details.meetingId,
      slug: 'Zk3pQ9xY2mN8vB4tR6wL1a',
    });
  });

  it('keeps plain text as written: it is not HTML, so &amp; would show as is', () => {
    const { text } = renderInstructions(hostile, 'en');
    expect(text).toContain('+1 555 "0100" & <i>');
  });

  it('refuses values that escaping cannot make safe', () => {
    expect(() => renderInstructions({ ...details, joinUrl: 'javascript:alert(1)//m/x' }, 'en')).toThrow(
      TypeError,
    );
    expect(() => renderInstructions({ ...details, meetingId: 'x--><script>' }, 'en')).toThrow(TypeError);
    expect(() => renderInstructions(details, 'en', undefined, { helpUrl: 'javascript:alert(1)' })).toThrow(
      TypeError,
    );
    expect(() => renderInstructions({ ...details, conferenceId: '1\n2' }, 'en')).toThrow(TypeError);
  });
});

describe('tenant overrides', () => {
  const overrides = {
    fr: {
      html: '<p>Salut ! <a href="{{joinUrl}}">Entrer</a> {{formatConferenceId conferenceId}}</p>',
      text: 'Salut ! {{joinUrl}}',
    },
  };

  it('apply to their language only; other languages use the defaults', () => {
    const fr = renderInstructions(details, 'fr', overrides);
    expect(fr.html).toContain(
      '<p>Salut ! <a href="https://roomlink.example/m/Zk3pQ9xY2mN8vB4tR6wL1a">Entrer</a> 481 516 2342</p>',
    );
    expect(fr.text).toContain(`Salut ! ${details.joinUrl}`);
    expect(findJoinBlock(fr.html, 'html')?.meetingId).toBe(details.meetingId);
    expect(findJoinBlock(fr.text, 'text')?.slug).toBe('Zk3pQ9xY2mN8vB4tR6wL1a');
    expect(renderInstructions(details, 'en', overrides).html).toContain('Join the meeting now');
  });

  it('a stored template that no longer validates falls back to the default and is reported', () => {
    const onTemplateError = vi.fn();
    const broken = { en: { html: '<p>{{{joinUrl}}}</p>', text: 'Join: {{joinUrl}}' } };
    const r = renderInstructions(details, 'en', broken, { onTemplateError });
    expect(r.html).toContain('Join the meeting now');
    expect(r.text).toContain(`Join: ${details.joinUrl}`);
    expect(onTemplateError).toHaveBeenCalledTimes(1);
    const error = onTemplateError.mock.calls[0]?.[0] as TemplateError;
    expect(error).toBeInstanceOf(TemplateError);
    expect(error).toMatchObject({ field: 'html', language: 'en' });
    expect(error.message).not.toContain(details.joinUrl);
  });

  it('compiles each distinct template once: later renders reuse it, failures included', () => {
    const source = '<a href="{{joinUrl}}">{{sipUri}}</a>';
    const prepared = prepareTemplate(source, 'html');
    expect(prepareTemplate(source, 'html')).toBe(prepared);
    expect(prepared.render({ ...sampleContext, sipUri: 'a@b' })).toBe(`<a href="${details.joinUrl}">a@b</a>`);
    const bad = '<p>{{nope}}</p>';
    const failure = caught(() => prepareTemplate(bad, 'html'));
    expect(failure).toBeInstanceOf(TemplateError);
    // The refusal is cached too: the same error, not a second validation.
    expect(caught(() => prepareTemplate(bad, 'html'))).toBe(failure);
  });
});

describe('helpers', () => {
  it.each([
    ['123456789', '123 456 789'],
    ['1234567890', '123 456 7890'],
    ['123456789012', '123 456 789 012'],
    ['12345678', '123 456 78'],
    ['1234', '1234'],
    ['123 456 789', '123 456 789'],
    ['ABC-1', 'ABC-1'],
  ])('formatConferenceId(%s) → %s', (id, formatted) => {
    expect(formatConferenceId(id)).toBe(formatted);
  });

  it('telHref dials the number, then the meeting ID and # when given', () => {
    expect(telHref('+33 1 23 45 67 89')).toBe('tel:+33123456789');
    expect(telHref('+1 (555) 010-0100', '123 456 7890')).toBe('tel:+15550100100,,1234567890%23');
    expect(telHref('call us')).toBe('');
  });
});

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}
