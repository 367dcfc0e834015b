/** Browser-runtime wiring (task pane, function commands): storage, crypto, fetch and Office. */
import { RoomlinkApi } from './core/api.js';
import { resolveBaseUrl } from './core/base-url.js';
import type { AddinContext } from './core/context.js';
import { type Lang, pickLanguage } from './core/i18n.js';
import type { OfficeLike } from './core/office.js';
import { SessionStore } from './core/session.js';
import { signInWithDialog } from './core/sign-in.js';
import { runtimeStores } from './storage.js';

export function office(): OfficeLike {
  return Office as unknown as OfficeLike;
}

export function baseUrl(): string {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="roomlink-base-url"]');
  return resolveBaseUrl(meta?.content, location.href);
}

export function sessionStore(): SessionStore {
  return new SessionStore(runtimeStores());
}

export function randomBytes(length: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length));
}

export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new Uint8Array(data)));
}

export async function createContext(langOverride?: Lang): Promise<AddinContext> {
  const sessions = sessionStore();
  const settings = await sessions.getSettings();
  const lang = langOverride ?? pickLanguage(Office.context.displayLanguage, settings?.language);
  const api = new RoomlinkApi({
    baseUrl: baseUrl(),
    fetch: (url, init) => fetch(url, init),
    getToken: async () => (await sessions.get())?.token ?? null,
  });
  return {
    office: office(),
    api,
    sessions,
    lang,
    randomBytes,
    signIn: (claims) => signInWithDialog({ office: office(), api, lang, randomBytes, sha256 }, claims),
  };
}
