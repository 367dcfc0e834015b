/**
 * Configuration is read once from the environment, validated as a whole, frozen and injected.
 * No other module reads `process.env`.
 */
import { isIP } from 'node:net';
import path from 'node:path';
import { connectTimeoutProblem } from '../store/connect-timeout.js';

export type KeyProviderKind = 'file' | 'env';

export type ClientCredential =
  | { readonly kind: 'secret'; readonly secret: string }
  | { readonly kind: 'certificate'; readonly certificateFile: string; readonly privateKeyFile: string };

/** The Microsoft identity platform app registration. Absent in demo mode (the emulator stands in). */
export interface MicrosoftConfig {
  readonly clientId: string;
  readonly credential: ClientCredential;
  /** e.g. https://login.microsoftonline.com/organizations */
  readonly authority: URL;
}

/** The hash BigBlueButton checks API calls with (its `supportedChecksumAlgorithms`). */
export const BBB_CHECKSUMS = ['sha1', 'sha256', 'sha384', 'sha512'] as const;
export type BigBlueButtonChecksum = (typeof BBB_CHECKSUMS)[number];

/**
 * Where new meetings' rooms run: the built-in room service, or an external media engine behind
 * Roomlink's join page (which still checks PINs and the room's window, then hands the participant
 * over).
 */
export type RoomEngineConfig =
  | { readonly kind: 'builtin' }
  | {
      readonly kind: 'bigbluebutton';
      /** The server URL `bbb-conf --secret` prints, ending with `/` (its API is at `api/`). */
      readonly url: URL;
      readonly secret: string;
      readonly checksum: BigBlueButtonChecksum;
    };

export interface Config {
  /** Demo mode: no Microsoft app registration configured; local emulators stand in for Microsoft. */
  readonly demo: boolean;
  /**
   * Demo mode for this machine only (ROOMLINK_DEMO_PUBLIC unset or false): loopback addresses, and
   * requests through a proxy or to another host name refused (http/demo-local-guard.ts).
   */
  readonly demoLocal: boolean;
  readonly port: number;
  readonly host: string;
  readonly baseUrl: URL;
  /**
   * The reverse proxies whose X-Forwarded-For/-Proto/-Host Roomlink believes (Fastify's
   * `trustProxy`): IP addresses, CIDR ranges and the names loopback, linklocal, uniquelocal.
   * Empty: none, so `request.ip` is the connecting socket's address.
   */
  readonly trustedProxies: readonly string[];
  readonly dataDir: string;
  readonly databaseUrl: string;
  readonly sqliteSynchronous: 'FULL' | 'NORMAL';
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly keys: {
    readonly provider: KeyProviderKind;
    /** file provider: the keyring file. */
    readonly keyringFile: string;
    /** env provider: `id:base64key` entries, the first is current. */
    readonly envKeys: readonly { id: string; key: Buffer }[];
  };
  readonly rooms: {
    /** Null (`ROOMLINK_SIP_DOMAIN=none`): no SIP gateway, no SIP address in join details. */
    readonly sipDomain: string | null;
    readonly dialInNumber: string | null;
    /** Where the join instructions' "Need help?" line points (http(s) or mailto:); none when null. */
    readonly helpUrl: string | null;
    readonly openBeforeMinutes: number;
    readonly closeAfterMinutes: number;
    /** Participants a built-in room takes (a peer-to-peer mesh: see packages/rooms/README.md). */
    readonly maxParticipants: number;
    /** STUN/TURN URLs handed to browsers as they are (e.g. stun:stun.example.org:3478). */
    readonly stunUrls: readonly string[];
    /** A coturn relay with use-auth-secret: short-lived HMAC credentials per participant. */
    readonly turn: {
      readonly urls: readonly string[];
      readonly secret: string;
      readonly ttlSeconds: number;
    } | null;
    readonly engine: RoomEngineConfig;
  };
  readonly shutdownTimeoutMs: number;
  readonly microsoft: MicrosoftConfig | null;
  readonly graphBaseUrl: URL;
  /** Entra tenant ids allowed to sign in; null allows every tenant. */
  readonly allowedTenants: readonly string[] | null;
  /** Directory role template ids that make a user a tenant admin in Roomlink. */
  readonly adminRoleIds: readonly string[];
  readonly sessionTtlHours: number;
}

/** Global Administrator's role template id, the same in every tenant. */
export const GLOBAL_ADMIN_ROLE_ID = '62e90394-69f5-4237-9190-012177145e10';

/** What a base URL must be (ROOMLINK_BASE_URL, `roomlink manifest --base-url`). */
export const BASE_URL_RULE = 'must be an absolute http(s) URL without path, query or fragment';

/**
 * A base URL as Roomlink uses it, ending with `/`; throws unless it follows BASE_URL_RULE. Roomlink
 * serves at the root of its host: its routes, redirect URIs and add-in id are made from this URL.
 */
export function parseBaseUrl(raw: string): URL {
  const url = new URL(raw);
  if (!['http:', 'https:'].includes(url.protocol)) throw new Error('scheme');
  if (url.search || url.hash) throw new Error('query');
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  if (url.pathname !== '/') throw new Error('path');
  return url;
}

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Every variable Roomlink reads; anything else starting with ROOMLINK_ is reported as unknown. */
export const KNOWN_VARIABLES = [
  'PORT',
  'HOST',
  'ROOMLINK_BASE_URL',
  'ROOMLINK_TRUSTED_PROXIES',
  'ROOMLINK_DATA_DIR',
  'DATABASE_URL',
  'ROOMLINK_SQLITE_SYNCHRONOUS',
  'LOG_LEVEL',
  'ROOMLINK_KEY_PROVIDER',
  'ROOMLINK_KEYRING_FILE',
  'ROOMLINK_MASTER_KEYS',
  'ROOMLINK_SIP_DOMAIN',
  'ROOMLINK_DIAL_IN_NUMBER',
  'ROOMLINK_HELP_URL',
  'ROOMLINK_ROOM_OPEN_BEFORE_MINUTES',
  'ROOMLINK_ROOM_CLOSE_AFTER_MINUTES',
  'ROOMLINK_ROOM_MAX_PARTICIPANTS',
  'ROOMLINK_STUN_URLS',
  'ROOMLINK_TURN_URLS',
  'ROOMLINK_TURN_SECRET',
  'ROOMLINK_TURN_TTL_SECONDS',
  'ROOMLINK_ROOM_ENGINE',
  'ROOMLINK_BBB_URL',
  'ROOMLINK_BBB_SECRET',
  'ROOMLINK_BBB_CHECKSUM',
  'ROOMLINK_SHUTDOWN_TIMEOUT_MS',
  'MS_CLIENT_ID',
  'MS_CLIENT_SECRET',
  'MS_CLIENT_CERT',
  'MS_CLIENT_KEY',
  'MS_AUTHORITY',
  'GRAPH_BASE_URL',
  'ROOMLINK_ALLOWED_TENANTS',
  'ROOMLINK_ADMIN_ROLE_IDS',
  'ROOMLINK_SESSION_TTL_HOURS',
  'ROOMLINK_DEMO_PUBLIC',
] as const;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

type Env = Readonly<Record<string, string | undefined>>;

export function loadConfig(env: Env, cwd: string = process.cwd()): Config {
  const problems: string[] = [];
  const value = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  // Decimal digits only (surrounding spaces are trimmed, as for every variable): Number() would also
  // take 0x0F9F, 3e3, 0b1, 1_000 or 12.0, which no one means as a port or a count.
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      problems.push(`${name}="${raw}" must be a whole number from ${min} to ${max}, in decimal digits`);
      return fallback;
    }
    return n;
  };

  for (const name of Object.keys(env)) {
    if (name.startsWith('ROOMLINK_') && !(KNOWN_VARIABLES as readonly string[]).includes(name)) {
      problems.push(`${name} is not a Roomlink setting (see docs/configuration.md)`);
    }
  }

  // Not 0 (any free port): the default base URL, and so join links and redirect URIs, would name it.
  const port = integer('PORT', 3000, 1, 65535);
  const demo = value('MS_CLIENT_ID') === undefined;
  const demoPublic = value('ROOMLINK_DEMO_PUBLIC');
  if (demoPublic !== undefined && demoPublic !== 'true' && demoPublic !== 'false')
    problems.push(`ROOMLINK_DEMO_PUBLIC="${demoPublic}" must be true or false`);
  // A local demo listens on loopback only: with a loopback base URL but every interface open, anyone on
  // the network could still use its password-less sign-in.
  const demoLocal = demo && demoPublic !== 'true';
  const host = value('HOST') ?? (demoLocal ? '127.0.0.1' : '0.0.0.0');
  if (demoLocal && !isLoopbackHost(host)) {
    problems.push(
      `HOST=${host} is not a loopback address and MS_CLIENT_ID is unset (demo mode, password-less sign-in): leave HOST unset, or set ROOMLINK_DEMO_PUBLIC=true to run the demo there anyway`,
    );
  }

  let baseUrl = new URL(`http://localhost:${port}`);
  let baseUrlValid = true;
  const rawBase = value('ROOMLINK_BASE_URL');
  if (rawBase !== undefined) {
    try {
      baseUrl = parseBaseUrl(rawBase);
    } catch {
      baseUrlValid = false;
      problems.push(`ROOMLINK_BASE_URL="${rawBase}" ${BASE_URL_RULE}`);
    }
  }

  const trustedProxies = parseTrustedProxies(value('ROOMLINK_TRUSTED_PROXIES'), problems);

  const dataDir = path.resolve(cwd, value('ROOMLINK_DATA_DIR') ?? './data');
  const databaseUrl = value('DATABASE_URL') ?? `sqlite:${path.join(dataDir, 'roomlink.sqlite')}`;
  if (!/^sqlite:.+/.test(databaseUrl) && !/^postgres(ql)?:\/\/.+/.test(databaseUrl)) {
    problems.push('DATABASE_URL must start with sqlite: (a file path) or postgres:// (a connection URL)');
  }
  const connectTimeout = connectTimeoutProblem(databaseUrl);
  if (connectTimeout) problems.push(connectTimeout);

  const rawSync = (value('ROOMLINK_SQLITE_SYNCHRONOUS') ?? 'FULL').toUpperCase();
  if (rawSync !== 'FULL' && rawSync !== 'NORMAL')
    problems.push('ROOMLINK_SQLITE_SYNCHRONOUS must be FULL or NORMAL');
  const sqliteSynchronous = rawSync === 'NORMAL' ? 'NORMAL' : 'FULL';

  const rawLevel = value('LOG_LEVEL') ?? 'info';
  const logLevel = (LOG_LEVELS as readonly string[]).includes(rawLevel)
    ? (rawLevel as Config['logLevel'])
    : 'info';
  if (logLevel !== rawLevel) problems.push(`LOG_LEVEL="${rawLevel}" must be one of ${LOG_LEVELS.join(', ')}`);

  const rawProvider = value('ROOMLINK_KEY_PROVIDER') ?? (value('ROOMLINK_MASTER_KEYS') ? 'env' : 'file');
  let provider: KeyProviderKind = 'file';
  if (rawProvider === 'file' || rawProvider === 'env') provider = rawProvider;
  else problems.push(`ROOMLINK_KEY_PROVIDER="${rawProvider}" must be "file" or "env"`);
  const keyringFile = path.resolve(
    cwd,
    value('ROOMLINK_KEYRING_FILE') ?? path.join(dataDir, 'master-keys.json'),
  );
  const envKeys = parseMasterKeys(value('ROOMLINK_MASTER_KEYS'), problems);
  if (provider === 'env' && value('ROOMLINK_MASTER_KEYS') === undefined) {
    problems.push('ROOMLINK_MASTER_KEYS is required when ROOMLINK_KEY_PROVIDER=env');
  }

  const sipSetting = value('ROOMLINK_SIP_DOMAIN') ?? baseUrl.hostname;
  const sipDomain = sipSetting.toLowerCase() === 'none' ? null : sipSetting;
  if (sipDomain !== null && !/^[a-z0-9.-]+$/i.test(sipDomain))
    problems.push(`ROOMLINK_SIP_DOMAIN="${sipDomain}" must be a host name, or none for no SIP address`);
  const dialInNumber = value('ROOMLINK_DIAL_IN_NUMBER') ?? null;
  if (dialInNumber !== null && !/^\+?[0-9 ()-]{4,30}$/.test(dialInNumber)) {
    problems.push(
      `ROOMLINK_DIAL_IN_NUMBER="${dialInNumber}" must be a phone number such as +33 1 23 45 67 89`,
    );
  }

  const helpUrl = value('ROOMLINK_HELP_URL') ?? null;
  if (helpUrl !== null && !/^(?:https?:\/\/|mailto:)\S+$/i.test(helpUrl)) {
    problems.push(
      `ROOMLINK_HELP_URL="${helpUrl}" must be an http(s) or mailto: URL such as https://intranet.example.com/meetings-help`,
    );
  }

  const iceList = (name: string, schemes: RegExp): string[] => {
    const items = (value(name) ?? '')
      .split(',')
      .map((u) => u.trim())
      .filter(Boolean);
    const bad = items.filter((u) => !schemes.test(u));
    if (bad.length)
      problems.push(`${name} has entries that are not ${schemes.source} URLs: ${bad.join(', ')}`);
    return items;
  };
  const stunUrls = iceList('ROOMLINK_STUN_URLS', /^stuns?:/);
  const turnUrls = iceList('ROOMLINK_TURN_URLS', /^turns?:/);
  const turnSecret = value('ROOMLINK_TURN_SECRET');
  if (turnUrls.length > 0 && !turnSecret)
    problems.push('ROOMLINK_TURN_URLS needs ROOMLINK_TURN_SECRET (coturn static-auth-secret)');
  const turnTtl = integer('ROOMLINK_TURN_TTL_SECONDS', 3600, 60, 86_400);

  const engine = parseRoomEngine(value, problems);

  const microsoft = parseMicrosoft(value, problems, cwd);
  const graphBaseUrl = absoluteUrl(
    'GRAPH_BASE_URL',
    value('GRAPH_BASE_URL') ?? 'https://graph.microsoft.com',
    problems,
  );
  const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  const list = (name: string): string[] | null => {
    const raw = value(name);
    if (raw === undefined) return null;
    const items = raw
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean);
    const bad = items.filter((i) => !GUID.test(i));
    if (bad.length) problems.push(`${name} must be a comma-separated list of GUIDs (bad: ${bad.join(', ')})`);
    return items;
  };
  const allowedTenants = list('ROOMLINK_ALLOWED_TENANTS');
  const adminRoleIds = list('ROOMLINK_ADMIN_ROLE_IDS') ?? [GLOBAL_ADMIN_ROLE_ID];

  // Demo mode lets test users, a tenant admin among them, sign in without a password: reachable from
  // elsewhere, that is anyone's admin console. A forgotten MS_CLIENT_ID must not open it by accident.
  if (demoLocal && baseUrlValid && !isLoopback(baseUrl)) {
    problems.push(
      `ROOMLINK_BASE_URL=${baseUrl.origin} is not a loopback address and MS_CLIENT_ID is unset: that is demo mode, where test users (a tenant admin among them) sign in without a password. Set MS_CLIENT_ID and its credential (docs/deploy-microsoft-365.md), or ROOMLINK_DEMO_PUBLIC=true to run the demo there anyway`,
    );
  }

  const config: Config = {
    demo,
    demoLocal,
    port,
    host,
    baseUrl,
    trustedProxies,
    dataDir,
    databaseUrl,
    sqliteSynchronous,
    logLevel,
    keys: { provider, keyringFile, envKeys },
    rooms: {
      sipDomain,
      dialInNumber,
      helpUrl,
      openBeforeMinutes: integer('ROOMLINK_ROOM_OPEN_BEFORE_MINUTES', 60, 0, 24 * 60),
      closeAfterMinutes: integer('ROOMLINK_ROOM_CLOSE_AFTER_MINUTES', 60, 0, 24 * 60),
      // Each participant of a mesh uploads a copy to every other: past a dozen, no uplink keeps up.
      maxParticipants: integer('ROOMLINK_ROOM_MAX_PARTICIPANTS', 6, 2, 12),
      stunUrls,
      turn:
        turnUrls.length > 0 && turnSecret
          ? { urls: turnUrls, secret: turnSecret, ttlSeconds: turnTtl }
          : null,
      engine,
    },
    shutdownTimeoutMs: integer('ROOMLINK_SHUTDOWN_TIMEOUT_MS', 10_000, 100, 600_000),
    microsoft,
    graphBaseUrl,
    allowedTenants,
    adminRoleIds,
    sessionTtlHours: integer('ROOMLINK_SESSION_TTL_HOURS', 24 * 30, 1, 24 * 90),
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(config);
}

/**
 * Whether request.ip is the visitor's own address: Roomlink serves plain HTTP, so an https base URL
 * means a TLS proxy in front, and without ROOMLINK_TRUSTED_PROXIES every visitor looks like it.
 */
export function clientAddressesKnown(config: Pick<Config, 'baseUrl' | 'trustedProxies'>): boolean {
  return config.trustedProxies.length > 0 || config.baseUrl.protocol === 'http:';
}

/**
 * What is valid but will not work as an operator likely expects: logged at start (and printed by
 * `roomlink doctor`), never refused. Each is one sentence naming the variables; no values but URLs.
 */
export function configWarnings(config: Pick<Config, 'baseUrl' | 'microsoft' | 'trustedProxies'>): string[] {
  const warnings: string[] = [];
  // Microsoft Graph refuses a subscription whose notification URL is not https. An http base URL
  // with a real app registration is still legitimate (trying sign-in on http://localhost), so warn.
  if (config.microsoft && config.baseUrl.protocol === 'http:') {
    warnings.push(
      `ROOMLINK_BASE_URL is http (${config.baseUrl.origin}) and MS_CLIENT_ID is set: Microsoft Graph ` +
        'delivers change notifications only to https URLs, so calendar sync cannot subscribe to ' +
        'calendars, and meetings follow changes made in Outlook only at the hourly reconciliation. ' +
        'Fine for trying sign-in locally; in production use an https base URL (a TLS proxy in front).',
    );
  }
  // Roomlink serves plain HTTP only: an https base URL means a TLS proxy in front of it.
  if (!clientAddressesKnown(config)) {
    warnings.push(
      'ROOMLINK_BASE_URL is https but ROOMLINK_TRUSTED_PROXIES is unset: behind the TLS proxy, per-client ' +
        "limits (the rooms' PIN lockouts and removals) see every visitor as the proxy, so one visitor's wrong " +
        "PINs lock everyone out of a room, a host's removal of one guest keeps every guest out for 10 minutes, " +
        "and the sign-in rate limits are off. Set it to the proxy's address (see docs/operations.md).",
    );
  }
  return warnings;
}

/** localhost, *.localhost, 127.0.0.0/8 and ::1: a base URL only this machine reaches. */
export function isLoopback(url: URL): boolean {
  return isLoopbackHost(url.hostname);
}

export function isLoopbackHost(name: string): boolean {
  const host = name.toLowerCase();
  return (
    host === 'localhost' ||
    host.endsWith('.localhost') ||
    host === '[::1]' ||
    host === '::1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
  );
}

function absoluteUrl(name: string, raw: string, problems: string[]): URL {
  try {
    const url = new URL(raw);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('scheme');
    return new URL(url.toString().replace(/\/+$/, ''));
  } catch {
    problems.push(`${name}="${raw}" must be an absolute http(s) URL`);
    return new URL('http://invalid.invalid');
  }
}

/**
 * The authority without a trailing `/v2.0`: Entra's app registration shows its endpoints with it
 * (…/<tenant>/v2.0), and an admin who copies one means that tenant. Roomlink adds `/v2.0` itself when it
 * discovers the endpoints, so kept it would name a tenant called "v2.0".
 */
function withoutVersionSegment(authority: URL): URL {
  if (!/\/v2\.0$/i.test(authority.pathname)) return authority;
  const url = new URL(authority);
  url.pathname = authority.pathname.replace(/\/v2\.0$/i, '');
  return url;
}

function parseRoomEngine(value: (name: string) => string | undefined, problems: string[]): RoomEngineConfig {
  const kind = value('ROOMLINK_ROOM_ENGINE') ?? 'builtin';
  const bbbSettings = ['ROOMLINK_BBB_URL', 'ROOMLINK_BBB_SECRET', 'ROOMLINK_BBB_CHECKSUM'];
  if (kind === 'builtin') {
    const stray = bbbSettings.filter((name) => value(name) !== undefined);
    if (stray.length) problems.push(`${stray.join(', ')} apply only with ROOMLINK_ROOM_ENGINE=bigbluebutton`);
    return { kind: 'builtin' };
  }
  if (kind !== 'bigbluebutton') {
    problems.push(`ROOMLINK_ROOM_ENGINE="${kind}" must be builtin or bigbluebutton`);
    return { kind: 'builtin' };
  }
  const rawUrl = value('ROOMLINK_BBB_URL');
  let url: URL | undefined;
  if (rawUrl === undefined)
    problems.push('ROOMLINK_BBB_URL is required when ROOMLINK_ROOM_ENGINE=bigbluebutton');
  else {
    try {
      url = new URL(rawUrl);
      if (!['http:', 'https:'].includes(url.protocol) || url.search || url.hash || url.username)
        throw new Error('shape');
      if (!url.pathname.endsWith('/')) url.pathname += '/';
    } catch {
      url = undefined;
      problems.push(
        `ROOMLINK_BBB_URL="${rawUrl}" must be the http(s) server URL that bbb-conf --secret prints, such as https://bbb.example.com/bigbluebutton/`,
      );
    }
  }
  const secret = value('ROOMLINK_BBB_SECRET');
  // Never echoed: it signs every call to the engine.
  if (secret === undefined)
    problems.push('ROOMLINK_BBB_SECRET is required when ROOMLINK_ROOM_ENGINE=bigbluebutton');
  else if (secret.length < 12)
    problems.push('ROOMLINK_BBB_SECRET is too short to be the secret bbb-conf --secret prints');
  const rawChecksum = (value('ROOMLINK_BBB_CHECKSUM') ?? 'sha256').toLowerCase();
  const checksum = (BBB_CHECKSUMS as readonly string[]).includes(rawChecksum)
    ? (rawChecksum as BigBlueButtonChecksum)
    : 'sha256';
  if (checksum !== rawChecksum)
    problems.push(`ROOMLINK_BBB_CHECKSUM="${rawChecksum}" must be one of ${BBB_CHECKSUMS.join(', ')}`);
  if (!url || secret === undefined) return { kind: 'builtin' };
  return { kind: 'bigbluebutton', url, secret, checksum };
}

function parseMicrosoft(
  value: (name: string) => string | undefined,
  problems: string[],
  cwd: string,
): MicrosoftConfig | null {
  const clientId = value('MS_CLIENT_ID');
  const secret = value('MS_CLIENT_SECRET');
  const cert = value('MS_CLIENT_CERT');
  const key = value('MS_CLIENT_KEY');
  if (clientId === undefined) {
    if (secret || cert || key)
      problems.push('MS_CLIENT_SECRET/MS_CLIENT_CERT/MS_CLIENT_KEY need MS_CLIENT_ID');
    return null;
  }
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(clientId)) {
    problems.push('MS_CLIENT_ID must be the application (client) id GUID of the app registration');
  }
  let credential: ClientCredential = { kind: 'secret', secret: '' };
  if (cert || key) {
    if (!cert || !key) problems.push('MS_CLIENT_CERT and MS_CLIENT_KEY go together (PEM file paths)');
    if (secret) problems.push('set either MS_CLIENT_SECRET or MS_CLIENT_CERT/MS_CLIENT_KEY, not both');
    credential = {
      kind: 'certificate',
      certificateFile: path.resolve(cwd, cert ?? ''),
      privateKeyFile: path.resolve(cwd, key ?? ''),
    };
  } else if (secret) credential = { kind: 'secret', secret };
  else
    problems.push(
      'MS_CLIENT_ID needs a credential: MS_CLIENT_CERT + MS_CLIENT_KEY (recommended) or MS_CLIENT_SECRET',
    );
  const authority = withoutVersionSegment(
    absoluteUrl(
      'MS_AUTHORITY',
      value('MS_AUTHORITY') ?? 'https://login.microsoftonline.com/organizations',
      problems,
    ),
  );
  return { clientId, credential, authority };
}

/** The names @fastify/proxy-addr expands to ranges (loopback: 127.0.0.1/8 and ::1). */
const PROXY_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'] as const;

/**
 * ROOMLINK_TRUSTED_PROXIES: a comma-separated list of addresses, CIDR ranges and range names, a
 * subset of what Fastify's `trustProxy` compiles. Refused: `true`, ranges of every address and hop
 * counts — each lets a client that reaches Roomlink directly (or through a proxy that passes the
 * header on) write its own X-Forwarded-For, and so pick the address its PIN lockout counts against.
 */
function parseTrustedProxies(raw: string | undefined, problems: string[]): string[] {
  if (raw === undefined) return [];
  const name = 'ROOMLINK_TRUSTED_PROXIES';
  const instead = "list your reverse proxy's addresses instead, e.g. 127.0.0.1 when it runs on the same host";
  const items = raw
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const bad: string[] = [];
  for (const item of items) {
    if (item === 'true') {
      problems.push(
        `${name}=true would believe X-Forwarded-For from every client, so anyone could choose the address their PIN lockout counts against; ${instead}`,
      );
    } else if (/^\d+$/.test(item)) {
      problems.push(
        `${name}="${item}" is a hop count, which cannot tell your proxy from a client that writes its own X-Forwarded-For (Fastify refuses to trust one); ${instead}`,
      );
    } else {
      const verdict = proxyEntry(item);
      if (verdict === 'everyone')
        problems.push(`${name} entry ${item} trusts every address, which is the same as true; ${instead}`);
      else if (verdict === 'bad') bad.push(item);
    }
  }
  if (bad.length > 0) {
    problems.push(
      `${name} must be a comma-separated list of IP addresses, CIDR ranges (10.0.0.0/8) or ${PROXY_RANGE_NAMES.join(', ')}; leave it unset to trust no proxy (bad: ${bad.join(', ')})`,
    );
  }
  return items;
}

function proxyEntry(entry: string): 'ok' | 'bad' | 'everyone' {
  if ((PROXY_RANGE_NAMES as readonly string[]).includes(entry)) return 'ok';
  const slash = entry.indexOf('/');
  const address = slash === -1 ? entry : entry.slice(0, slash);
  const version = isIP(address);
  // Plain addresses only: no zone ids (fe80::1%eth0), no shorthand such as 127.1 (net.isIP's rules).
  if (version === 0 || address.includes('%')) return 'bad';
  if (slash === -1) return 'ok';
  const prefix = entry.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefix)) return 'bad';
  const bits = Number(prefix);
  if (bits > (version === 4 ? 32 : 128)) return 'bad';
  return bits === 0 ? 'everyone' : 'ok';
}

/**
 * Each entry is refused with one message naming its position (and its id once that is known to be
 * one), never its value: a typo must not end up with key material in a log.
 */
function parseMasterKeys(raw: string | undefined, problems: string[]): { id: string; key: Buffer }[] {
  if (raw === undefined) return [];
  const keys: { id: string; key: Buffer }[] = [];
  const positions = new Map<string, number>();
  for (const [i, entry] of raw.split(',').entries()) {
    const at = `ROOMLINK_MASTER_KEYS entry ${i + 1}`;
    const [id = '', b64 = '', ...rest] = entry.trim().split(':');
    const key = Buffer.from(b64, 'base64');
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(id) || key.length !== 32) {
      problems.push(`${at} must be <id>:<32 bytes in base64>`);
      continue;
    }
    const named = `${at} ("${id}")`;
    const first = positions.get(id);
    if (rest.length > 0) {
      // Whatever follows is not part of the key, yet may have been meant to be.
      problems.push(`${named} has more than one ":": it must be <id>:<32 bytes in base64>`);
    } else if (!canonicalBase64(b64, key)) {
      // Base64 decoding skips characters it does not know: a damaged key would still decode.
      problems.push(
        `${named}: the key is not 32 bytes as base64 writes them (44 characters of A-Z, a-z, 0-9, + and /, ending in =)`,
      );
    } else if (key.equals(ZERO_KEY)) {
      problems.push(`${named} is all zeros: generate a random key (see docs/configuration.md)`);
    } else if (first !== undefined) {
      // Stored data keys name their master key by id: one id must open them all with one key.
      problems.push(`${named} repeats the id of entry ${first}: each id names one key`);
    } else {
      positions.set(id, i + 1);
      keys.push({ id, key });
    }
  }
  return keys;
}

const ZERO_KEY = Buffer.alloc(32);

/** Whether `text` is exactly what base64 (or base64url) gives for `key`, padded or not. */
function canonicalBase64(text: string, key: Buffer): boolean {
  const bare = text.endsWith('=') ? text.slice(0, -1) : text;
  return bare === key.toString('base64url') || bare === key.toString('base64').slice(0, -1);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !(value instanceof URL) && !Buffer.isBuffer(value)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
