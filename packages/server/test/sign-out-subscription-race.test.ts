/**
 * A user signs out while a subscribe job has just created their Graph subscription and not yet
 * stored its id (found by the privacy review): the subscription must not outlive the sign-out at
 * Microsoft, where it would notify Roomlink of the calendar for up to 7 days with Roomlink no longer
 * knowing of it. On the real server (demo mode: Graph emulator), through the sign-out API:
 * - the job runs in the sign-out's process: the sign-out waits for it, and the job, which can no
 *   longer store the id, deletes the subscription before the sign-out answers;
 * - the job runs where the sign-out cannot wait for it (another process of the deployment): the
 *   job deletes it after the sign-out, with the access token it created it with (the user's tokens
 *   are gone by then);
 * - the same for a renewal that the sign-out's deletion of the subscription turns into a new one
 *   (PATCH answered 404, so ensure() creates one).
 * The steps are put in order with deferreds: the Graph calls of the job are held in fetch, the
 * sign-out at its own repository calls. What Graph still holds is listed with the user's old token.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { EMULATOR_GRAPH_PATH } from '../src/demo.js';
import { JOB, SyncWorker } from '../src/graph/sync-worker.js';
import { scriptedSignIn } from '../src/identity/scripted-sign-in.js';
import { TokenService } from '../src/identity/tokens.js';
import type { JobHandler } from '../src/jobs/queue.js';
import {
  KyselyEventLinkRepository,
  KyselySyncUserRepository,
  kyselySyncStore,
} from '../src/store/repositories/sync-state.js';
import { type DemoServer, startDemoServer } from './browser/demo-sandbox.js';
import { DIALECTS, dialectAvailability } from './support/databases.js';
import { type Deferred, deferred } from './support/deferred.js';
import { type IdentityTestApp, startIdentityApp } from './support/identity.js';

const UPN = 'adele@contoso.example';

/** One subscribe job's run: whether it created a subscription at Graph, and when it ended. */
interface SubscribeRun {
  created: boolean;
  readonly done: Deferred;
}

const runOf = new AsyncLocalStorage<SubscribeRun>();
const realFetch = globalThis.fetch;
const restores: (() => void)[] = [];
let server: DemoServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
  for (const restore of restores.splice(0).reverse()) restore();
});

function patch<T extends object, K extends string>(target: T, key: K, value: unknown): void {
  const record = target as unknown as Record<string, unknown>;
  const had = Object.hasOwn(record, key);
  const original = record[key];
  record[key] = value;
  restores.push(() => {
    if (had) record[key] = original;
    else delete record[key];
  });
}

/**
 * Hooks installed before the server starts (Graph's client keeps the fetch it was made with):
 * - `creatingRuns`: each subscribe job run that sent POST /subscriptions, settled when its job ends;
 * - `holdCreate`: when set, the answer of the next POST /subscriptions (Graph has created it) waits
 *   for it to resolve; `created` resolves as it starts waiting;
 * - `holdRenewal`: the next PATCH of that subscription id waits, before it is sent, for `release`;
 * - `stopped` resolves once a sign-out has marked the user's sync stopped;
 * - `holdSignOutAfterDelete`: the sign-out, once it has deleted the stored subscription, waits for it.
 */
function hooks() {
  const state = {
    creatingRuns: [] as SubscribeRun[],
    created: deferred(),
    holdCreate: undefined as Promise<void> | undefined,
    holdRenewal: undefined as { id: string; reached: Deferred; release: Promise<void> } | undefined,
    /** Subscriptions Graph created, and deleted, through Roomlink's calls (ids, in order). */
    createdIds: [] as string[],
    deletedIds: [] as string[],
    stopped: deferred(),
    signOutDeleted: deferred(),
    /** What `deletedIds` held when the sign-out went on past the subscription's deletion. */
    deletedWhenSignOutWentOn: undefined as string[] | undefined,
    holdSignOutAfterDelete: undefined as Promise<void> | undefined,
  };

  patch(globalThis, 'fetch', async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const method = init?.method ?? 'GET';
    const graph = url.pathname.includes(`/${EMULATOR_GRAPH_PATH}/v1.0/subscriptions`);
    const renewal = state.holdRenewal;
    if (graph && method === 'PATCH' && renewal && url.pathname.endsWith(`/subscriptions/${renewal.id}`)) {
      state.holdRenewal = undefined;
      renewal.reached.resolve();
      await renewal.release;
    }
    const response = await realFetch(input, init);
    if (graph && method === 'DELETE' && response.ok) {
      state.deletedIds.push(decodeURIComponent(url.pathname.split('/').at(-1) ?? ''));
    }
    if (graph && method === 'POST' && url.pathname.endsWith('/v1.0/subscriptions')) {
      state.createdIds.push(((await response.clone().json()) as { id: string }).id);
      const run = runOf.getStore();
      if (run && !run.created) {
        run.created = true;
        state.creatingRuns.push(run);
      }
      const hold = state.holdCreate;
      state.holdCreate = undefined;
      state.created.resolve();
      if (hold) await hold;
    }
    return response;
  });

  const handlers = SyncWorker.prototype.handlers;
  patch(SyncWorker.prototype, 'handlers', function (this: SyncWorker) {
    const all = handlers.call(this);
    const subscribe = all[JOB.subscribe] as JobHandler;
    const wrapped: JobHandler = async (payload, context) => {
      const run: SubscribeRun = { created: false, done: deferred() };
      try {
        return await runOf.run(run, () => subscribe(payload, context));
      } finally {
        run.done.resolve();
      }
    };
    return { ...all, [JOB.subscribe]: wrapped };
  });

  const update = KyselySyncUserRepository.prototype.update;
  patch(
    KyselySyncUserRepository.prototype,
    'update',
    async function (this: KyselySyncUserRepository, ...args: Parameters<typeof update>) {
      await update.apply(this, args);
      if (args[1].status === 'stopped') state.stopped.resolve();
    },
  );

  const removeByUser = KyselyEventLinkRepository.prototype.removeByUser;
  patch(
    KyselyEventLinkRepository.prototype,
    'removeByUser',
    async function (this: KyselyEventLinkRepository, userId: string) {
      state.deletedWhenSignOutWentOn ??= [...state.deletedIds];
      state.signOutDeleted.resolve();
      const hold = state.holdSignOutAfterDelete;
      state.holdSignOutAfterDelete = undefined;
      if (hold) await hold;
      return removeByUser.call(this, userId);
    },
  );

  return state;
}

/**
 * The sign-out runs where the subscribe job does not (another process of the deployment): it has no
 * subscription work of its own to wait for.
 */
function signOutElsewhere(): void {
  patch(SyncWorker.prototype, 'subscriptionWorkSettled', async () => undefined);
}

function lastCreatingRun(state: ReturnType<typeof hooks>): SubscribeRun {
  const run = state.creatingRuns.at(-1);
  if (!run) throw new Error('no subscribe job created a subscription');
  return run;
}

/** The access token Roomlink holds for the user now (read before the sign-out deletes it). */
function accessTokenOf(s: DemoServer, userId: string): Promise<string> {
  const { runtime } = s;
  return new TokenService({
    tokens: runtime.store.tokens,
    users: runtime.store.users,
    cipher: runtime.cipher,
    oidc: () => Promise.reject(new Error('tests read stored tokens only')),
  }).getAccessToken(userId);
}

/** The subscriptions Graph holds for the user, as that token lists them. */
async function atGraph(s: DemoServer, accessToken: string): Promise<string[]> {
  const response = await realFetch(`${s.baseUrl}${EMULATOR_GRAPH_PATH}/v1.0/subscriptions`, {
    headers: { authorization: `Bearer ${accessToken}` },
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { value: { id: string }[] }).value.map((v) => v.id);
}

async function syncRows(s: DemoServer, userId: string): Promise<unknown[]> {
  return (await sql`select user_id from sync_users where user_id = ${userId}`.execute(s.runtime.store.db))
    .rows;
}

async function tokenRows(s: DemoServer, userId: string): Promise<unknown[]> {
  return (await sql`select user_id from user_tokens where user_id = ${userId}`.execute(s.runtime.store.db))
    .rows;
}

/**
 * Starts the server and signs the user in with Graph's answer to the subscribe job's POST
 * /subscriptions held until `answer` resolves: returns once Graph has created the subscription and
 * the job has not stored its id yet, with that job's run and the user's access token.
 */
async function signInWithSubscriptionCreationHeld(state: ReturnType<typeof hooks>) {
  const answer = deferred();
  state.holdCreate = answer.promise;
  server = await startDemoServer();
  const s = server;
  const signedIn = await scriptedSignIn(s.baseUrl, UPN);
  const userId = signedIn.user.id;
  await state.created.promise;
  const job = lastCreatingRun(state);
  const accessToken = await accessTokenOf(s, userId);
  return { s, signedIn, userId, answer, job, accessToken };
}

it('a subscription created as the user signs out is deleted before the sign-out answers', async () => {
  const state = hooks();
  // Graph has created it; the job has not stored its id yet.
  const { s, signedIn, userId, answer, job, accessToken } = await signInWithSubscriptionCreationHeld(state);
  expect(await atGraph(s, accessToken)).toHaveLength(1);

  const signOut = s.api('api/v1/session/sign-out', signedIn.token, { method: 'POST' });
  await state.stopped.promise;
  answer.resolve();
  expect((await signOut).status).toBe(204);

  // The sign-out waited for the job: it went on once the job had deleted what it created (while the
  // user's tokens were still there), and answered with nothing left at Graph.
  expect(state.createdIds).toHaveLength(1);
  expect(state.deletedWhenSignOutWentOn).toEqual(state.createdIds);
  expect(await atGraph(s, accessToken)).toEqual([]);
  await job.done.promise;
  expect(await atGraph(s, accessToken)).toEqual([]);
  expect(await syncRows(s, userId)).toEqual([]);
});

it('a subscription created after a sign-out elsewhere completed is deleted by its job, with the token it was created with', async () => {
  const state = hooks();
  signOutElsewhere();
  const { s, signedIn, userId, answer, job, accessToken } = await signInWithSubscriptionCreationHeld(state);

  const signOut = await s.api('api/v1/session/sign-out', signedIn.token, { method: 'POST' });
  expect(signOut.status).toBe(204);
  // Signed out for good: nothing of the user's sync, and no token Roomlink could get, is left.
  expect(await syncRows(s, userId)).toEqual([]);
  expect(await tokenRows(s, userId)).toEqual([]);
  answer.resolve();
  await job.done.promise;

  expect(await atGraph(s, accessToken)).toEqual([]);
});

it('a renewal that the sign-out’s deletion turns into a new subscription leaves none at Graph', async () => {
  const state = hooks();
  signOutElsewhere();
  server = await startDemoServer();
  const s = server;
  const first = await scriptedSignIn(s.baseUrl, UPN);
  const userId = first.user.id;
  await lastCreatingRunSoon(state);
  const { subscription_id: stored } = (
    await sql<{
      subscription_id: string;
    }>`select subscription_id from sync_users where user_id = ${userId}`.execute(s.runtime.store.db)
  ).rows[0] as { subscription_id: string };
  expect(typeof stored).toBe('string');

  // Due for renewal; a new sign-in of the user queues the subscribe job that renews it.
  await sql`update sync_users set subscription_expires_at = ${new Date(Date.now() + 60_000).toISOString()} where user_id = ${userId}`.execute(
    s.runtime.store.db,
  );
  const renewing = deferred();
  const sendRenewal = deferred();
  state.holdRenewal = { id: stored, reached: renewing, release: sendRenewal.promise };
  state.created = deferred();
  const again = await scriptedSignIn(s.baseUrl, UPN);
  await renewing.promise; // the job read the user as active and is about to PATCH the subscription
  const accessToken = await accessTokenOf(s, userId);
  expect(await atGraph(s, accessToken)).toEqual([stored]);

  const resumeSignOut = deferred();
  state.holdSignOutAfterDelete = resumeSignOut.promise;
  const signOut = s.api('api/v1/session/sign-out', again.token, { method: 'POST' });
  await state.signOutDeleted.promise; // the sign-out deleted the stored subscription at Graph
  expect(await atGraph(s, accessToken)).toEqual([]);
  sendRenewal.resolve(); // Graph answers the renewal 404: the job creates a new subscription
  await state.created.promise;
  const job = lastCreatingRun(state);
  resumeSignOut.resolve();
  expect((await signOut).status).toBe(204);
  await job.done.promise;

  expect(await atGraph(s, accessToken)).toEqual([]);
  expect(await syncRows(s, userId)).toEqual([]);
});

/** The first sign-in's subscribe job, once it has created and stored the subscription. */
async function lastCreatingRunSoon(state: ReturnType<typeof hooks>): Promise<void> {
  await state.created.promise;
  await lastCreatingRun(state).done.promise;
}

for (const dialect of DIALECTS) {
  const { skip, label } = dialectAvailability(dialect);
  describe.skipIf(skip)(`storing a new subscription on ${label}`, () => {
    let t: IdentityTestApp | undefined;
    afterEach(async () => {
      await t?.close();
      t = undefined;
    });

    it('stores it only while the user’s sync is active, and says whether it did', async () => {
      t = await startIdentityApp(dialect);
      const { user } = await scriptedSignIn(t.url, UPN);
      const users = kyselySyncStore(t.runtime.store.db).users;
      const now = new Date();
      expect(await users.activate(user.id, user.tenantId, now)).toBe(true);

      expect(await users.updateIfActive(user.id, { subscriptionId: 'first' }, now)).toBe(true);
      expect(await users.find(user.id)).toMatchObject({ status: 'active', subscriptionId: 'first' });

      await users.update(user.id, { status: 'stopped' }, now);
      expect(await users.updateIfActive(user.id, { subscriptionId: 'second' }, now)).toBe(false);
      expect(await users.find(user.id)).toMatchObject({ status: 'stopped', subscriptionId: 'first' });

      await users.remove(user.id);
      expect(await users.updateIfActive(user.id, { subscriptionId: 'third' }, now)).toBe(false);
      expect(await users.find(user.id)).toBeUndefined();
    });
  });
}
