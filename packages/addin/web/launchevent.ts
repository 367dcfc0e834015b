/**
 * Event-based activation handlers, bundled as ONE classic script (launchevent.js). Classic Outlook on
 * Windows runs it in a JavaScript-only runtime: no DOM, no localStorage, no dialogs, so storage is
 * OfficeRuntime.storage and every URL is absolute (the base URL is written in when the file is served).
 * Outlook on the web, Mac and new Outlook load it from launchevent.html instead, in a browser runtime
 * where the session is in localStorage (see storage.ts).
 */
import { BASE_URL_PLACEHOLDER, LAUNCH_EVENT_HANDLERS } from '../src/files.js';
import { RoomlinkApi } from './core/api.js';
import { resolveBaseUrl } from './core/base-url.js';
import type { AddinContext } from './core/context.js';
import { pickLanguage } from './core/i18n.js';
import { checkBeforeSend, onNewAppointment } from './core/launch-events.js';
import type { OfficeLike } from './core/office.js';
import { type KeyValueStore, memoryStore, SessionStore } from './core/session.js';
import { runtimeStores } from './storage.js';

interface LaunchEvent {
  completed(options?: { allowEvent?: boolean; errorMessage?: string }): void;
}

const office = Office as unknown as OfficeLike & {
  actions?: { associate(name: string, handler: (event: LaunchEvent) => void): void };
};

// Replaced at serve time; a page may also set it (launchevent.html in browsers).
const BASE_URL = BASE_URL_PLACEHOLDER;

function storage(): KeyValueStore[] {
  const stores = runtimeStores();
  return stores.length > 0 ? stores : [memoryStore()];
}

function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  const webCrypto = (globalThis as { crypto?: { getRandomValues?(a: Uint8Array): Uint8Array } }).crypto;
  if (webCrypto?.getRandomValues) return webCrypto.getRandomValues(bytes);
  // Only the idempotency key is drawn here; it must be unique, not secret.
  for (let i = 0; i < length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return bytes;
}

async function context(): Promise<AddinContext> {
  const sessions = new SessionStore(storage());
  const settings = await sessions.getSettings();
  const page = (globalThis as { location?: { href?: string } }).location?.href;
  const api = new RoomlinkApi({
    baseUrl: resolveBaseUrl(BASE_URL, page),
    fetch: (url, init) => fetch(url, init),
    getToken: async () => (await sessions.get())?.token ?? null,
  });
  return {
    office,
    api,
    sessions,
    lang: pickLanguage(office.context.displayLanguage, settings?.language),
    randomBytes,
  };
}

async function onNewAppointmentOrganizer(event: LaunchEvent): Promise<void> {
  try {
    await onNewAppointment(await context());
  } catch {
    // Never leave Outlook waiting on a handler.
  }
  event.completed();
}

async function onAppointmentSend(event: LaunchEvent): Promise<void> {
  let lang: 'en' | 'fr' = pickLanguage(office.context.displayLanguage, null);
  try {
    lang = (await context()).lang;
  } catch {
    // keep Outlook's language
  }
  const check = await checkBeforeSend({ office }, lang);
  event.completed(check);
}

office.actions?.associate(LAUNCH_EVENT_HANDLERS.OnNewAppointmentOrganizer, onNewAppointmentOrganizer);
office.actions?.associate(LAUNCH_EVENT_HANDLERS.OnAppointmentSend, onAppointmentSend);
