/**
 * Confidential client authentication at the token endpoint, as Microsoft accepts it:
 * client_secret_post, client_secret_basic, and private_key_jwt with a certificate credential — a JWT
 * signed RS256 or PS256 by the registered certificate's key, naming it by `x5t` (SHA-1) or
 * `x5t#S256`, with iss = sub = client_id, a jti, a lifetime, and `aud` the one token endpoint
 * the request is sent to. Microsoft does not enforce jti uniqueness (MSAL reuses an assertion until
 * it nears expiry), so neither does the emulator.
 */
import { createPublicKey, timingSafeEqual } from 'node:crypto';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { aadsts } from './errors.js';
import type { RegisteredClient } from './types.js';

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Microsoft's default clock skew allowance. */
const CLOCK_SKEW_SECONDS = 300;

export interface ClientAuthRequest {
  readonly body: Readonly<Record<string, string | undefined>>;
  readonly authorization: string | undefined;
  /** The absolute URL of the token endpoint the request was sent to. */
  readonly tokenEndpoint: string;
  readonly nowSeconds: number;
  readonly tenantLabel: string;
}

export type ClientLookup = (clientId: string) => RegisteredClient | undefined;

export async function authenticateClient(
  req: ClientAuthRequest,
  lookup: ClientLookup,
): Promise<RegisteredClient> {
  const basic = parseBasic(req.authorization);
  const { client_id: bodyClientId, client_secret: secret, client_assertion: assertion } = req.body;
  const assertionType = req.body.client_assertion_type;
  const methods = [basic, secret, assertion].filter((m) => m !== undefined).length;
  if (methods > 1) throw aadsts.malformed();
  if (basic && bodyClientId !== undefined && bodyClientId !== basic.clientId) throw aadsts.malformed();

  const clientId = basic?.clientId ?? bodyClientId;
  if (!clientId) throw aadsts.missingParameter('client_id');
  const client = lookup(clientId);
  if (!client) throw aadsts.unknownClient(clientId, req.tenantLabel);

  if (basic) return checkSecret(client, basic.secret);
  if (secret !== undefined) return checkSecret(client, secret);
  if (assertion !== undefined) {
    if (assertionType !== JWT_BEARER) throw aadsts.invalidParameter('client_assertion_type');
    await checkAssertion(client, assertion, req);
    return client;
  }
  throw aadsts.missingCredential();
}

function checkSecret(client: RegisteredClient, presented: string): RegisteredClient {
  if (client.secret === undefined || !sameString(client.secret, presented))
    throw aadsts.invalidSecret(client.clientId);
  return client;
}

async function checkAssertion(
  client: RegisteredClient,
  assertion: string,
  req: ClientAuthRequest,
): Promise<void> {
  let header: Record<string, unknown>;
  try {
    header = decodeProtectedHeader(assertion) as Record<string, unknown>;
  } catch {
    throw aadsts.assertionMalformed('the client assertion is not a JWT');
  }
  const certificate = client.certificate;
  const thumbprintMatches =
    certificate !== undefined &&
    ((typeof header.x5t === 'string' && header.x5t === certificate.x5t) ||
      (typeof header['x5t#S256'] === 'string' &&
        certificate.x5tS256 !== undefined &&
        header['x5t#S256'] === certificate.x5tS256));
  if (!certificate || !thumbprintMatches) throw aadsts.assertionSignature('The key was not found.');

  let payloadBytes: Uint8Array;
  try {
    const verified = await compactVerify(assertion, createPublicKey(certificate.publicKeyPem), {
      algorithms: ['RS256', 'PS256'],
    });
    payloadBytes = verified.payload;
  } catch {
    throw aadsts.assertionSignature(
      'The provided signature value did not match the expected signature value.',
    );
  }
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(new TextDecoder().decode(payloadBytes)) as Record<string, unknown>;
  } catch {
    throw aadsts.assertionMalformed('the payload is not JSON');
  }

  if (claims.iss !== client.clientId) throw aadsts.assertionClientMismatch();
  if (claims.sub !== claims.iss) throw aadsts.assertionSubjectMismatch();
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (audiences.length > 1) throw aadsts.assertionTooManyAudiences(audiences.length);
  if (audiences[0] !== req.tokenEndpoint) throw aadsts.assertionAudience();
  if (typeof claims.exp !== 'number') throw aadsts.assertionMalformed("the 'exp' claim is missing");
  if (typeof claims.jti !== 'string' || claims.jti === '')
    throw aadsts.assertionMalformed("the 'jti' claim is missing");
  const nbf = typeof claims.nbf === 'number' ? claims.nbf : undefined;
  if (claims.exp + CLOCK_SKEW_SECONDS <= req.nowSeconds) throw aadsts.assertionTime();
  if (nbf !== undefined && nbf - CLOCK_SKEW_SECONDS > req.nowSeconds) throw aadsts.assertionTime();
}

/** RFC 6749 §2.3.1: both parts are form-urlencoded before base64. */
function parseBasic(header: string | undefined): { clientId: string; secret: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw aadsts.malformed();
  const formDecode = (s: string) => {
    try {
      return decodeURIComponent(s.replace(/\+/g, ' '));
    } catch {
      throw aadsts.malformed();
    }
  };
  return { clientId: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
