/**
 * OpenID Connect discovery and the JWKS. A tenant's metadata names its own issuer; the multi-tenant
 * `common` and `organizations` metadata publish the issuer as the literal template
 * `{baseUrl}/{tenantid}/v2.0`, as Microsoft does, and every token's `iss` fills it with its `tid`.
 * Only what the emulator implements is advertised (the authorization code flow, query and form_post).
 */
import type { FastifyInstance } from 'fastify';
import { type EmulatorContext, endpoint, errorContext } from './context.js';
import { aadsts, errorBody } from './errors.js';

export function metadataRoutes(app: FastifyInstance, ctx: EmulatorContext): void {
  app.get<{ Params: { tenant: string } }>(
    '/:tenant/v2.0/.well-known/openid-configuration',
    async (request, reply) => {
      const segment = request.params.tenant;
      const authority = ctx.directory.authority(segment);
      reply.header('access-control-allow-origin', '*');
      if (!authority) {
        return reply.code(400).send(errorBody(aadsts.unknownTenant(segment), errorContext(ctx, request)));
      }
      const issuer =
        authority.kind === 'tenant'
          ? ctx.minter.issuer(authority.tenant.id)
          : `${ctx.baseUrl}/{tenantid}/v2.0`;
      const at = (path: string) => endpoint(ctx, segment, path);
      return reply.send({
        token_endpoint: at('oauth2/v2.0/token'),
        token_endpoint_auth_methods_supported: [
          'client_secret_post',
          'private_key_jwt',
          'client_secret_basic',
        ],
        jwks_uri: at('discovery/v2.0/keys'),
        response_modes_supported: ['query', 'form_post'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code'],
        scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
        issuer,
        request_uri_parameter_supported: false,
        ...(ctx.userinfoEndpoint ? { userinfo_endpoint: ctx.userinfoEndpoint } : {}),
        authorization_endpoint: at('oauth2/v2.0/authorize'),
        http_logout_supported: true,
        frontchannel_logout_supported: true,
        end_session_endpoint: at('oauth2/v2.0/logout'),
        claims_supported: [
          'sub',
          'iss',
          'aud',
          'exp',
          'iat',
          'nbf',
          'nonce',
          'preferred_username',
          'name',
          'oid',
          'tid',
          'ver',
          'wids',
          'email',
        ],
        tenant_region_scope: authority.kind === 'tenant' ? 'EU' : null,
        cloud_instance_name: 'microsoftonline.com',
        msgraph_host: 'graph.microsoft.com',
      });
    },
  );

  app.get<{ Params: { tenant: string } }>('/:tenant/discovery/v2.0/keys', async (request, reply) => {
    const segment = request.params.tenant;
    const authority = ctx.directory.authority(segment);
    reply.header('access-control-allow-origin', '*');
    if (!authority) {
      return reply.code(400).send(errorBody(aadsts.unknownTenant(segment), errorContext(ctx, request)));
    }
    const issuer =
      authority.kind === 'tenant' ? ctx.minter.issuer(authority.tenant.id) : `${ctx.baseUrl}/{tenantid}/v2.0`;
    return reply.send(ctx.keys.jwks(issuer));
  });
}
