/**
 * Client for Roomlink's add-in API. URLs are built by string concatenation (the JavaScript-only runtime
 * of classic Outlook has no guaranteed `URL`), always absolute.
 */

export interface FetchResponseLike {
  readonly ok: boolean;
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  json(): Promise<unknown>;
  text(): Promise<string>;
}

export type FetchLike = (
  url: string,
  init?: { method?: string; headers?: Record<string, string>; body?: string },
) => Promise<FetchResponseLike>;

export type Language = 'en' | 'fr';

export interface MeetingOptions {
  readonly guestPin?: boolean;
  readonly lobby?: boolean;
  readonly language?: Language;
}

export interface CreateMeetingInput {
  readonly subject: string;
  readonly start: string;
  readonly end: string;
  readonly timeZone?: string | null;
  readonly recurrence?: unknown;
  readonly idempotencyKey: string;
  readonly options?: MeetingOptions;
}

export interface Meeting {
  readonly id: string;
  readonly status: 'scheduled' | 'cancelled';
  readonly joinUrl: string;
  readonly options: MeetingOptions;
  readonly instructions: { readonly language: Language; readonly html: string; readonly text: string };
  readonly [key: string]: unknown;
}

/** A one-time link that lets the organizer join their meeting as host without the PIN. */
export interface HostLink {
  /** `<base>/m/<slug>#host=<ticket>`: the ticket rides in the fragment so no server log sees it. */
  readonly url: string;
  /** ISO 8601; the ticket is refused after it, and after its first use. */
  readonly expiresAt: string;
}

export interface SessionUser {
  readonly name: string;
  readonly upn: string;
  readonly tenantId: string;
  readonly isTenantAdmin: boolean;
}

export interface Session {
  readonly token: string;
  readonly expiresAt: string;
  readonly user: SessionUser;
}

export interface UserSettings {
  readonly addToEveryMeeting: boolean;
  readonly language: Language | null;
}

export interface Me {
  readonly user: SessionUser;
  readonly settings: UserSettings;
  readonly claims?: string | null;
  readonly status?: string;
}

/**
 * A Conditional Access claims challenge is not among them: no API request meets one (Graph is called
 * by calendar sync in the background). A user Microsoft no longer signs in gets `unauthorized` with
 * code `sign_in_required` from every request but GET /api/v1/me, which reports why (`status`,
 * `claims`).
 */
export type ApiErrorKind = 'offline' | 'unauthorized' | 'http';

/** One error type for the API: `kind` says what the user must do, `detail` is the server's words. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly kind: ApiErrorKind,
    readonly status: number,
    readonly detail: string,
    readonly code?: string,
  ) {
    super(detail);
  }
}

export interface ApiDeps {
  /** Ends with `/`. */
  readonly baseUrl: string;
  readonly fetch: FetchLike;
  readonly getToken: () => Promise<string | null>;
}

/**
 * Sent with every request about an existing meeting: the idempotency key saved in the Outlook item's
 * custom properties. It proves the caller can open the appointment, so that after a sign-out and a new
 * sign-in (a new user record on the server) the meeting is taken back (docs/auth.md, "Sign-out").
 */
export const ITEM_KEY_HEADER = 'Roomlink-Item-Key';

export class RoomlinkApi {
  constructor(private readonly deps: ApiDeps) {}

  get baseUrl(): string {
    return this.deps.baseUrl;
  }

  createMeeting(input: CreateMeetingInput, lang?: Language): Promise<Meeting> {
    return this.request('POST', `api/v1/meetings${langQuery(lang)}`, input) as Promise<Meeting>;
  }

  /** `itemKey`: the item's idempotency key, when the item has one (see ITEM_KEY_HEADER). */
  getMeeting(id: string, lang?: Language, itemKey?: string | null): Promise<Meeting> {
    return this.request(
      'GET',
      `api/v1/meetings/${encodeURIComponent(id)}${langQuery(lang)}`,
      undefined,
      true,
      itemKeyHeader(itemKey),
    ) as Promise<Meeting>;
  }

  updateMeeting(
    id: string,
    patch: Record<string, unknown>,
    lang?: Language,
    itemKey?: string | null,
  ): Promise<Meeting> {
    return this.request(
      'PATCH',
      `api/v1/meetings/${encodeURIComponent(id)}${langQuery(lang)}`,
      patch,
      true,
      itemKeyHeader(itemKey),
    ) as Promise<Meeting>;
  }

  async deleteMeeting(id: string, itemKey?: string | null): Promise<void> {
    await this.request(
      'DELETE',
      `api/v1/meetings/${encodeURIComponent(id)}`,
      undefined,
      true,
      itemKeyHeader(itemKey),
    );
  }

  /**
   * A fresh host link for one of the user's meetings: POST, no body. 409 (`type` ending
   * `/meeting-cancelled`) when the meeting is cancelled, 404 when it is not the user's. `itemKey`: as for
   * getMeeting (ITEM_KEY_HEADER).
   */
  createHostLink(id: string, itemKey?: string | null): Promise<HostLink> {
    return this.request(
      'POST',
      `api/v1/meetings/${encodeURIComponent(id)}/host-link`,
      undefined,
      true,
      itemKeyHeader(itemKey),
    ) as Promise<HostLink>;
  }

  me(): Promise<Me> {
    return this.request('GET', 'api/v1/me') as Promise<Me>;
  }

  putSettings(settings: UserSettings): Promise<UserSettings> {
    return this.request('PUT', 'api/v1/me/settings', settings) as Promise<UserSettings>;
  }

  createSession(code: string, verifier: string): Promise<Session> {
    return this.request('POST', 'api/v1/session', { code, verifier }, false) as Promise<Session>;
  }

  async signOut(): Promise<void> {
    await this.request('POST', 'api/v1/session/sign-out');
  }

  private async request(
    method: string,
    path: string,
    body?: unknown,
    authenticated = true,
    extraHeaders: Record<string, string> = {},
  ): Promise<unknown> {
    const headers: Record<string, string> = { ...extraHeaders, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (authenticated) {
      const token = await this.deps.getToken();
      if (!token) throw new ApiError('unauthorized', 401, 'not signed in', 'unauthorized');
      headers.authorization = `Bearer ${token}`;
    }
    let response: FetchResponseLike;
    try {
      response = await this.deps.fetch(this.deps.baseUrl + path, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (error) {
      throw new ApiError('offline', 0, (error as Error).message || 'network error');
    }
    if (response.status === 204) return undefined;
    if (response.ok) return response.json();
    throw await toApiError(response);
  }
}

function itemKeyHeader(itemKey: string | null | undefined): Record<string, string> {
  return itemKey ? { [ITEM_KEY_HEADER]: itemKey } : {};
}

function langQuery(lang: Language | undefined): string {
  return lang ? `?lang=${lang}` : '';
}

async function toApiError(response: FetchResponseLike): Promise<ApiError> {
  let problem: { detail?: unknown; title?: unknown; code?: unknown } = {};
  try {
    problem = (await response.json()) as typeof problem;
  } catch {
    // Not problem+json (a proxy's error page): the status alone must do.
  }
  const code = typeof problem.code === 'string' ? problem.code : undefined;
  const detail =
    typeof problem.detail === 'string' && problem.detail
      ? problem.detail
      : typeof problem.title === 'string' && problem.title
        ? problem.title
        : `HTTP ${response.status}`;
  if (response.status === 401) return new ApiError('unauthorized', 401, detail, code);
  return new ApiError('http', response.status, detail, code);
}
