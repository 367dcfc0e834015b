/**
 * A small stand-in for the Roomlink server's add-in API (meetings, host links, session, me/settings, the
 * sign-in dialog's start page), following the contract the real server implements. The add-in's tests and the
 * click benchmark (bench/addin-click.mjs) run against it over real HTTP; the Outlook sandbox browser tests
 * run on the real server (packages/server/test/sandbox-e2e.test.ts).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { wrapHtmlBlock, wrapTextBlock } from '../../../server/src/instructions/marker.js';

export interface StubUser {
  readonly id: string;
  readonly name: string;
  readonly upn: string;
  readonly tenantId: string;
  readonly isTenantAdmin: boolean;
  settings: { addToEveryMeeting: boolean; language: 'en' | 'fr' | null };
}

export interface StubMeeting {
  id: string;
  status: 'scheduled' | 'cancelled';
  subject: string;
  start: string;
  end: string;
  timeZone: string | null;
  recurrence: unknown;
  joinUrl: string;
  options: { guestPin?: boolean; lobby?: boolean; language?: 'en' | 'fr' };
  idempotencyKey: string;
  ownerId: string;
  version: number;
  deleted: boolean;
}

export interface StubRoomlink {
  readonly users: Map<string, StubUser>;
  readonly meetings: Map<string, StubMeeting>;
  /** Every request the add-in made, method and path (no bodies). */
  readonly requests: string[];
  /** Bodies of POST /api/v1/meetings, in order. */
  readonly createBodies: Record<string, unknown>[];
  /** The user the next sign-in dialog signs in. */
  signInAs: string;
  /** Makes the next request to a matching path fail with this problem. */
  failNext(pathPrefix: string, status: number, problem: Record<string, unknown>): void;
  /** Issues a one-time code for a challenge, as the real dialog flow does after Microsoft sign-in. */
  issueCode(challenge: string, upn?: string): string;
  /** A session token for a user, without the dialog. */
  createSession(upn: string): { token: string; expiresAt: string; user: Omit<StubUser, 'settings' | 'id'> };
  revokeAll(): void;
  /**
   * Microsoft refused the user's sign-in, with these Conditional Access claims (or none): GET
   * /api/v1/me says needs_sign_in, until the user signs in again.
   */
  refuseSignIn(upn: string, claims: string | null): void;
}

export interface StubOptions {
  /** The public base URL (ends with /), used for join URLs. */
  readonly baseUrl: () => string;
  /** The page the dialog ends on; defaults to one that loads office.js from Microsoft's CDN. */
  readonly officeJsUrl?: string;
}

const CDN_OFFICE_JS = 'https://appsforoffice.microsoft.com/lib/1/hosted/office.js';

export function registerStubRoomlink(app: FastifyInstance, options: StubOptions): StubRoomlink {
  const users = new Map<string, StubUser>();
  const meetings = new Map<string, StubMeeting>();
  const sessions = new Map<string, string>(); // token -> upn
  const codes = new Map<string, { challenge: string; upn: string }>();
  const failures: { prefix: string; status: number; problem: Record<string, unknown> }[] = [];
  const requests: string[] = [];
  const createBodies: Record<string, unknown>[] = [];
  const refused = new Map<string, string | null>(); // upn -> claims

  const addUser = (upn: string, name: string) =>
    users.set(upn, {
      id: randomUUID(),
      name,
      upn,
      tenantId: '11111111-2222-4333-8444-555555555555',
      isTenantAdmin: false,
      settings: { addToEveryMeeting: false, language: null },
    });
  addUser('adele@contoso.test', 'Adele Vance');
  addUser('pierre@contoso.test', 'Pierre Martin');

  const stub: StubRoomlink = {
    users,
    meetings,
    requests,
    createBodies,
    signInAs: 'adele@contoso.test',
    failNext(prefix, status, problem) {
      failures.push({ prefix, status, problem });
    },
    issueCode(challenge, upn) {
      const code = randomBytes(24).toString('base64url');
      codes.set(code, { challenge, upn: upn ?? stub.signInAs });
      return code;
    },
    createSession(upn) {
      const user = users.get(upn);
      if (!user) throw new Error(`no stub user ${upn}`);
      const token = randomBytes(32).toString('base64url');
      sessions.set(token, upn);
      const { settings: _settings, id: _id, ...view } = user;
      return { token, expiresAt: new Date(Date.now() + 3600_000).toISOString(), user: view };
    },
    revokeAll() {
      sessions.clear();
    },
    refuseSignIn(upn, claims) {
      refused.set(upn, claims);
    },
  };

  const problem = (reply: FastifyReply, status: number, body: Record<string, unknown>) =>
    reply
      .code(status)
      .type('application/problem+json')
      .send({ type: 'about:blank', title: 'Error', status, ...body });

  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] as string;
    if (!path.startsWith('/api/') && !path.startsWith('/auth/')) return;
    requests.push(`${request.method} ${path}`);
    const index = failures.findIndex((f) => path.startsWith(f.prefix));
    if (index !== -1) {
      const [failure] = failures.splice(index, 1);
      if (failure) return problem(reply, failure.status, failure.problem);
    }
    return undefined;
  });

  const principal = (request: FastifyRequest, reply: FastifyReply): StubUser | null => {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    const upn = token ? sessions.get(token) : undefined;
    const user = upn ? users.get(upn) : undefined;
    if (!user) {
      void problem(reply, 401, { code: 'unauthorized', detail: 'sign in again' });
      return null;
    }
    return user;
  };

  const view = (m: StubMeeting, lang: 'en' | 'fr') => {
    const label = lang === 'fr' ? 'Rejoindre la réunion Roomlink' : 'Join the Roomlink meeting';
    const pin = m.options.guestPin ? (lang === 'fr' ? 'Code invité : 4242' : 'Guest PIN: 4242') : '';
    const html = wrapHtmlBlock(
      m.id,
      `<p><a href="${m.joinUrl}">${label}</a></p>${pin ? `<p>${pin}</p>` : ''}`,
      lang,
    );
    const text = wrapTextBlock(`${label}: ${m.joinUrl}${pin ? `\n${pin}` : ''}`);
    return {
      id: m.id,
      status: m.status,
      subject: m.subject,
      start: m.start,
      end: m.end,
      timeZone: m.timeZone,
      recurrence: m.recurrence,
      joinUrl: m.joinUrl,
      sipUri: `sip:${m.id.slice(0, 8)}@roomlink.test`,
      conferenceId: '1234567890',
      hostPin: '000000',
      guestPin: m.options.guestPin ? '4242' : null,
      dialIn: null,
      validFrom: m.start,
      validUntil: m.end,
      options: m.options,
      version: m.version,
      instructions: { language: lang, html, text },
    };
  };
  const langOf = (request: FastifyRequest): 'en' | 'fr' =>
    (request.query as { lang?: string }).lang === 'fr' ? 'fr' : 'en';
  const own = (request: FastifyRequest, reply: FastifyReply, user: StubUser): StubMeeting | null => {
    const m = meetings.get((request.params as { id: string }).id);
    if (!m || m.ownerId !== user.id || m.deleted) {
      void problem(reply, 404, { code: 'not_found', detail: 'no such meeting' });
      return null;
    }
    return m;
  };

  app.get('/auth/addin/start', async (request, reply) => {
    const q = request.query as { challenge?: string; lang?: string };
    if (!q.challenge || !/^[A-Za-z0-9_-]{43}$/.test(q.challenge))
      return problem(reply, 400, { detail: 'bad challenge' });
    const code = stub.issueCode(q.challenge);
    const message = JSON.stringify(JSON.stringify({ type: 'roomlink-signin', code }));
    // What the real server's last dialog page does after Microsoft sign-in: hand the code back.
    return reply
      .type('text/html; charset=utf-8')
      .send(`<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Roomlink sign-in (stub)</title><script src="${options.officeJsUrl ?? CDN_OFFICE_JS}"></script></head>
<body><p>Signed in as ${stub.signInAs}. You can close this window.</p>
<script>Office.onReady(function () { Office.context.ui.messageParent(${message}); });</script></body></html>`);
  });

  app.post('/api/v1/session', async (request, reply) => {
    const { code, verifier } = request.body as { code?: string; verifier?: string };
    const entry = code ? codes.get(code) : undefined;
    if (code) codes.delete(code);
    const challenge = verifier ? createHash('sha256').update(verifier).digest('base64url') : '';
    if (!entry || entry.challenge !== challenge)
      return problem(reply, 400, { code: 'invalid_request', detail: 'bad code' });
    refused.delete(entry.upn);
    return stub.createSession(entry.upn);
  });

  app.post('/api/v1/session/sign-out', async (request, reply) => {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
    if (token) sessions.delete(token);
    return reply.code(204).send();
  });

  app.get('/api/v1/me', async (request, reply) => {
    const user = principal(request, reply);
    if (!user) return reply;
    const { settings, id, ...rest } = user;
    const claims = refused.get(user.upn);
    return {
      user: { id, ...rest },
      status: claims === undefined ? 'active' : 'needs_sign_in',
      claims: claims ?? null,
      settings,
    };
  });

  app.put('/api/v1/me/settings', async (request, reply) => {
    const user = principal(request, reply);
    if (!user) return reply;
    user.settings = request.body as StubUser['settings'];
    return user.settings;
  });

  app.post('/api/v1/meetings', async (request, reply) => {
    const user = principal(request, reply);
    if (!user) return reply;
    const body = request.body as Record<string, unknown>;
    createBodies.push(body);
    const key = String(body.idempotencyKey ?? '');
    if (!/^[A-Za-z0-9._:-]{8,128}$/.test(key))
      return problem(reply, 400, { code: 'validation', detail: 'idempotencyKey' });
    const existing = [...meetings.values()].find((m) => m.ownerId === user.id && m.idempotencyKey === key);
    // Roomlink's rule (MeetingService #checkedReplay): a meeting never changed since its create tells
    // a reused key by a different recurrence shape.
    if (
      existing &&
      existing.version === 1 &&
      Boolean(existing.recurrence) !== Boolean(body.recurrence ?? null)
    )
      return problem(reply, 422, {
        code: 'idempotency_key_reused',
        detail: 'this idempotency key belongs to another meeting',
      });
    if (existing) return reply.code(200).send(view(existing, langOf(request)));
    const id = randomUUID();
    const meeting: StubMeeting = {
      id,
      status: 'scheduled',
      subject: String(body.subject ?? ''),
      start: String(body.start),
      end: String(body.end),
      timeZone: (body.timeZone as string | null) ?? null,
      recurrence: body.recurrence ?? null,
      joinUrl: `${options.baseUrl()}m/${randomBytes(16).toString('base64url')}`,
      options: (body.options as StubMeeting['options']) ?? {},
      idempotencyKey: key,
      ownerId: user.id,
      version: 1,
      deleted: false,
    };
    meetings.set(id, meeting);
    return reply.code(201).send(view(meeting, langOf(request)));
  });

  app.get('/api/v1/meetings/:id', async (request, reply) => {
    const user = principal(request, reply);
    const m = user && own(request, reply, user);
    return m ? view(m, langOf(request)) : reply;
  });

  app.patch('/api/v1/meetings/:id', async (request, reply) => {
    const user = principal(request, reply);
    const m = user && own(request, reply, user);
    if (!m) return reply;
    const patch = request.body as Partial<StubMeeting>;
    if (patch.options) m.options = { ...m.options, ...patch.options };
    if (patch.subject !== undefined) m.subject = patch.subject;
    m.version++;
    return view(m, langOf(request));
  });

  // A host link as the real server issues it: the ticket in the fragment, single use, 15 minutes.
  app.post('/api/v1/meetings/:id/host-link', async (request, reply) => {
    const user = principal(request, reply);
    const m = user && own(request, reply, user);
    if (!m) return reply;
    if (m.status === 'cancelled')
      return problem(reply, 409, {
        type: 'https://roomlink.dev/problems/meeting-cancelled',
        title: 'The meeting was cancelled',
        code: 'meeting_cancelled',
        detail: 'the meeting was cancelled; it has no room to join',
      });
    const ticket = `v1.k1.${randomBytes(48).toString('base64url')}`;
    return reply
      .code(201)
      .header('cache-control', 'no-store')
      .send({
        url: `${m.joinUrl}#host=${ticket}`,
        expiresAt: new Date(Date.now() + 15 * 60_000).toISOString(),
      });
  });

  app.delete('/api/v1/meetings/:id', async (request, reply) => {
    const user = principal(request, reply);
    const m = user && own(request, reply, user);
    if (!m) return reply;
    m.deleted = true;
    m.status = 'cancelled';
    return reply.code(204).send();
  });

  return stub;
}
