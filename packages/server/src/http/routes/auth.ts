/**
 * Sign-in endpoints: the Office dialog flow for the add-in, a browser flow (admin console), admin
 * consent, and the session API. Identity logic lives in identity/; this file only speaks HTTP.
 */
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Language } from '@roomlink/rooms';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TenantRepository } from '../../domain/tenants/tenant.js';
import { IdentityError } from '../../identity/errors.js';
import type { UserRepository } from '../../identity/ports.js';
import { constantTimeEqual, randomToken } from '../../identity/secrets.js';
import type { SignInService } from '../../identity/sign-in.js';
import { requirePrincipal, requireSession, requireSignedIn } from '../auth.js';
import { type RoomlinkCookie, roomlinkCookies } from '../cookies.js';
import { HttpError, problem } from '../errors.js';
import {
  AUTH_PAGE_STRINGS,
  askedLanguage,
  consentPage,
  consolePage,
  dialogPage,
  flowLanguage,
  isPageLanguage,
  unavailablePage,
} from './auth-pages.js';
import { ProblemResponse } from './meeting-schemas.js';

export interface AuthRoutesDeps {
  readonly signIn: SignInService;
  readonly users: UserRepository;
  /** The tenant's defaults, for what a user has not chosen themselves. */
  readonly tenants: TenantRepository;
  readonly baseUrl: URL;
  /** Microsoft's admin consent page for this app, carrying `state` back to /auth/admin-consent/done. */
  readonly adminConsentUrl: (state: string) => Promise<URL>;
  /**
   * Whether request.ip tells visitors apart (config's clientAddressesKnown). When it does not (behind
   * a proxy Roomlink does not trust), per-address limits would put everyone under one: they are off.
   */
  readonly limitPerAddress: boolean;
}

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
  /**
   * Every cookie here by the name in force (http/cookies.ts: `__Host-…` with an https base URL), set,
   * read and cleared under that name only: a cookie planted under the other name is never read.
   * The language cookies keep the language a flow's start asked for (?lang=) for the page that ends
   * it: Microsoft's answer carries nothing of Roomlink's but `state`, and a language read from that
   * answer would be one anybody can write into the link.
   */
  const cookies = roomlinkCookies(deps.baseUrl);
  /** A flow's cookie, for the 10 minutes a sign-in or a consent may take. */
  const setFlowCookie = (reply: FastifyReply, c: RoomlinkCookie, value: string) =>
    void reply.setCookie(c.name, value, { ...c.attributes, maxAge: 600 });
  const clear = (reply: FastifyReply, c: RoomlinkCookie) => void reply.clearCookie(c.name, c.attributes);
  const keepLanguage = (reply: FastifyReply, c: RoomlinkCookie, lang: unknown) => {
    const asked = askedLanguage(lang);
    if (asked) setFlowCookie(reply, c, asked);
    // A flow started without a choice must not end in the language of an earlier one.
    else clear(reply, c);
  };
  /**
   * The language the flow asked for at its start, and the one its page speaks. Read only: the flow's
   * answer clears the cookie when it ends the flow (an answer whose state does not match ends nothing).
   */
  const keptLanguage = (request: FastifyRequest, c: RoomlinkCookie) => {
    const kept = request.cookies[c.name];
    // Only a value this server writes counts; anything else is as if the flow had asked for none.
    const asked = isPageLanguage(kept) ? kept : undefined;
    return { asked, language: flowLanguage(asked, request.headers['accept-language']) };
  };

  /** The language of a page a flow's start answers itself: ?lang=, else the browser's, else English. */
  const startLanguage = (request: FastifyRequest, lang: unknown) =>
    flowLanguage(askedLanguage(lang), request.headers['accept-language']);

  /**
   * Answers a flow that could not reach Microsoft's identity platform (IdentityError
   * identity_unavailable) and rethrows any other error: a 503 page saying so in the flow's language
   * (the dialog's also tells the task pane, with the code), and one line for the operator with the
   * reason's code (ENOTFOUND, ECONNREFUSED, TimeoutError, http_503…: OidcError's `reason`), and
   * nothing of the request or of the error's messages (which may quote URLs).
   */
  const answerUnavailable = (
    request: FastifyRequest,
    reply: FastifyReply,
    error: unknown,
    language: Language,
    page: 'dialog' | 'console' | 'consent',
  ) => {
    if (!(error instanceof IdentityError) || error.code !== 'identity_unavailable') throw error;
    request.log.warn(
      { code: error.code, reason: error.extra.reason ?? 'unknown' },
      'Microsoft’s identity platform cannot be reached: check outbound HTTPS to the host of MS_AUTHORITY',
    );
    if (page !== 'dialog') return unavailablePage(reply, language, page);
    const text = AUTH_PAGE_STRINGS[language].identityUnavailable;
    return dialogPage(
      reply,
      deps.baseUrl,
      language,
      503,
      { type: 'roomlink-signin-error', error: error.code, description: text },
      text,
    );
  };

  api.get(
    '/auth/addin/start',
    { schema: { querystring: StartQuery, hide: true }, config: limited },
    async (request, reply) => {
      let started: Awaited<ReturnType<SignInService['start']>>;
      try {
        started = await deps.signIn.start({
          purpose: 'addin',
          addinChallenge: request.query.challenge,
          ...(request.query.claims ? { claims: request.query.claims } : {}),
          ...(request.query.login_hint ? { loginHint: request.query.login_hint } : {}),
        });
      } catch (error) {
        return answerUnavailable(request, reply, error, startLanguage(request, request.query.lang), 'dialog');
      }
      setFlowCookie(reply, cookies.login, started.cookie);
      keepLanguage(reply, cookies.loginLanguage, request.query.lang);
      return reply.redirect(started.redirect.toString(), 302);
    },
  );

  app.get<{ Querystring: { lang?: unknown } }>(
    '/auth/signin',
    { schema: { hide: true }, config: limited },
    async (request, reply) => {
      let started: Awaited<ReturnType<SignInService['start']>>;
      try {
        started = await deps.signIn.start({ purpose: 'browser' });
      } catch (error) {
        return answerUnavailable(
          request,
          reply,
          error,
          startLanguage(request, request.query.lang),
          'console',
        );
      }
      setFlowCookie(reply, cookies.login, started.cookie);
      keepLanguage(reply, cookies.loginLanguage, request.query.lang);
      return reply.redirect(started.redirect.toString(), 302);
    },
  );

  app.get('/auth/callback', { schema: { hide: true } }, async (request, reply) => {
    const { asked, language } = keptLanguage(request, cookies.loginLanguage);
    const w = AUTH_PAGE_STRINGS[language];
    const callbackUrl = new URL(request.url, deps.baseUrl);
    /** The flow's cookies go with the answer that ends it. */
    const endFlow = () => {
      clear(reply, cookies.login);
      clear(reply, cookies.loginLanguage);
    };
    try {
      const result = await deps.signIn.complete(request.cookies[cookies.login.name], callbackUrl);
      endFlow();
      if (result.purpose === 'browser') {
        // A session cookie (no Max-Age): the session itself ends after 12 hours at most.
        void reply.setCookie(cookies.session.name, result.sessionToken as string, cookies.session.attributes);
        return consolePage(reply, language, asked);
      }
      return dialogPage(
        reply,
        deps.baseUrl,
        language,
        200,
        { type: 'roomlink-signin', code: result.handoffCode as string },
        w.dialogSignedIn,
      );
    } catch (error) {
      // A state that does not match is no answer to this browser's sign-in (anyone can send a browser
      // here, its SameSite=Lax cookie along): the sign-in goes on, its cookies and transaction kept
      // for Microsoft's genuine answer. Any other refusal ends it.
      if (!(error instanceof IdentityError && error.code === 'state_mismatch')) endFlow();
      if (!(error instanceof IdentityError)) throw error;
      if (error.code === 'identity_unavailable') {
        // A console sign-in's answer is a browser tab's page, not the dialog's.
        const page = error.extra.purpose === 'browser' ? 'console' : 'dialog';
        return answerUnavailable(request, reply, error, language, page);
      }
      request.log.info({ code: error.code }, 'sign-in refused');
      return dialogPage(
        reply,
        deps.baseUrl,
        language,
        // The user proved who they are; their organisation is what this Roomlink does not serve.
        error.code === 'tenant_not_allowed' || error.code === 'tenant_offboarded' ? 403 : 400,
        { type: 'roomlink-signin-error', error: error.code, description: error.message },
        w.signInFailed(error.message),
      );
    }
  });

  app.get<{ Querystring: { lang?: unknown } }>(
    '/auth/admin-consent',
    { schema: { hide: true }, config: limited },
    async (request, reply) => {
      const state = randomToken();
      let consentUrl: URL;
      try {
        consentUrl = await deps.adminConsentUrl(state);
      } catch (error) {
        return answerUnavailable(
          request,
          reply,
          error,
          startLanguage(request, request.query.lang),
          'consent',
        );
      }
      setFlowCookie(reply, cookies.consent, state);
      keepLanguage(reply, cookies.consentLanguage, request.query.lang);
      return reply.redirect(consentUrl.toString(), 302);
    },
  );

  app.get('/auth/admin-consent/done', { schema: { hide: true } }, async (request, reply) => {
    const q = request.query as Record<string, string | undefined>;
    const expected = request.cookies[cookies.consent.name];
    const { language } = keptLanguage(request, cookies.consentLanguage);
    const w = AUTH_PAGE_STRINGS[language];
    // Without it, anyone could link an admin to a page saying Roomlink is approved when it is not.
    // Such a link ends nothing: the consent under way keeps its cookies for Microsoft's answer.
    if (!expected || typeof q.state !== 'string' || !constantTimeEqual(q.state, expected)) {
      return consentPage(reply, language, 400, w.consentUnexpectedTitle, w.consentUnexpectedText);
    }
    // Matched: the consent's answer is used up with its cookies.
    clear(reply, cookies.consent);
    clear(reply, cookies.consentLanguage);
    // Microsoft's error answer carries admin_consent=True too: an error means no consent.
    const granted = q.admin_consent === 'True' && !q.error;
    return granted
      ? consentPage(reply, language, 200, w.consentGrantedTitle, w.consentGrantedText)
      : consentPage(
          reply,
          language,
          400,
          w.consentRefusedTitle,
          w.consentRefusedText(q.error ?? w.noConsent),
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
      onRequest: requireSession,
      schema: {
        summary: 'Sign out: revoke sessions, delete tokens and the Exchange user id',
        tags: ['session'],
        response: { 204: Type.Null({ description: 'Signed out' }), 401: ProblemResponse },
      },
    },
    async (request, reply) => {
      await deps.signIn.signOut(requirePrincipal(request));
      clear(reply, cookies.session);
      return reply.code(204).send(null);
    },
  );

  api.get(
    '/api/v1/me',
    {
      onRequest: requireSession,
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
      const tenant = await deps.tenants.find(user.tenantId);
      return {
        user: await deps.signIn.describe(user),
        status: user.status,
        claims: user.pendingClaims,
        settings: {
          // The user's own choice (made in the task pane) wins over the tenant admin's default.
          addToEveryMeeting:
            user.settings.addToEveryMeeting ?? tenant?.settings.addToEveryMeetingDefault ?? false,
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
