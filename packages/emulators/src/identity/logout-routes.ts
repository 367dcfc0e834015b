/**
 * Sign-out and the error lookup page. The emulator keeps no browser session, so signing out only
 * sends the browser back: to `post_logout_redirect_uri` when it is a redirect URI registered for the
 * app (of `client_id`, or of any app when none is named), else to a signed-out page.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type EmulatorContext, requestParams } from './context.js';
import { aadsts } from './errors.js';
import { errorPage, messagePage } from './pages.js';

export function logoutRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  const logout = async (request: FastifyRequest<{ Params: { tenant: string } }>, reply: FastifyReply) => {
    const segment = request.params.tenant;
    reply.header('cache-control', 'no-store').type('text/html; charset=utf-8');
    if (!ctx.directory.authority(segment)) {
      const error = aadsts.unknownTenant(segment, 'invalid_request');
      return reply.code(400).send(errorPage(error.code, error.description));
    }
    const p = requestParams(request);
    const target = p.post_logout_redirect_uri;
    const candidates = p.client_id ? [ctx.clients.get(p.client_id)] : [...ctx.clients.values()];
    if (target && candidates.some((client) => client?.redirectUris.includes(target))) {
      const url = new URL(target);
      if (p.state !== undefined) url.searchParams.set('state', p.state);
      return reply.redirect(url.toString(), 302);
    }
    return reply.send(
      messagePage('You signed out of your account', "It's a good idea to close all browser windows."),
    );
  };
  app.get('/:tenant/oauth2/v2.0/logout', logout);
  app.post('/:tenant/oauth2/v2.0/logout', logout);

  app.get<{ Querystring: { code?: string } }>('/error', async (request, reply) => {
    const code = /^\d{1,9}$/.test(request.query.code ?? '') ? request.query.code : undefined;
    return reply
      .type('text/html; charset=utf-8')
      .send(
        messagePage(
          code ? `Error AADSTS${code}` : 'Error lookup',
          code
            ? `AADSTS${code} was returned by the local identity emulator, which uses the codes of Microsoft's published AADSTS error reference.`
            : 'Pass ?code=NNNN to look up an AADSTS error code.',
        ),
      );
  });
}
