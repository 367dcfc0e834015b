/**
 * The event handlers' entry point (launchevent.ts) in the two runtimes Outlook runs it in: a browser
 * runtime (Outlook on the web, Mac, new Outlook: localStorage, no OfficeRuntime.storage) and classic
 * Outlook's JavaScript-only runtime (OfficeRuntime.storage, no localStorage).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LAUNCH_EVENT_HANDLERS } from '../src/files.js';
import { PROPS } from '../web/core/item.js';
import { memoryStore, SessionStore, STORAGE_KEYS } from '../web/core/session.js';
import { runtimeStores } from '../web/storage.js';
import { fakeOutlook } from './support/fake-outlook.js';
import { type Harness, startStub } from './support/harness.js';

const ENTRY = '../web/launchevent.js';
const USER = 'adele@contoso.test';
const GLOBALS = ['Office', 'OfficeRuntime', 'localStorage', 'location'] as const;
let harness: Harness;

beforeEach(async () => {
  harness = await startStub();
  (harness.stub.users.get(USER) as { settings: { addToEveryMeeting: boolean } }).settings.addToEveryMeeting =
    true;
});
afterEach(async () => {
  for (const name of GLOBALS) delete (globalThis as Record<string, unknown>)[name];
  vi.resetModules();
  await harness.close();
});

function syncStore(initial: Record<string, string>) {
  const data = new Map(Object.entries(initial));
  return {
    data,
    getItem: (key: string) => data.get(key) ?? null,
    setItem: (key: string, value: string) => void data.set(key, value),
    removeItem: (key: string) => void data.delete(key),
  };
}

/** Loads launchevent.ts as Outlook would, with these globals, and runs OnNewAppointmentOrganizer. */
async function newAppointment(runtime: { localStorage?: unknown; OfficeRuntime?: unknown }) {
  const outlook = fakeOutlook();
  const handlers = new Map<string, (event: { completed(): void }) => void>();
  const office = Object.assign(Object.create(outlook.office as object), {
    actions: {
      associate: (name: string, fn: (event: { completed(): void }) => void) => handlers.set(name, fn),
    },
  });
  Object.assign(globalThis, {
    Office: office,
    location: { href: `${harness.baseUrl}addin/launchevent.html` },
    ...runtime,
  });
  vi.resetModules();
  // Through a variable: the root type check (Node types only) must not pull in the Office.js global.
  await import(/* @vite-ignore */ ENTRY);
  const handler = handlers.get(LAUNCH_EVENT_HANDLERS.OnNewAppointmentOrganizer);
  if (!handler) throw new Error('handler not associated');
  await new Promise<void>((resolve) => handler({ completed: resolve }));
  return outlook;
}

describe('OnNewAppointmentOrganizer finds the session where the runtime keeps it', () => {
  it('browser runtime (web, Mac, new Outlook): localStorage, no OfficeRuntime.storage', async () => {
    const session = JSON.stringify(harness.stub.createSession(USER));
    const outlook = await newAppointment({ localStorage: syncStore({ [STORAGE_KEYS.session]: session }) });
    expect(outlook.state.customProperties[PROPS.meetingId]).toBeTruthy();
    expect(harness.stub.requests).toEqual(['GET /api/v1/me', 'POST /api/v1/meetings']);
  });

  it('JavaScript-only runtime (classic Outlook on Windows): OfficeRuntime.storage, no localStorage', async () => {
    const session = JSON.stringify(harness.stub.createSession(USER));
    const storage = memoryStore({ [STORAGE_KEYS.session]: session });
    const outlook = await newAppointment({ OfficeRuntime: { storage } });
    expect(outlook.state.customProperties[PROPS.meetingId]).toBeTruthy();
  });
});

describe('runtimeStores', () => {
  it('writes the session to localStorage and OfficeRuntime.storage when both exist', async () => {
    const local = syncStore({});
    const shared = memoryStore();
    const sessions = new SessionStore(
      runtimeStores({ localStorage: local, OfficeRuntime: { storage: shared } }),
    );
    await sessions.set(harness.stub.createSession(USER));
    expect(local.data.get(STORAGE_KEYS.session)).toBeTruthy();
    expect(shared.data.get(STORAGE_KEYS.session)).toBe(local.data.get(STORAGE_KEYS.session));
    expect(runtimeStores({})).toEqual([]);
  });
});
