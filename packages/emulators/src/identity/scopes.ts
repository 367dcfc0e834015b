/**
 * Scope parsing. The emulator knows one resource, Microsoft Graph: `https://graph.microsoft.com/Name`
 * or an unqualified `Name` (Microsoft reads unqualified scopes as Graph's) and the static `.default`.
 * Access tokens carry the resource scope names only in `scp` ('Calendars.Read').
 */
import { aadsts } from './errors.js';

export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
const OIDC_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);
const SCOPE_NAME = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9]+)*$/;

export interface Scopes {
  readonly oidc: ReadonlySet<string>;
  /** Graph permission names, e.g. 'Calendars.Read'; `.default` already expanded. */
  readonly graph: readonly string[];
}

export function parseScopes(raw: string, defaultPermissions: readonly string[] = ['User.Read']): Scopes {
  const oidc = new Set<string>();
  const graph: string[] = [];
  const add = (name: string) => {
    if (!graph.some((g) => g.toLowerCase() === name.toLowerCase())) graph.push(name);
  };
  for (const scope of raw.split(' ').filter(Boolean)) {
    if (OIDC_SCOPES.has(scope)) {
      oidc.add(scope);
      continue;
    }
    const name = scope.startsWith(`${GRAPH_RESOURCE}/`) ? scope.slice(GRAPH_RESOURCE.length + 1) : scope;
    if (name === '.default') {
      for (const permission of defaultPermissions) add(permission);
    } else if (SCOPE_NAME.test(name)) {
      add(name);
    } else {
      throw aadsts.invalidScope(scope);
    }
  }
  return { oidc, graph };
}

/** The `scope` member of a token response: resource scopes as URIs, then the OpenID Connect scopes. */
export function responseScope(scopes: Scopes): string {
  return [...scopes.graph.map((name) => `${GRAPH_RESOURCE}/${name}`), ...scopes.oidc].join(' ');
}

/** The `scp` claim: Graph permission names; a token for OpenID Connect scopes only gets those. */
export function scpClaim(scopes: Scopes): string {
  if (scopes.graph.length > 0) return scopes.graph.join(' ');
  return [...scopes.oidc].filter((s) => s !== 'offline_access').join(' ');
}

/** Whether `requested` asks for nothing beyond `granted` (a refresh may narrow, never widen). */
export function isSubset(requested: Scopes, granted: Scopes): boolean {
  const grantedLower = new Set(granted.graph.map((g) => g.toLowerCase()));
  return requested.graph.every((g) => grantedLower.has(g.toLowerCase()));
}
