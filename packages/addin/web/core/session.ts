/**
 * Where the add-in keeps its Roomlink session and the user's settings: localStorage in browser
 * runtimes, mirrored into OfficeRuntime.storage so that classic Outlook's JavaScript-only event runtime
 * (no localStorage there) can read them too.
 */
import type { Session, UserSettings } from './api.js';

export interface KeyValueStore {
  getItem(key: string): Promise<string | null>;
  setItem(key: string, value: string): Promise<void>;
  removeItem(key: string): Promise<void>;
}

export const STORAGE_KEYS = Object.freeze({ session: 'roomlink.session', settings: 'roomlink.settings' });

export class SessionStore {
  /** Stores in order of preference; reads take the first that holds a value, writes go to all. */
  constructor(
    private readonly stores: readonly KeyValueStore[],
    private readonly now: () => Date = () => new Date(),
  ) {}

  async get(): Promise<Session | null> {
    const session = parse<Session>(await this.read(STORAGE_KEYS.session));
    if (!session || typeof session.token !== 'string') return null;
    const expires = Date.parse(session.expiresAt);
    if (Number.isFinite(expires) && expires <= this.now().getTime()) {
      await this.clear();
      return null;
    }
    return session;
  }

  async set(session: Session): Promise<void> {
    await this.write(STORAGE_KEYS.session, JSON.stringify(session));
  }

  async clear(): Promise<void> {
    await Promise.all(this.stores.map((s) => s.removeItem(STORAGE_KEYS.session).catch(() => undefined)));
  }

  /**
   * A sign-out the user chose: the settings go with the session, so that new appointments do not
   * remind them to sign in for a meeting on every appointment (the next sign-in reads them again).
   */
  async signOut(): Promise<void> {
    await this.clear();
    await Promise.all(this.stores.map((s) => s.removeItem(STORAGE_KEYS.settings).catch(() => undefined)));
  }

  async getSettings(): Promise<UserSettings | null> {
    return parse<UserSettings>(await this.read(STORAGE_KEYS.settings));
  }

  async setSettings(settings: UserSettings): Promise<void> {
    await this.write(STORAGE_KEYS.settings, JSON.stringify(settings));
  }

  private async read(key: string): Promise<string | null> {
    for (const store of this.stores) {
      const value = await store.getItem(key).catch(() => null);
      if (value) return value;
    }
    return null;
  }

  private async write(key: string, value: string): Promise<void> {
    const results = await Promise.allSettled(this.stores.map((s) => s.setItem(key, value)));
    if (results.every((r) => r.status === 'rejected'))
      throw new Error('could not store the Roomlink session');
  }
}

function parse<T>(value: string | null): T | null {
  if (!value) return null;
  try {
    return JSON.parse(value) as T;
  } catch {
    return null;
  }
}

/** A store in memory: tests, and a last resort when no storage is available. */
export function memoryStore(
  initial: Record<string, string> = {},
): KeyValueStore & { data: Map<string, string> } {
  const data = new Map(Object.entries(initial));
  return {
    data,
    getItem: async (key) => data.get(key) ?? null,
    setItem: async (key, value) => {
      data.set(key, value);
    },
    removeItem: async (key) => {
      data.delete(key);
    },
  };
}
