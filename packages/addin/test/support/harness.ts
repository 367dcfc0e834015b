/** Starts the stub Roomlink API on 127.0.0.1 and builds add-in contexts that call it over HTTP. */
import { createHash, randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { RoomlinkApi } from '../../web/core/api.js';
import type { AddinContext } from '../../web/core/context.js';
import type { Lang } from '../../web/core/i18n.js';
import { memoryStore, SessionStore } from '../../web/core/session.js';
import { signInWithDialog } from '../../web/core/sign-in.js';
import type { FakeOutlook } from './fake-outlook.js';
import { registerStubRoomlink, type StubRoomlink } from './stub-roomlink.js';

export interface Harness {
  readonly app: FastifyInstance;
  readonly stub: StubRoomlink;
  readonly baseUrl: string;
  close(): Promise<void>;
}

export async function startStub(): Promise<Harness> {
  const app = Fastify();
  let baseUrl = '';
  const stub = registerStubRoomlink(app, { baseUrl: () => baseUrl });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  baseUrl = `http://127.0.0.1:${address.port}/`;
  return { app, stub, baseUrl, close: () => app.close() };
}

export interface ContextOptions {
  readonly lang?: Lang;
  /** Sign in before the test (a stored session), as which user. */
  readonly signedInAs?: string;
  /** Without it the context behaves like the event runtime: no dialog. */
  readonly withDialog?: boolean;
  /** Overrides the API base URL (e.g. an address where nothing listens). */
  readonly baseUrl?: string;
}

export async function contextFor(
  harness: Harness,
  outlook: FakeOutlook,
  options: ContextOptions = {},
): Promise<AddinContext & { store: ReturnType<typeof memoryStore> }> {
  const store = memoryStore();
  const sessions = new SessionStore([store]);
  if (options.signedInAs) await sessions.set(harness.stub.createSession(options.signedInAs));
  const lang = options.lang ?? 'en';
  const api = new RoomlinkApi({
    baseUrl: options.baseUrl ?? harness.baseUrl,
    fetch: (url, init) => fetch(url, init),
    getToken: async () => (await sessions.get())?.token ?? null,
  });
  const randomBytesFn = (n: number) => new Uint8Array(randomBytes(n));
  const sha256 = async (data: Uint8Array) => new Uint8Array(createHash('sha256').update(data).digest());
  return {
    office: outlook.office,
    api,
    sessions,
    lang,
    randomBytes: randomBytesFn,
    store,
    ...(options.withDialog === false
      ? {}
      : {
          signIn: (claims?: string) =>
            signInWithDialog(
              { office: outlook.office, api, lang, randomBytes: randomBytesFn, sha256 },
              claims,
            ),
        }),
  };
}

/** Plays the dialog page's part: reads the challenge from the URL and posts the one-time code back. */
export function completeSignInDialogs(harness: Harness, outlook: FakeOutlook): void {
  outlook.onDialog = (dialog) => {
    const challenge = new URL(dialog.url).searchParams.get('challenge') ?? '';
    const code = harness.stub.issueCode(challenge);
    dialog.message(JSON.stringify({ type: 'roomlink-signin', code }));
  };
}
