/** The server serves the Outlook add-in: its manifest for this base URL, and the CLI prints the same. */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { productFeatures } from '../src/features.js';
import { startTestApp, type TestApp } from './support/harness.js';
import { CLI } from './support/server-process.js';

describe('Outlook add-in served by Roomlink', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp('sqlite', { realBaseUrl: true, features: (runtime) => productFeatures(runtime) });
  });
  afterAll(async () => t?.close());

  it('serves a manifest whose every URL is under the base URL', async () => {
    const response = await fetch(`${t.url}/addin/manifest.xml`);
    expect(response.status).toBe(200);
    const xml = await response.text();
    expect(xml).toContain('<OfficeApp');
    const urls = [...xml.matchAll(/(?:DefaultValue|Value)="(https?:\/\/[^"]+)"/g)].map((m) => m[1] as string);
    expect(urls.length).toBeGreaterThan(5);
    for (const url of urls) expect(url.startsWith(`${t.url}/`), url).toBe(true);
    expect(xml).toContain('MobileOnlineMeetingCommandSurface');
    expect(xml).toContain('OnNewAppointmentOrganizer');
    expect(xml).toContain('OnAppointmentSend');
  });

  it('roomlink manifest prints the manifest for a given base URL, with the same stable add-in id', async () => {
    const run = (base: string) =>
      execFileSync(process.execPath, [CLI, 'manifest', '--base-url', base], {
        env: { PATH: process.env.PATH ?? '' },
      }).toString();
    const a = run('https://roomlink.example.com');
    const b = run('https://roomlink.example.com');
    const other = run('https://meet.example.org');
    const id = (xml: string) => /<Id>([^<]+)<\/Id>/.exec(xml)?.[1];
    expect(id(a)).toBe(id(b));
    expect(id(a)).not.toBe(id(other));
    expect(a).toContain('https://roomlink.example.com/addin/');
  });
});
