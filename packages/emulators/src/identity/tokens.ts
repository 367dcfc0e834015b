/**
 * The tokens: v2.0 ID tokens and Microsoft Graph access tokens, signed RS256 by the current JWKS key.
 *
 * The Graph access token is the contract the Graph emulator relies on: `aud`
 * 'https://graph.microsoft.com', `iss` `{baseUrl}/{tid}/v2.0`, `tid`, `oid`, `scp` (permission names),
 * `appid`, `iat`, `nbf`, `exp`, `ver` '2.0'; plus `sub`, `uti`, and `xms_cc`/`acrs` when asked for.
 */
import { createHash, randomBytes } from 'node:crypto';
import { GLOBAL_ADMINISTRATOR_ROLE_ID, USER_ROLE_ID } from './demo-directory.js';
import type { SigningKeys } from './keys.js';
import { GRAPH_RESOURCE } from './scopes.js';
import type { TestUser } from './types.js';

/** ID tokens live an hour, as Microsoft's do. */
export const ID_TOKEN_LIFETIME_SECONDS = 3600;

export interface TokenMinter {
  readonly keys: SigningKeys;
  issuer(tenantId: string): string;
  nowSeconds(): number;
}

/** `sub` is pairwise: the same user has a different subject in each app. */
export function pairwiseSubject(oid: string, clientId: string): string {
  return createHash('sha256').update(`${oid}\n${clientId}`).digest('base64url');
}

const tokenId = () => randomBytes(16).toString('base64url');

export function directoryRoles(user: TestUser): string[] {
  return user.admin ? [GLOBAL_ADMINISTRATOR_ROLE_ID, USER_ROLE_ID] : [USER_ROLE_ID];
}

export async function mintIdToken(
  minter: TokenMinter,
  p: { user: TestUser; clientId: string; nonce: string | undefined; profile: boolean; email: boolean },
): Promise<string> {
  const now = minter.nowSeconds();
  return minter.keys.sign({
    aud: p.clientId,
    iss: minter.issuer(p.user.tenantId),
    iat: now,
    nbf: now,
    exp: now + ID_TOKEN_LIFETIME_SECONDS,
    ...(p.profile ? { name: p.user.name, oid: p.user.oid, preferred_username: p.user.upn } : {}),
    ...(p.email ? { email: p.user.upn } : {}),
    ...(p.nonce !== undefined ? { nonce: p.nonce } : {}),
    sub: pairwiseSubject(p.user.oid, p.clientId),
    tid: p.user.tenantId,
    uti: tokenId(),
    ver: '2.0',
    wids: directoryRoles(p.user),
  });
}

export async function mintGraphAccessToken(
  minter: TokenMinter,
  p: {
    user: TestUser;
    clientId: string;
    scp: string;
    lifetimeSeconds: number;
    capabilities?: readonly string[];
    authContexts?: readonly string[];
  },
): Promise<string> {
  const now = minter.nowSeconds();
  return minter.keys.sign({
    aud: GRAPH_RESOURCE,
    iss: minter.issuer(p.user.tenantId),
    iat: now,
    nbf: now,
    exp: now + p.lifetimeSeconds,
    ...(p.authContexts?.length ? { acrs: [...p.authContexts] } : {}),
    appid: p.clientId,
    idtyp: 'user',
    name: p.user.name,
    oid: p.user.oid,
    scp: p.scp,
    sub: pairwiseSubject(p.user.oid, GRAPH_RESOURCE),
    tid: p.user.tenantId,
    uti: tokenId(),
    ver: '2.0',
    ...(p.capabilities?.length ? { xms_cc: [...p.capabilities] } : {}),
  });
}
