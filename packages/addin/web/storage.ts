/**
 * Where this runtime can keep the Roomlink session. Outlook gives each runtime a different store:
 *  - browser runtimes (task pane, function commands, and the event handlers of Outlook on the web, Mac
 *    and new Outlook) have localStorage, shared per origin; in Outlook, OfficeRuntime.storage is
 *    supported only for event-based activation in classic Outlook on Windows, so they cannot count on it;
 *  - classic Outlook on Windows runs event handlers in a JavaScript-only runtime: no localStorage, only
 *    OfficeRuntime.storage, which its task pane also has.
 * So reads take whichever holds the session, and writes go to both when both exist: the task pane of
 * classic Outlook then leaves the session where its event handlers look.
 */
import type { KeyValueStore } from './core/session.js';

interface StorageScope {
  readonly localStorage?: {
    getItem(key: string): string | null;
    setItem(key: string, value: string): void;
    removeItem(key: string): void;
  };
  readonly OfficeRuntime?: { readonly storage?: KeyValueStore };
}

export function runtimeStores(scope: StorageScope = globalThis as StorageScope): KeyValueStore[] {
  return [localStore(scope), officeRuntimeStore(scope)].filter((s): s is KeyValueStore => s !== null);
}

function localStore(scope: StorageScope): KeyValueStore | null {
  try {
    // Reading the property throws where storage is disabled by policy; it is undefined in the
    // JavaScript-only runtime.
    const storage = scope.localStorage;
    if (!storage || typeof storage.getItem !== 'function') return null;
    return {
      getItem: async (key) => storage.getItem(key),
      setItem: async (key, value) => storage.setItem(key, value),
      removeItem: async (key) => storage.removeItem(key),
    };
  } catch {
    return null;
  }
}

function officeRuntimeStore(scope: StorageScope): KeyValueStore | null {
  try {
    const storage = scope.OfficeRuntime?.storage;
    return storage && typeof storage.getItem === 'function' ? storage : null;
  } catch {
    return null;
  }
}
