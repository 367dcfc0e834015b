/**
 * `roomlink doctor`'s last check: that this machine reaches Microsoft's identity platform and Graph
 * as the server will, before the first user finds out.
 *
 * Sign-in's metadata is fetched by the server's own OIDC client, so whatever would stop the first
 * sign-in (DNS, a firewall, a proxy's page, a tenant in MS_AUTHORITY that does not exist, an
 * authority that is not Entra's) stops it here too. Graph is asked for `/me` without a token: Graph
 * answers any such request 401 with its own JSON error, which proves the route and TLS with no
 * credential, permission or user.
 */
import type { MicrosoftConfig } from '../config/config.js';
import { callbackUrl } from '../identity/index.js';
import { MicrosoftOidcClient, OidcError, unavailableReason } from '../identity/oidc-client.js';

/** Long enough for a slow DNS or TLS handshake; short enough that a dropped packet does not hang doctor. */
const TIMEOUT_MS = 10_000;
const NETWORK_HELP =
  'the server needs outbound HTTPS (port 443) to it: see “Network” in docs/deploy-microsoft-365.md';

export interface MicrosoftCheckOptions {
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
}

/** One line per service, `ok    …` or `FAIL  …`; `failed` if any failed. */
export interface MicrosoftCheckResult {
  readonly lines: readonly string[];
  readonly failed: boolean;
}

export async function checkMicrosoft(
  config: { readonly baseUrl: URL; readonly graphBaseUrl: URL; readonly microsoft: MicrosoftConfig },
  options: MicrosoftCheckOptions = {},
): Promise<MicrosoftCheckResult> {
  const fetchWithTimeout = bounded(options.fetch ?? fetch, options.timeoutMs ?? TIMEOUT_MS);
  const [signIn, graph] = await Promise.all([
    checkSignIn(config, fetchWithTimeout),
    checkGraph(config.graphBaseUrl, fetchWithTimeout),
  ]);
  return { lines: [signIn.line, graph.line], failed: !signIn.ok || !graph.ok };
}

interface Outcome {
  readonly ok: boolean;
  readonly line: string;
}

async function checkSignIn(
  config: { readonly baseUrl: URL; readonly microsoft: MicrosoftConfig },
  fetchImpl: typeof fetch,
): Promise<Outcome> {
  const { authority, clientId, credential } = config.microsoft;
  const label = `Microsoft sign-in (MS_AUTHORITY ${authority})`;
  try {
    await MicrosoftOidcClient.discover({
      clientId,
      credential,
      authority,
      redirectUri: callbackUrl(config.baseUrl),
      fetch: fetchImpl,
    });
    return { ok: true, line: `ok    ${label}: its OpenID metadata is reachable and valid` };
  } catch (error) {
    if (error instanceof OidcError && error.code === 'unavailable')
      return {
        ok: false,
        line: `FAIL  ${label}: ${authority.host} cannot be reached (${error.reason}); ${NETWORK_HELP}`,
      };
    return { ok: false, line: `FAIL  ${label}: ${await refusal(error)}` };
  }
}

async function checkGraph(graphBaseUrl: URL, fetchImpl: typeof fetch): Promise<Outcome> {
  const label = `Microsoft Graph (GRAPH_BASE_URL ${graphBaseUrl})`;
  const url = `${graphBaseUrl.toString().replace(/\/+$/, '')}/v1.0/me`;
  let response: Response;
  try {
    response = await fetchImpl(url, { headers: { accept: 'application/json' } });
  } catch (error) {
    return {
      ok: false,
      line: `FAIL  ${label}: ${graphBaseUrl.host} cannot be reached (${unavailableReason(error) ?? errorName(error)}); ${NETWORK_HELP}`,
    };
  }
  const code = graphErrorCode(await response.text());
  if (response.status === 401 && code !== undefined)
    return { ok: true, line: `ok    ${label}: it answers as Graph does` };
  return {
    ok: false,
    line:
      `FAIL  ${label}: a request without a token got HTTP ${response.status}${code ? ` (${code})` : ''}, ` +
      'where Microsoft Graph answers 401 with its own error: is GRAPH_BASE_URL right, or is a proxy answering?',
  };
}

/**
 * What the identity platform's refusal says, as codes only (an error's description may echo what was
 * sent): e.g. `invalid_tenant, AADSTS90002` for a tenant in MS_AUTHORITY that does not exist.
 */
async function refusal(error: unknown): Promise<string> {
  const cause = (error as { cause?: unknown }).cause;
  if (cause instanceof Response) {
    const body = await cause.text().catch(() => '');
    const parsed = parseJson(body) as { error?: unknown; error_codes?: unknown } | undefined;
    const codes = Array.isArray(parsed?.error_codes)
      ? parsed.error_codes.filter((c): c is number => typeof c === 'number').map((c) => `AADSTS${c}`)
      : [];
    const oauth = typeof parsed?.error === 'string' ? [parsed.error] : [];
    const named = [...oauth, ...codes].join(', ');
    const tenantHint = codes.includes('AADSTS90002')
      ? ': the tenant in MS_AUTHORITY does not exist (use `organizations`, or your tenant id or domain)'
      : '';
    return `it answered HTTP ${cause.status}${named ? ` (${named})` : ''}${tenantHint}`;
  }
  // openid-client's own verdict on what it got (an issuer that does not match, metadata that does not
  // parse): its messages name the check, never a secret.
  const code = (error as { code?: unknown }).code;
  return `its metadata was refused: ${error instanceof Error ? error.message : String(error)}${
    typeof code === 'string' ? ` (${code})` : ''
  }`;
}

function graphErrorCode(body: string): string | undefined {
  const code = (parseJson(body) as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === 'string' ? code : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'error';
}

function bounded(fetchImpl: typeof fetch, timeoutMs: number): typeof fetch {
  return (input, init) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    return fetchImpl(input, { ...init, signal });
  };
}
