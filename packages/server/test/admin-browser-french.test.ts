/**
 * The admin console in French, as `npm start` serves it in demo mode, in headless Chromium with a
 * French browser (locale fr-FR, so Accept-Language: fr-FR): the demo's Global Administrator signs
 * in through the browser flow and reads the console in French (headings, a user's status badge, a
 * settings label, times and counts in the French locale); erasing asks in French (the question is
 * dismissed: nothing is erased); the page's switch shows it in English, which signing out keeps.
 */
import type { BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../../../scripts/chromium.mjs';
import { type DemoServer, startDemoServer } from './browser/demo-sandbox.js';

const ADMIN = { upn: 'megan@contoso.example', name: 'Megan Bowen', button: /Sign in as Megan Bowen/ };

describe('admin console in French (demo mode)', () => {
  let server: DemoServer;
  let browser: { context: BrowserContext; close(): Promise<void> };

  beforeAll(async () => {
    server = await startDemoServer();
    // Playwright's context options (ChromiumOptions' type keeps only `args` of them).
    const options = { locale: 'fr-FR', timezoneId: 'Europe/Paris' };
    browser = await launchChromium(options as Parameters<typeof launchChromium>[0]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('signs the demo admin in to a console in French, and asks in French before erasing', async () => {
    const page = await browser.context.newPage();
    await page.goto(new URL('auth/signin', server.baseUrl).toString());
    await page.getByRole('button', { name: ADMIN.button }).click();
    await page.waitForURL(/\/admin$/);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('fr');

    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
      'Administration de Roomlink',
    );
    const headings = await page.getByRole('heading', { level: 2 }).allTextContents();
    expect(headings).toEqual([
      'Paramètres',
      'Informations pour rejoindre',
      'Utilisateurs',
      'Journal d’audit',
      'Conservation des données',
    ]);
    await page.getByRole('button', { name: 'Se déconnecter de la console' }).waitFor();

    // A settings label, bound to its field.
    const pins = page.getByLabel('Nombre de chiffres des codes PIN organisateur et invité (4 à 10)');
    await expect(pins.inputValue()).resolves.toBe('6');
    await page.getByLabel('Modèle HTML en anglais').waitFor();

    // The admin's own row: status badge, column headers, a time in the French locale.
    const row = page.locator('#users-table tbody tr', { hasText: ADMIN.upn });
    await expect.poll(() => row.count()).toBe(1);
    await expect(row.locator('td').nth(2).locator('.badge').first().textContent()).resolves.toBe('Connecté');
    await expect(page.locator('#users-table thead').textContent()).resolves.toContain(
      'Synchronisation du calendrier',
    );
    // "15 janv. 2026, 16:30 UTC+1": a French month and the zone as French names it.
    await expect(row.locator('td').nth(3).textContent()).resolves.toMatch(
      /^\d{1,2} (janv|févr|mars|avr|mai|juin|juil|août|sept|oct|nov|déc)\.? \d{4}\D+\d{2}:\d{2} UTC\+[12]$/,
    );
    await expect(page.locator('#retention-facts').textContent()).resolves.toContain(
      'supprimés 3 mois après la fin de chaque réunion',
    );

    // Erasing is confirmed first: the question is in French, and dismissing it erases nothing.
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.getByRole('button', { name: `Supprimer ${ADMIN.name}` }).click();
    await expect.poll(() => dialogs.length).toBe(1);
    expect(dialogs[0]).toMatch(new RegExp(`^Supprimer ${ADMIN.name}\\s\\? Ses salles sont annulées`));
    expect(dialogs[0]).toContain('Cette action est irréversible.');
    expect(dialogs[0]).toContain('Ce qui reste\u00a0: les entrées du journal d’audit');
    await expect(page.locator('#status').textContent()).resolves.toBe('');
    const id = (await row.getAttribute('data-user-id')) as string;
    expect(await server.runtime.store.users.findById(id)).toMatchObject({ status: 'active' });

    // The switch, written in English, shows the console in English.
    await page.getByRole('link', { name: 'Show this page in English' }).click();
    await page.waitForURL(/\/admin\?lang=en$/);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 10_000 });
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('en');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe(
      'Roomlink administration',
    );
    await expect(
      page.locator('#users-table tbody tr', { hasText: ADMIN.upn }).locator('.badge').first().textContent(),
    ).resolves.toBe('Signed in');

    // Signing out keeps the language picked on the page, over the browser's French.
    await page.getByRole('button', { name: 'Sign out of the console' }).click();
    await page.getByRole('link', { name: 'Sign in', exact: true }).waitFor({ timeout: 10_000 });
    expect(new URL(page.url()).search).toBe('?lang=en');
    await expect(page.locator('html').getAttribute('lang')).resolves.toBe('en');
    await page.close();
  });
});
