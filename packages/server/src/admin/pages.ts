/**
 * The admin console's pages: /admin (the console for tenant admins; a sign-in page for visitors who
 * are not signed in; a refusal for signed-in users who are not tenant admins) and its two assets.
 */
import { type Language, parseAcceptLanguage, pickLanguage } from '@roomlink/rooms';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { CONSOLE_SCRIPT } from './web/console-script.js';
import { CONSOLE_STYLE } from './web/console-style.js';
import { ASSET_PATH, consolePage, forbiddenPage, signInPage } from './web/shell.js';

/**
 * Scripts from this origin only; inline styles are allowed because previews of join instructions
 * (rendered in a sandboxed iframe, which inherits this policy) are styled inline, as e-mail is.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: https:",
  "connect-src 'self'",
  "frame-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/**
 * The language of the console's pages, chosen as the join page chooses it: ?lang= (the pages' own
 * switch), then the browser's Accept-Language, then English.
 */
export function consoleLanguage(lang: unknown, acceptLanguage: string | undefined): Language {
  // A repeated ?lang is an array: only a single value is a choice.
  const chosen = typeof lang === 'string' ? lang : undefined;
  return pickLanguage([chosen, ...parseAcceptLanguage(acceptLanguage)], 'en');
}

export async function adminPages(app: FastifyInstance): Promise<void> {
  const html = (reply: FastifyReply, status: number, body: string) =>
    reply
      .code(status)
      .type('text/html; charset=utf-8')
      .header('content-security-policy', CONSOLE_CSP)
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      // No other site's window keeps a handle to the console (to navigate it to a look-alike, or probe it).
      .header('cross-origin-opener-policy', 'same-origin')
      // The words depend on Accept-Language, should anything in between ever keep a copy.
      .header('vary', 'accept-language')
      .send(body);

  app.get<{ Querystring: { lang?: unknown } }>(
    '/admin',
    { schema: { hide: true } },
    async (request, reply) => {
      const principal = request.principal;
      const language = consoleLanguage(request.query.lang, request.headers['accept-language']);
      // The sign-in invitation is what a visitor navigating here should see: 200, not 401 (which
      // browsers log as a failed load on every visit; 401 asks for HTTP authentication, which this page
      // does not do). It is no-store, so it never stands in for the console after signing in. The
      // refusal below keeps 403: that visitor is signed in and really refused. The API keeps its 401s.
      if (!principal) return html(reply, 200, signInPage(language));
      if (!principal.isTenantAdmin) return html(reply, 403, forbiddenPage(language));
      return html(reply, 200, consolePage(language));
    },
  );

  const asset = (type: string, body: string) => async (_request: unknown, reply: FastifyReply) =>
    reply.type(type).header('cache-control', 'no-cache').send(body);
  app.get(
    `${ASSET_PATH}/console.js`,
    { schema: { hide: true } },
    asset('text/javascript; charset=utf-8', CONSOLE_SCRIPT),
  );
  app.get(
    `${ASSET_PATH}/console.css`,
    { schema: { hide: true } },
    asset('text/css; charset=utf-8', CONSOLE_STYLE),
  );
}
