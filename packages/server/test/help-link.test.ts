/**
 * ROOMLINK_HELP_URL over real HTTP (SQLite): the join instructions a meeting gets, in HTML and text,
 * and the admin console's preview end with the deployment's "Need help?" link; without the variable
 * they have none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminPlugin } from '../src/admin/plugin.js';
import { DEFAULT_TEMPLATES } from '../src/instructions/defaults.js';
import { createRetention } from '../src/retention/index.js';
import { SILENT } from './support/admin.js';
import { sessionHeader, startTestApp, type TestApp } from './support/harness.js';
import { daysFromNow } from './support/meeting-times.js';

const HELP = 'https://intranet.example/meetings-help?from=roomlink&x=1';
const SOON = daysFromNow(5);

async function create(t: TestApp, lang: 'en' | 'fr') {
  const response = await t.app.inject({
    method: 'POST',
    url: `/api/v1/meetings?lang=${lang}`,
    headers: sessionHeader('tenant-help', 'helen'),
    payload: {
      subject: 'Help',
      start: SOON.start,
      end: SOON.end,
      timeZone: 'UTC',
      idempotencyKey: `help-link-${lang}`,
    },
  });
  expect(response.statusCode, response.body).toBe(201);
  return (response.json() as { instructions: { html: string; text: string } }).instructions;
}

describe('a help link for the join instructions', () => {
  let t: TestApp;
  let bare: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite', {
      env: { ROOMLINK_HELP_URL: HELP },
      features: async (runtime) => ({
        plugins: [adminPlugin({ runtime, retention: createRetention(runtime, { logger: SILENT }) })],
      }),
    });
    bare = await startTestApp('sqlite');
  });
  afterAll(async () => {
    await t?.close();
    await bare?.close();
  });

  it('ends every meeting’s instructions, in each language, escaped in the HTML', async () => {
    const en = await create(t, 'en');
    // Handlebars escapes = as well as &.
    expect(en.html).toContain(
      'Need help? <a href="https://intranet.example/meetings-help?from&#x3D;roomlink&amp;x&#x3D;1"',
    );
    expect(en.text).toContain(`Need help? ${HELP}`);
    const fr = await create(t, 'fr');
    expect(fr.html).toContain('Obtenir de l’aide pour rejoindre</a>');
    expect(fr.text).toContain(`Besoin d’aide\u00a0? ${HELP}`);
  });

  it('is in the admin console’s preview as meetings will show it', async () => {
    const preview = await t.app.inject({
      method: 'POST',
      url: '/api/v1/admin/templates/preview',
      headers: { authorization: 'Bearer test-session:tenant-help:ada:admin' },
      payload: { language: 'en', ...DEFAULT_TEMPLATES.en },
    });
    expect(preview.statusCode, preview.body).toBe(200);
    expect((preview.json() as { text: string }).text).toContain(`Need help? ${HELP}`);
  });

  it('is left out where the variable is not set', async () => {
    const en = await create(bare, 'en');
    expect(en.html).not.toContain('Need help?');
    expect(en.text).not.toContain('Need help?');
  });
});
