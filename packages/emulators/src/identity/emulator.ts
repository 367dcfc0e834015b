/**
 * The Microsoft identity platform emulator: the v2.0 endpoints as a Fastify plugin, plus the control
 * API tests and the demo use. Mount it where `baseUrl` points:
 *
 *   const login = await createIdentityEmulator({ baseUrl: 'http://127.0.0.1:3000/_emulator/login' });
 *   await app.register(login.plugin, { prefix: '/_emulator/login' });
 *
 * Hand-built on `jose` rather than on oidc-provider: Microsoft's model is one JWKS and one set of
 * endpoints per tenant segment, with the issuer templated per tenant and the `common` /
 * `organizations` metadata publishing `…/{tenantid}/v2.0` literally; oidc-provider serves one
 * issuer per instance and validates its metadata as such.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { authorizeRoutes } from './authorize-routes.js';
import { parseClaimsRequest } from './claims-request.js';
import { type EmulatorContext, servicePrincipalKey } from './context.js';
import { Directory } from './directory.js';
import { Grants } from './grants.js';
import { SigningKeys } from './keys.js';
import { logoutRoutes } from './logout-routes.js';
import { metadataRoutes } from './metadata-routes.js';
import { parseScopes, scpClaim } from './scopes.js';
import { tokenRoutes } from './token-routes.js';
import { mintGraphAccessToken, type TokenMinter } from './tokens.js';
import type { IdentityEmulator, IdentityEmulatorOptions, RegisteredClient } from './types.js';

const FORM = 'application/x-www-form-urlencoded';

export async function createIdentityEmulator(options: IdentityEmulatorOptions): Promise<IdentityEmulator> {
  const baseUrl = new URL(options.baseUrl.toString()).toString().replace(/\/+$/, '');
  const now = options.now ?? (() => new Date());
  const keys = await SigningKeys.create();
  const issuer = (tenantId: string) => `${baseUrl}/${tenantId}/v2.0`;
  const minter: TokenMinter = { keys, issuer, nowSeconds: () => Math.floor(now().getTime() / 1000) };
  const clients = new Map<string, RegisteredClient>();
  const registerClient = (client: RegisteredClient) => {
    for (const uri of client.redirectUris) new URL(uri); // an invalid URI fails here, not at sign-in
    clients.set(client.clientId, { ...client, redirectUris: [...client.redirectUris] });
  };
  for (const client of options.clients ?? []) registerClient(client);

  const ctx: EmulatorContext = {
    baseUrl,
    directory: new Directory(options.users, options.tenants),
    clients,
    keys,
    grants: new Grants(),
    consents: [],
    disabledServicePrincipals: new Set(),
    minter,
    accessTokenLifetimeSeconds: options.accessTokenLifetimeSeconds ?? 3600,
    userinfoEndpoint: options.userinfoEndpoint,
    now,
  };

  const plugin: FastifyPluginAsync = async (app) => {
    // Encapsulated: the form parser stays inside this plugin; a host that parses forms already keeps its own.
    if (!app.hasContentTypeParser(FORM)) {
      app.addContentTypeParser(FORM, { parseAs: 'string' }, (_request, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(body as string)));
      });
    }
    metadataRoutes(app, ctx);
    authorizeRoutes(app, ctx);
    tokenRoutes(app, ctx);
    logoutRoutes(app, ctx);
  };

  return {
    plugin,
    baseUrl,
    issuer,
    registerClient,
    users: () => ctx.directory.users(),
    tenants: () => ctx.directory.tenants(),
    rotateSigningKey: () => keys.rotate(),
    stageSigningKey: () => keys.stage(),
    dropRetiredKeys: () => keys.dropRetired(),
    revokeRefreshTokens: (oid) => ctx.grants.revoke(oid),
    requireClaims: (oid, claimsJson) => {
      if (!parseClaimsRequest(claimsJson)) throw new TypeError('claimsJson must be a JSON claims request');
      ctx.grants.requireClaims(oid, claimsJson);
    },
    disableServicePrincipal: (tenantId, clientId) => {
      ctx.disabledServicePrincipals.add(servicePrincipalKey(tenantId, clientId));
    },
    enableServicePrincipal: (tenantId, clientId) => {
      ctx.disabledServicePrincipals.delete(servicePrincipalKey(tenantId, clientId));
    },
    issueAccessToken: (user, scopes, clientId, extra = {}) =>
      mintGraphAccessToken(minter, {
        user,
        clientId,
        scp: scpClaim(parseScopes(scopes.join(' '), clients.get(clientId)?.graphPermissions)),
        lifetimeSeconds: extra.lifetimeSeconds ?? ctx.accessTokenLifetimeSeconds,
        capabilities: extra.capabilities ?? [],
      }),
    jwks: async () => keys.jwks(`${baseUrl}/{tenantid}/v2.0`),
    adminConsents: () => [...ctx.consents],
  };
}

/** Creates the emulator and mounts it on `app` at `prefix` (default: baseUrl's path). */
export async function registerIdentityEmulator(
  app: FastifyInstance,
  options: IdentityEmulatorOptions & { prefix?: string },
): Promise<IdentityEmulator> {
  const emulator = await createIdentityEmulator(options);
  const prefix = options.prefix ?? new URL(emulator.baseUrl).pathname.replace(/\/+$/, '');
  await app.register(emulator.plugin, { prefix });
  return emulator;
}
