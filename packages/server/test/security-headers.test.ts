/**
 * Every answer, whichever part of Roomlink makes it, tells browsers not to sniff its type, and, on an
 * https deployment, to come back over https only (http/security-headers.ts).
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ASSET_PATH } from '../src/admin/web/shell.js';
import { productFeatures } from '../src/features.js';
import { HSTS_MAX_AGE_SECONDS } from '../src/http/security-headers.js';
import type { Runtime } from '../src/runtime.js';
import { sessionHeader, startTestApp, type TestApp } from './support/harness.js';
import { daysFromNow } from './support/meeting-times.js';

const SOON = daysFromNow(7);

/** The product's routes, with the harness's test sessions for the API (the workers are not needed). */
const productPages = async (runtime: Runtime) => ({ plugins: (await productFeatures(runtime)).plugins });
const alice = sessionHeader('tenant-headers', 'alice');

interface Answer {
  readonly what: string;
  readonly status: number;
  readonly headers: Record<string, string | string[] | number | undefined>;
}

/** One request to each kind of answer the product gives: pages, files, API, errors, operations. */
async function everyKindOfAnswer(t: TestApp): Promise<Answer[]> {
  const get = async (what: string, url: string, headers: Record<string, string> = {}) => {
    const res = await t.app.inject({ method: 'GET', url, headers });
    return { what, status: res.statusCode, headers: res.headers, body: res.body };
  };
  const created = await t.app.inject({
    method: 'POST',
    url: '/api/v1/meetings',
    headers: alice,
    payload: { subject: 'Headers', start: SOON.start, end: SOON.end },
  });
  expect(created.statusCode).toBe(201);
  const joinPath = new URL(created.json().joinUrl).pathname;
  const joinPage = await get('join page', joinPath);
  // The join page's own script and style sheet, as its HTML names them.
  const assets = [...joinPage.body.matchAll(/(?:src|href)="(\/[^"]+\.(?:js|css))"/g)].map(
    (m) => m[1] as string,
  );
  expect(assets.length).toBeGreaterThanOrEqual(2);
  const answers: Answer[] = [
    { what: 'created meeting', status: created.statusCode, headers: created.headers },
    joinPage,
    ...(await Promise.all(assets.map((asset) => get(`join page file ${asset}`, asset)))),
    await get('meeting read', `/api/v1/meetings/${created.json().id}`, alice),
    await get('API refusal', '/api/v1/meetings/nope'),
    await get('OpenAPI document', '/api/v1/openapi.json'),
    await get('healthz', '/healthz'),
    await get('readyz', '/readyz'),
    await get('metrics', '/metrics'),
    await get('admin console', '/admin'),
    await get('admin console script', `${ASSET_PATH}/console.js`),
    await get('admin console style sheet', `${ASSET_PATH}/console.css`),
    await get('sign-in answer page', '/auth/admin-consent/done'),
    await get('add-in manifest', '/addin/manifest.xml'),
    await get('add-in task pane', '/addin/taskpane.html'),
    await get('favicon', '/favicon.ico'),
    await get('unknown path', '/no-such-page'),
  ];
  return answers;
}

describe('security headers on an https deployment', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite', {
      env: { ROOMLINK_BASE_URL: 'https://roomlink.test' },
      features: productPages,
    });
  });
  afterAll(async () => t?.close());

  it('every answer carries nosniff and a year of Strict-Transport-Security, without subdomains', async () => {
    const answers = await everyKindOfAnswer(t);
    expect(answers.find((a) => a.what === 'unknown path')?.status).toBe(404);
    // Served by their own routes, which no longer set nosniff themselves.
    expect(answers.find((a) => a.what === 'sign-in answer page')?.status).toBe(400);
    expect(answers.find((a) => a.what === 'admin console script')?.status).toBe(200);
    expect(answers.find((a) => a.what === 'favicon')?.status).toBe(200);
    expect(answers.find((a) => a.what === 'API refusal')?.status).toBe(401);
    for (const answer of answers) {
      expect(answer.headers['x-content-type-options'], answer.what).toBe('nosniff');
      expect(answer.headers['strict-transport-security'], answer.what).toBe(
        `max-age=${HSTS_MAX_AGE_SECONDS}`,
      );
    }
    expect(HSTS_MAX_AGE_SECONDS).toBe(31_536_000);
  });
});

describe('security headers on a plain-http deployment (local, demo)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite', { realBaseUrl: true, features: productPages });
  });
  afterAll(async () => t?.close());

  it('every answer carries nosniff and no Strict-Transport-Security', async () => {
    expect(t.env.ROOMLINK_BASE_URL).toMatch(/^http:\/\//);
    for (const answer of await everyKindOfAnswer(t)) {
      expect(answer.headers['x-content-type-options'], answer.what).toBe('nosniff');
      expect(answer.headers['strict-transport-security'], answer.what).toBeUndefined();
    }
  });
});
