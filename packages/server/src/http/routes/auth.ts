/**
 * Sign-in endpoints: the Office dialog flow for the add-in, a browser flow (admin console), admin
 * consent, and the session API. Identity logic lives in identity/; this file only speaks HTTP.
 */
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { BROWSER_SESSION_COOKIE } from '../../identity/authenticator.js';
import { IdentityError } from '../../identity/errors.js';
import type { UserRepository } from '../../identity/ports.js';
import { constantTimeEqual, randomToken } from '../../identity/secrets.js';
import type { SignInService } from '../../identity/sign-in.js';
import { requirePrincipal, requireSignedIn } from '../auth.js';
import { HttpError, problem } from '../errors.js';
import { ProblemResponse } from './meeting-schemas.js';

export interface AuthRoutesDeps {
  readonly signIn: SignInService;
  readonly users: UserRepository;
  readonly baseUrl: URL;
  /** Microsoft's admin consent page for this app, carrying `state` back to /auth/admin-consent/done. */
  readonly adminConsentUrl: (state: string) => Promise<URL>;
  /**
   * Whether request.ip tells visitors apart (config's clientAddressesKnown). When it does not (behind
   * a proxy Roomlink does not trust), per-address limits would put everyone under one: they are off.
   */
  readonly limitPerAddress: boolean;
}

const LOGIN_COOKIE = 'roomlink_login';
/** Binds an admin consent answer to the browser that asked for it, as the login cookie does for sign-in. */
const CONSENT_COOKIE = 'roomlink_consent';

const StartQuery = Type.Object(
  {
    challenge: Type.String({ pattern: '^[A-Za-z0-9_-]{43}$', description: 'base64url(SHA-256(verifier))' }),
    claims: Type.Optional(Type.String({ maxLength: 4096 })),
    login_hint: Type.Optional(Type.String({ maxLength: 256 })),
    lang: Type.Optional(Type.String({ maxLength: 35 })),
  },
  { additionalProperties: false },
);
const SessionBody = Type.Object(
  {
    code: Type.String({ minLength: 20, maxLength: 200 }),
    verifier: Type.String({ minLength: 43, maxLength: 128, pattern: '^[A-Za-z0-9_-]+$' }),
  },
  { additionalProperties: false },
);
const UserView = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  name: Type.String(),
  upn: Type.String(),
  isTenantAdmin: Type.Boolean(),
});
const Settings = Type.Object(
  {
    addToEveryMeeting: Type.Boolean(),
    language: Type.Union([Type.Literal('en'), Type.Literal('fr'), Type.Null()]),
  },
  { additionalProperties: false },
);

/**
 * Unauthenticated requests that write a row (a sign-in transaction, a session) are limited per client
 * address (request.ip: ROOMLINK_TRUSTED_PROXIES decides whose X-Forwarded-For counts). Generous,
 * because a whole organisation may reach Roomlink from one NAT address on a Monday morning; the
 * point is that one client cannot fill the table. Per process, in memory.
 */
export const SIGN_IN_RATE_LIMIT = { max: 60, timeWindow: 60_000 } as const;

export async function authRoutes(app: FastifyInstance, deps: AuthRoutesDeps): Promise<void> {
  await app.register(cookie);
  const limited = { rateLimit: deps.limitPerAddress ? SIGN_IN_RATE_LIMIT : (false as const) };
  await app.register(rateLimit, {
    global: false,
    errorResponseBuilder: (_request, context) =>
      new HttpError(
        'rate_limited',
        `too many sign-in requests from your address; try again in ${context.after}`,
      ),
  });
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const secure = deps.baseUrl.protocol === 'https:';
  const cookieOptions = { httpOnly: true, secure, sameSite: 'lax' as const, path: '/auth' };

  api.get(
    '/auth/addin/start',
    { schema: { querystring: StartQuery, hide: true }, config: limited },
    async (request, reply) => {
      const { cookie: value, redirect } = await deps.signIn.start({
        purpose: 'addin',
        addinChallenge: request.query.challenge,
        ...(request.query.claims ? { claims: request.query.claims } : {}),
        ...(request.query.login_hint ? { loginHint: request.query.login_hint } : {}),
      });
      void reply.setCookie(LOGIN_COOKIE, value, { ...cookieOptions, maxAge: 600 });
      return reply.redirect(redirect.toString(), 302);
    },
  );

  app.get('/auth/signin', { schema: { hide: true }, config: limited }, async (_request, reply) => {
    const { cookie: value, redirect } = await deps.signIn.start({ purpose: 'browser' });
    void reply.setCookie(LOGIN_COOKIE, value, { ...cookieOptions, maxAge: 600 });
    return reply.redirect(redirect.toString(), 302);
  });

  app.get('/auth/callback', { schema: { hide: true } }, async (request, reply) => {
    void reply.clearCookie(LOGIN_COOKIE, cookieOptions);
    const callbackUrl = new URL(request.url, deps.baseUrl);
    try {
      const result = await deps.signIn.complete(request.cookies[LOGIN_COOKIE], callbackUrl);
      if (result.purpose === 'browser') {
        void reply.setCookie(BROWSER_SESSION_COOKIE, result.sessionToken as string, {
          httpOnly: true,
          secure,
          sameSite: 'strict',
          path: '/',
        });
        return consolePage(reply);
      }
      return dialogPage(
        reply,
        200,
        { type: 'roomlink-signin', code: result.handoffCode as string },
        'Signed in. You can close this window.',
      );
    } catch (error) {
      if (!(error instanceof IdentityError)) throw error;
      request.log.info({ code: error.code }, 'sign-in refused');
      return dialogPage(
        reply,
        400,
        { type: 'roomlink-signin-error', error: error.code, description: error.message },
        `Sign-in failed: ${error.message}`,
      );
    }
  });

  app.get('/auth/admin-consent', { schema: { hide: true }, config: limited }, async (_request, reply) => {
    const state = randomToken();
    void reply.setCookie(CONSENT_COOKIE, state, { ...cookieOptions, maxAge: 600 });
    return reply.redirect((await deps.adminConsentUrl(state)).toString(), 302);
  });

  app.get('/auth/admin-consent/done', { schema: { hide: true } }, async (request, reply) => {
    const q = request.query as Record<string, string | undefined>;
    const expected = request.cookies[CONSENT_COOKIE];
    void reply.clearCookie(CONSENT_COOKIE, cookieOptions);
    // Without it, anyone could link an admin to a page saying Roomlink is approved when it is not.
    if (!expected || typeof q.state !== 'string' || !constantTimeEqual(q.state, expected)) {
      return reply
        .code(400)
        .type('text/html; charset=utf-8')
        .send(
          page(
            'This answer was not expected',
            'It does not belong to an approval started in this browser in the last 10 minutes. Open the admin consent link again.',
          ),
        );
    }
    // Microsoft's error answer carries admin_consent=True too: an error means no consent.
    const granted = q.admin_consent === 'True' && !q.error;
    return reply
      .code(granted ? 200 : 400)
      .type('text/html; charset=utf-8')
      .send(
        page(
          granted ? 'Roomlink is approved for your organisation' : 'Roomlink was not approved',
          granted
            ? 'People in your organisation can now sign in to Roomlink from Outlook.'
            : `Microsoft answered: ${q.error ?? 'no consent'}. Ask a Global Administrator to try again.`,
        ),
      );
  });

  api.post(
    '/api/v1/session',
    {
      config: limited,
      schema: {
        summary: 'Trade the sign-in dialog’s one-time code and the task pane’s verifier for a session',
        tags: ['session'],
        security: [],
        body: SessionBody,
        response: {
          200: Type.Object({
            token: Type.String(),
            expiresAt: Type.String({ format: 'date-time' }),
            user: UserView,
          }),
          400: ProblemResponse,
          429: ProblemResponse,
        },
      },
    },
    async (request, reply) => {
      try {
        const session = await deps.signIn.exchangeHandoff(request.body.code, request.body.verifier);
        void reply.header('cache-control', 'no-store');
        return { token: session.token, expiresAt: session.expiresAt.toISOString(), user: session.user };
      } catch (error) {
        if (error instanceof IdentityError) {
          return reply
            .code(400)
            .type('application/problem+json')
            .send(problem('invalid_request', error.message));
        }
        throw error;
      }
    },
  );

  api.post(
    '/api/v1/session/sign-out',
    {
      onRequest: requireSignedIn,
      schema: {
        summary: 'Sign out: revoke sessions, delete tokens and the Exchange user id',
        tags: ['session'],
        response: { 204: Type.Null({ description: 'Signed out' }), 401: ProblemResponse },
      },
    },
    async (request, reply) => {
      await deps.signIn.signOut(requirePrincipal(request));
      void reply.clearCookie(BROWSER_SESSION_COOKIE, { path: '/' });
      return reply.code(204).send(null);
    },
  );

  api.get(
    '/api/v1/me',
    {
      onRequest: requireSignedIn,
      schema: {
        summary: 'The signed-in user, their sync status and settings',
        tags: ['session'],
        response: {
          200: Type.Object({
            user: UserView,
            status: Type.Union([
              Type.Literal('active'),
              Type.Literal('needs_sign_in'),
              Type.Literal('signed_out'),
            ]),
            claims: Type.Union([Type.String(), Type.Null()]),
            settings: Settings,
          }),
          401: ProblemResponse,
        },
      },
    },
    async (request) => {
      const user = await deps.users.findById(requirePrincipal(request).userId);
      if (!user) throw new HttpError('unauthorized', 'sign in again');
      return {
        user: await deps.signIn.describe(user),
        status: user.status,
        claims: user.pendingClaims,
        settings: {
          addToEveryMeeting: user.settings.addToEveryMeeting ?? false,
          language: user.settings.language ?? null,
        },
      };
    },
  );

  api.put(
    '/api/v1/me/settings',
    {
      onRequest: requireSignedIn,
      schema: {
        summary: 'Change the user’s add-in settings',
        tags: ['session'],
        body: Settings,
        response: { 200: Settings },
      },
    },
    async (request) => {
      const user = await deps.users.findById(requirePrincipal(request).userId);
      if (!user) throw new HttpError('unauthorized', 'sign in again');
      const settings: Static<typeof Settings> = request.body;
      await deps.users.updateSettings(user.id, settings);
      return settings;
    },
  );
}

/** The page the sign-in dialog ends on: it hands its result to the task pane with messageParent. */
function dialogPage(reply: FastifyReply, status: number, message: Record<string, string>, text: string) {
  const payload = JSON.stringify(JSON.stringify(message)).replaceAll('<', '\\u003c');
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .type('text/html; charset=utf-8')
    .send(
      page(
        'Roomlink',
        text,
        `<script src="https://appsforoffice.microsoft.com/lib/1/hosted/office.js"></script>
<script>
  Office.onReady(function () { Office.context.ui.messageParent(${payload}); });
</script>`,
      ),
    );
}

/**
 * Where a browser sign-in ends: a page of Roomlink's own that moves on to the console, not a redirect.
 * The callback is reached from the identity platform's site, and a redirect from there would still
 * be a cross-site navigation, on which browsers do not send the SameSite=Strict session cookie just
 * set: the console would answer "sign in" again. A navigation started by this page is same-site.
 */
function consolePage(reply: FastifyReply) {
  return reply
    .code(200)
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .type('text/html; charset=utf-8')
    .send(
      page(
        'Signed in',
        'Opening the admin console…',
        '<p><a href="/admin">Continue to the admin console</a></p>',
        '<meta http-equiv="refresh" content="0;url=/admin">',
      ),
    );
}

function page(title: string, text: string, extra = '', head = ''): string {
  const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">${head}
<title>${esc(title)}</title><style>body{font:16px system-ui,sans-serif;margin:2rem;color:#1b1b1b}</style></head>
<body><main><h1>${esc(title)}</h1><p>${esc(text)}</p></main>${extra}</body></html>`;
}
