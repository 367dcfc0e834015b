/**
 * The admin console's JSON API, /api/v1/admin/…: for tenant admins, always scoped to the admin's
 * own tenant (another tenant's user is answered as unknown). Errors are problem+json; settings and
 * template problems carry `errors` with a JSON pointer per field. Settings carry a version (ETag)
 * that a change must present (If-Match), so that two admins cannot silently undo each other.
 */
import type { ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FieldCipher } from '../crypto/envelope.js';
import type { AuditRepository } from '../domain/audit/audit.js';
import type { Principal } from '../domain/principal.js';
import type { TenantRepository } from '../domain/tenants/tenant.js';
import { bearerToken, unauthenticated } from '../http/auth.js';
import { clearingCookie, type RoomlinkCookie } from '../http/cookies.js';
import { HttpError, problem } from '../http/errors.js';
import { ProblemResponse } from '../http/routes/meeting-schemas.js';
import { DEFAULT_TEMPLATES, type JoinDetails } from '../instructions/index.js';
import {
  ACCOUNT_RETENTION_MONTHS,
  accountPurgeDay,
  MAX_TENANT_RETENTION_DAYS,
  METADATA_RETENTION_MONTHS,
  MIN_TENANT_RETENTION_DAYS,
  type OffboardingService,
  RetentionError,
  type SubjectRequestService,
} from '../retention/index.js';
import { auditCursor } from '../store/repositories/audit.js';
import type { KyselySubjectRepository, UserCursor } from '../store/repositories/retention-subjects.js';
import type { KyselySyncRetentionRepository, SyncStatusRow } from '../store/repositories/retention-sync.js';
import type { KyselyTenantSettingsRepository } from '../store/repositories/tenants.js';
import type { UserTable } from '../store/schema.js';
import { ExportGate } from './export-gate.js';
import { previewTemplates } from './preview.js';
import {
  AuditQuery,
  AuditResponse,
  ErasureResponse,
  OverviewResponse,
  PreviewBody,
  PreviewResponse,
  SettingsBody,
  SettingsHeaders,
  SettingsResponse,
  UserParams,
  UsersQuery,
  UsersResponse,
} from './schemas.js';
import { changedSettings, checkSettings, type FieldError } from './settings.js';

export interface AdminApiDeps {
  readonly tenants: TenantRepository;
  readonly audit: AuditRepository;
  readonly cipher: FieldCipher;
  readonly subjects: SubjectRequestService;
  readonly offboarding: OffboardingService;
  readonly users: KyselySubjectRepository;
  /** Calendar sync's per-user state, for the users list. */
  readonly sync: Pick<KyselySyncRetentionRepository, 'syncStatuses'>;
  /** The tenant's settings with their version, read and replaced with compare-and-set. */
  readonly settings: Pick<KyselyTenantSettingsRepository, 'read' | 'replace'>;
  /** Called after the settings changed, e.g. to drop this process's cached copy of the tenant. */
  readonly settingsChanged?: (tenantId: string) => void;
  /** Ends one browser session (the console's sign-out). */
  readonly sessions: { deleteSession(tokenHash: string): Promise<void> };
  /** The console's session cookie (http/cookies.ts), cleared at the console's sign-out. */
  readonly sessionCookie: RoomlinkCookie;
  /** One tenant export at a time (per process: one gate per app). */
  readonly exportGate?: ExportGate;
  /** How long an export's download may take no data before it is ended (EXPORT_STALL_TIMEOUT_MS). */
  readonly exportStallTimeoutMs?: number;
  readonly sample: JoinDetails;
  /** ROOMLINK_HELP_URL, shown in the preview as meetings will show it. */
  readonly helpUrl?: string | null;
  readonly now?: () => Date;
}

/** The users list's page size when the console asks for none. */
export const USERS_PAGE = 100;

/** A second export is refused with this Retry-After (seconds): a guess, an export's length is unknown. */
const EXPORT_RETRY_AFTER_S = 30;

/**
 * An export whose connection has taken no data for this long is ended, giving the export gate back:
 * otherwise a client that stops reading but keeps its connection open would hold it for good. A
 * minute, as nginx's send_timeout: Node counts any bytes the connection takes (even part of a write)
 * as progress, so only a download that has stopped entirely is cut, not a slow or briefly interrupted
 * one (a laptop changing networks), and the next export waits a minute at most for a stalled one.
 */
export const EXPORT_STALL_TIMEOUT_MS = 60_000;

/** Templates of two languages at the maximum length do not fit the app-wide 64 KiB. */
const SETTINGS_BODY_LIMIT = 256 * 1024;

const errors = { 400: ProblemResponse, 401: ProblemResponse, 403: ProblemResponse, 404: ProblemResponse };

/**
 * Ends `response` (closing its connection) when the connection has taken none of the data written
 * to it for `ms`, calling `onStall` first; the connection gets its previous timeout back once the
 * response has been written in full. Node's socket timeout measures that: it is reset whenever a
 * write is handed to the connection or the kernel takes any bytes of one, and a client that stops
 * reading leaves a write pending, untouched. Idle with nothing pending is the server's own pause (a
 * slow page of the export), not a stall, and is left alone.
 */
function endWhenStalled(response: ServerResponse, ms: number, onStall: () => void): void {
  const arm = (socket: Socket) => {
    // An injected request (tests) has no connection that could stall.
    if (!(socket instanceof Socket)) return;
    const previous = socket.timeout ?? 0;
    // Listened to on the response: Node then leaves it to us rather than destroying the connection.
    response.on('timeout', () => {
      if (socket.writableLength === 0) return;
      onStall();
      response.destroy();
    });
    socket.setTimeout(ms);
    // 'prefinish', not 'finish': on 'finish' Node gives a kept-alive connection its idle timeout,
    // which this must not undo.
    response.once('prefinish', () => socket.setTimeout(previous));
  };
  // A response to a pipelined request gets the connection once the ones before it are written.
  if (response.socket) arm(response.socket);
  else response.once('socket', arm);
}

/** The signed-in tenant admin, or 401 / 403. */
export function requireTenantAdmin(request: FastifyRequest): Principal {
  const principal = request.principal;
  if (!principal) throw unauthenticated(request, 'sign in at /auth/signin to use the admin console');
  // An add-in token is not the console's credential, whoever holds it (admin rights come with the
  // console's session only): unauthenticated here, not "not an admin", which would mislead an admin.
  if (!principal.isTenantAdmin && bearerToken(request) !== undefined)
    throw unauthenticated(
      request,
      'the admin API takes the admin console’s session (sign in at /auth/signin), not an add-in token',
    );
  if (!principal.isTenantAdmin)
    throw new HttpError('forbidden', 'only tenant admins may use the admin console');
  return principal;
}

/** Sec-Fetch-Site values of a request the console itself sent, or the admin typed or bookmarked. */
const OWN_FETCH_SITES = new Set(['same-origin', 'none']);

/**
 * The console's session cookie is SameSite=Strict, which still sends it with a request another host
 * of the same site makes (a page on intranet.example.com embedding
 * `<img src="https://roomlink.example.com/api/v1/admin/export">`): Origin is checked for unsafe
 * methods only (identity/authenticator.ts), and such a GET would run an export, audit-log it and
 * hold the tenant's export gate, refusing the admin's own. The console fetches all of its API from
 * its own origin, so a cookie-authenticated request whose browser says it came from elsewhere
 * (`Sec-Fetch-Site` other than `same-origin` or `none`) is refused, whatever its method. A browser
 * that sends no Sec-Fetch-Site is let through (for its writes, Origin still decides).
 */
export function refuseOtherSites(request: FastifyRequest): void {
  // An add-in token is refused by requireTenantAdmin already; this is about the cookie alone.
  if (!request.principal || bearerToken(request) !== undefined) return;
  const site = request.headers['sec-fetch-site'];
  if (site === undefined) return;
  const value = (Array.isArray(site) ? site.join(',') : site).trim().toLowerCase();
  if (OWN_FETCH_SITES.has(value)) return;
  // Named when it is one of the values browsers send; anything else is not repeated back.
  const named = value === 'same-site' || value === 'cross-site' ? `: Sec-Fetch-Site is ${value}` : '';
  throw new HttpError(
    'forbidden',
    "a request carrying Roomlink's session cookie must come from Roomlink's own pages (its browser " +
      `says another site or host sent it${named}); nothing was done: use the admin console itself`,
  );
}

export async function adminApiRoutes(app: FastifyInstance, deps: AdminApiDeps): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const now = deps.now ?? (() => new Date());
  const tags = ['admin'];
  const exportGate = deps.exportGate ?? new ExportGate();
  const exportStallTimeoutMs = deps.exportStallTimeoutMs ?? EXPORT_STALL_TIMEOUT_MS;

  // Mounted in its own scope (see plugin.ts): these hooks apply to the admin API only.
  // Authorization before validation, so that a non-admin learns nothing about the schemas. A request
  // its browser says another site sent is refused here too, before any handler reads, writes or takes
  // the export gate (see refuseOtherSites).
  app.addHook('onRequest', async (request) => {
    requireTenantAdmin(request);
    refuseOtherSites(request);
  });
  // Personal data: never cached by a browser or a proxy.
  app.addHook('onSend', async (_request, reply) => {
    void reply.header('cache-control', 'no-store');
  });

  api.get(
    '/api/v1/admin/overview',
    {
      schema: {
        summary: 'Counts and dates of the admin’s tenant',
        tags,
        response: { 200: OverviewResponse, ...errors },
      },
    },
    async (request) => {
      const admin = requireTenantAdmin(request);
      const [users, meetings, offboarding] = await Promise.all([
        deps.users.userStatusCounts(admin.tenantId),
        deps.users.meetingCounts(admin.tenantId),
        // A tenant without a row has no contract end. Any other failure is the overview's: a
        // database error must not read as "no contract end recorded".
        deps.offboarding.status(admin.tenantId).catch((error: unknown) => {
          if (error instanceof RetentionError && error.code === 'tenant_not_found')
            return { contractEnd: null };
          throw error;
        }),
      ]);
      return {
        tenantId: admin.tenantId,
        contractEnd: offboarding.contractEnd,
        accountPurgeOn: offboarding.contractEnd ? accountPurgeDay(offboarding.contractEnd) : null,
        users: {
          total: users.active + users.needs_sign_in + users.signed_out,
          signedIn: users.active,
          needsSignIn: users.needs_sign_in,
          signedOut: users.signed_out,
        },
        meetings,
        retention: {
          defaultMonths: METADATA_RETENTION_MONTHS,
          minDays: MIN_TENANT_RETENTION_DAYS,
          maxDays: MAX_TENANT_RETENTION_DAYS,
          accountMonthsAfterContractEnd: ACCOUNT_RETENTION_MONTHS,
        },
      };
    },
  );

  /** The tenant's settings as stored, with their version; the tenant is created if it has no row. */
  const currentSettings = async (tenantId: string) => {
    const stored = await deps.settings.read(tenantId);
    if (stored) return stored;
    await deps.tenants.ensure(tenantId, now());
    const created = await deps.settings.read(tenantId);
    if (!created) throw new Error('the tenant row vanished as it was created');
    return created;
  };

  api.get(
    '/api/v1/admin/settings',
    {
      schema: {
        summary: 'The tenant’s settings',
        description:
          'Answers with an `ETag`, the settings’ version: `PUT /api/v1/admin/settings` must send it back ' +
          'in `If-Match`.',
        tags,
        response: { 200: SettingsResponse, ...errors },
      },
    },
    async (request, reply) => {
      const admin = requireTenantAdmin(request);
      const current = await currentSettings(admin.tenantId);
      void reply.header('etag', entityTag(current.version));
      return {
        settings: current.settings,
        version: current.version,
        defaultTemplates: DEFAULT_TEMPLATES,
        warnings: [],
      };
    },
  );

  api.put(
    '/api/v1/admin/settings',
    {
      bodyLimit: SETTINGS_BODY_LIMIT,
      schema: {
        summary: 'Replace the tenant’s settings (templates identical to the built-in ones are not stored)',
        description:
          '`If-Match` must carry the `ETag` of the settings the change is based on (from GET or the last ' +
          'PUT): 428 `precondition_required` without it, 412 `precondition_failed` when the settings ' +
          'changed since (nothing is saved; read them again). `If-Match: *` replaces whatever is ' +
          'stored. Answers with the new `ETag`.',
        tags,
        headers: SettingsHeaders,
        body: SettingsBody,
        response: {
          200: SettingsResponse,
          412: ProblemResponse,
          422: ProblemResponse,
          428: ProblemResponse,
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const admin = requireTenantAdmin(request);
      const ifMatch = request.headers['if-match'];
      if (ifMatch === undefined || ifMatch.trim() === '') {
        return problemReply(
          reply,
          'precondition_required',
          'send If-Match with the ETag of GET /api/v1/admin/settings, so that a change someone else ' +
            'made meanwhile is not overwritten (If-Match: * replaces whatever is stored); nothing was saved',
        );
      }
      const before = await currentSettings(admin.tenantId);
      if (!matches(ifMatch, before.version)) return staleSettings(reply);
      const check = checkSettings(request.body);
      if (!check.ok) return fieldProblem(reply, 'invalid_tenant_settings', check.errors);
      // Settings this console does not edit (added by other features) are kept as they are.
      const settings = { ...before.settings, ...check.settings };
      const changed = changedSettings(before.settings, settings);
      let version = before.version;
      if (changed.length > 0) {
        // Compare-and-set: a change committed since `before` was read wins, and this one is refused.
        const saved = await deps.settings.replace(admin.tenantId, before.version, settings, now());
        if (!saved) return staleSettings(reply);
        version = saved.version;
        deps.settingsChanged?.(admin.tenantId);
        await deps.audit.append(
          {
            tenantId: admin.tenantId,
            actorId: admin.userId,
            action: 'tenant.settings_changed',
            targetType: 'tenant',
            targetId: admin.tenantId,
            details: { changed: changed.join(',') },
          },
          now(),
        );
      }
      void reply.header('etag', entityTag(version));
      return { settings, version, defaultTemplates: DEFAULT_TEMPLATES, warnings: [...check.warnings] };
    },
  );

  api.post(
    '/api/v1/admin/templates/preview',
    {
      // Whatever can be saved can be previewed first.
      bodyLimit: SETTINGS_BODY_LIMIT,
      schema: {
        summary: 'Validate a language’s join-instruction templates and render them for a sample meeting',
        tags,
        body: PreviewBody,
        response: { 200: PreviewResponse, 422: ProblemResponse, ...errors },
      },
    },
    async (request, reply) => {
      requireTenantAdmin(request);
      const { language, html, text } = request.body;
      const result = previewTemplates(language, { html, text }, deps.sample, deps.helpUrl ?? null);
      if (!result.ok) return fieldProblem(reply, 'invalid_tenant_settings', result.errors);
      return {
        language: result.language,
        html: result.html,
        text: result.text,
        warnings: [...result.warnings],
      };
    },
  );

  api.get(
    '/api/v1/admin/users',
    {
      schema: {
        summary: 'The tenant’s users with their sign-in and calendar sync status, a page at a time',
        description:
          'Oldest first (by creation, then id). Pass the page’s `next` as `after` for the next page. ' +
          'There is no search by name or sign-in name: those are held encrypted, so the database ' +
          'cannot search them.',
        tags,
        querystring: UsersQuery,
        response: { 200: UsersResponse, ...errors },
      },
    },
    async (request) => {
      const admin = requireTenantAdmin(request);
      const limit = Number(request.query.limit ?? USERS_PAGE);
      const after = request.query.after ? parseUserCursor(request.query.after) : undefined;
      // One more than the page: whether there is a next page, without a page that comes back empty.
      const found = await deps.users.usersByCreation(admin.tenantId, after, limit + 1);
      const rows = found.slice(0, limit);
      const [sync, total] = await Promise.all([
        deps.sync.syncStatuses(
          admin.tenantId,
          rows.map((u) => u.id),
        ),
        deps.users.userCount(admin.tenantId),
      ]);
      const users = await Promise.all(
        rows.map(async (u) => ({
          id: u.id,
          name: await open(deps.cipher, u, 'display_name', u.display_name_ct),
          upn: await open(deps.cipher, u, 'upn', u.upn_ct),
          status: u.status === 'active' ? ('signed_in' as const) : u.status,
          isTenantAdmin: Number(u.is_admin) === 1,
          lastSignInAt: u.last_sign_in_at,
          createdAt: u.created_at,
          meetings: u.meetings,
          sync: syncOf(sync.get(u.id)),
        })),
      );
      const last = rows.at(-1);
      return { users, total, next: found.length > limit && last ? userCursor(last) : null };
    },
  );

  api.get(
    '/api/v1/admin/users/:id/export',
    {
      // An export is audit-logged as it runs: a HEAD would decrypt and log everything, sending nothing.
      exposeHeadRoute: false,
      schema: {
        summary: 'Everything Roomlink holds about one user, decrypted, as a JSON download',
        tags,
        params: UserParams,
        response: {
          200: Type.Unknown({ description: 'roomlink-user-export/1 JSON, as an attachment' }),
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const admin = requireTenantAdmin(request);
      const data = await subjectRequest(() =>
        deps.subjects.export(request.params.id, { actor: admin.userId, tenantId: admin.tenantId }),
      );
      return reply
        .type('application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="roomlink-user-${request.params.id}.json"`)
        .send(JSON.stringify(data, null, 2));
    },
  );

  api.get(
    '/api/v1/admin/export',
    {
      // An export is audit-logged as it runs: a HEAD would decrypt and log everything, sending nothing.
      exposeHeadRoute: false,
      schema: {
        summary:
          'Everything Roomlink holds about the admin’s tenant, decrypted, as a JSON download: settings, ' +
          'every user’s export, meetings of users no longer known, the audit log',
        tags,
        response: {
          200: Type.Unknown({ description: 'roomlink-tenant-export/1 JSON, as an attachment' }),
          429: ProblemResponse,
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const admin = requireTenantAdmin(request);
      // Before anything is read or audit-logged: a refused export is no export.
      const release = exportGate.tryEnter(admin.tenantId);
      if (!release) {
        void reply.header('retry-after', String(EXPORT_RETRY_AFTER_S));
        return problemReply(
          reply,
          'export_in_progress',
          'another export of your organisation’s data is running on this server; try again when it has ' +
            'finished (one runs at a time)',
        );
      }
      let body: AsyncIterable<string>;
      try {
        body = await subjectRequest(() =>
          deps.subjects.exportTenant(admin.tenantId, { actor: admin.userId, tenantId: admin.tenantId }),
        );
      } catch (error) {
        release();
        throw error;
      }
      // Streamed: a tenant's export need not fit in memory. The stream reads the next chunk only
      // when the connection has taken the previous ones (backpressure: 64 KiB buffered at most), and
      // the export gives other requests their turn between users and pages. The gate opens again
      // when the stream closes: finished, failed, or the download abandoned or stalled (ended after
      // exportStallTimeoutMs of taking no data, so that a client that stops reading cannot hold it).
      // A failure once it has started can only cut the download short (the JSON then does not
      // parse), the status being sent already; it is logged here by type and code (the app logs no
      // stream errors of its own, and a message could quote the data being exported).
      const stream = Readable.from(body, { objectMode: false, highWaterMark: 64 * 1024 });
      stream.once('close', release);
      reply.raw.once('close', release);
      endWhenStalled(reply.raw, exportStallTimeoutMs, () => {
        request.log.warn(
          { tenantId: admin.tenantId, stalledForMs: exportStallTimeoutMs },
          'tenant export ended: its download took no data for too long',
        );
      });
      stream.once('error', (error: Error & { code?: unknown }) => {
        request.log.error(
          { err: { type: error.name, ...(typeof error.code === 'string' ? { code: error.code } : {}) } },
          'tenant export failed midway; the download was cut short',
        );
      });
      return reply
        .type('application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="roomlink-tenant-${admin.tenantId}.json"`)
        .send(stream);
    },
  );

  api.delete(
    '/api/v1/admin/users/:id',
    {
      schema: {
        summary: 'Erase one user: cancel their rooms, delete their meetings, tokens, sessions and record',
        tags,
        params: UserParams,
        response: { 200: ErasureResponse, ...errors },
      },
    },
    async (request) => {
      const admin = requireTenantAdmin(request);
      if (request.params.id === admin.userId) {
        throw new HttpError('invalid_request', 'an admin cannot erase themselves here; ask another admin');
      }
      const result = await subjectRequest(() =>
        deps.subjects.erase(request.params.id, { actor: admin.userId, tenantId: admin.tenantId }),
      );
      return {
        userId: result.userId,
        meetings: result.meetings,
        rows: { ...result.rows },
        roomsNotEnded: result.roomsNotEnded ?? 0,
      };
    },
  );

  api.get(
    '/api/v1/admin/audit',
    {
      schema: {
        summary: 'The tenant’s audit log, newest first (ids and counts only)',
        tags,
        querystring: AuditQuery,
        response: { 200: AuditResponse, ...errors },
      },
    },
    async (request) => {
      const admin = requireTenantAdmin(request);
      const limit = Number(request.query.limit ?? 50);
      // One more than the page: a `next` only when there is more, never one leading to an empty page.
      const found = await deps.audit.list(admin.tenantId, {
        limit: limit + 1,
        ...(request.query.before ? { before: request.query.before } : {}),
      });
      const entries = found.slice(0, limit);
      const last = entries.at(-1);
      return {
        entries: entries.map((e) => ({
          id: e.id,
          action: e.action,
          actorId: e.actorId,
          targetType: e.targetType ?? null,
          targetId: e.targetId ?? null,
          details: { ...(e.details ?? {}) },
          createdAt: e.createdAt,
        })),
        next: found.length > limit && last ? auditCursor(last) : null,
      };
    },
  );

  api.delete(
    '/api/v1/admin/session',
    {
      schema: {
        summary: 'Sign out of the admin console: end this browser’s console session only',
        description:
          'Deletes the session this request authenticated with and clears its cookie. The admin stays ' +
          'signed in to Roomlink: their add-in sessions, tokens and calendar sync are untouched (that ' +
          'is `POST /api/v1/session/sign-out`).',
        tags,
        response: { 204: Type.Null({ description: 'Signed out of the console' }), ...errors },
      },
    },
    async (request, reply) => {
      const admin = requireTenantAdmin(request);
      if (admin.sessionKey) await deps.sessions.deleteSession(admin.sessionKey);
      void reply.header('set-cookie', clearingCookie(deps.sessionCookie));
      await deps.audit.append(
        {
          tenantId: admin.tenantId,
          actorId: admin.userId,
          action: 'session.signed_out',
          targetType: 'user',
          targetId: admin.userId,
          // Not a sign-out of Roomlink (that entry has no details): this browser's console only.
          details: { scope: 'console' },
        },
        now(),
      );
      return reply.code(204).send(null);
    },
  );
}

/** A version as a strong entity tag. */
function entityTag(version: string): string {
  return `"${version}"`;
}

/**
 * If-Match against the current version: `*`, or a list of entity tags. A weak tag matches too: the
 * version is a digest of the settings, so a proxy that weakens the ETag as it compresses the answer
 * (nginx does) changes nothing of what it means.
 */
function matches(ifMatch: string, version: string): boolean {
  const tags = ifMatch.split(',').map((tag) => tag.trim().replace(/^W\//, ''));
  return tags.includes('*') || tags.includes(entityTag(version));
}

function staleSettings(reply: FastifyReply) {
  return problemReply(
    reply,
    'precondition_failed',
    'the settings were changed (by another admin, or in another tab) since you loaded them; nothing ' +
      'was saved: load them again and redo your change',
  );
}

function problemReply(
  reply: FastifyReply,
  code: 'precondition_failed' | 'precondition_required' | 'export_in_progress',
  detail: string,
) {
  const body = problem(code, detail);
  return reply.code(body.status).type('application/problem+json').send(body);
}

/** Where the users list's next page starts: `<createdAt>_<id>` (as the audit log's cursor). */
function userCursor(user: Pick<UserTable, 'created_at' | 'id'>): string {
  return `${user.created_at}_${user.id}`;
}

/** The schema checked its shape: a time without `_`, then the id. */
function parseUserCursor(cursor: string): UserCursor {
  const at = cursor.indexOf('_');
  return { createdAt: cursor.slice(0, at), id: cursor.slice(at + 1) };
}

function syncOf(row: SyncStatusRow | undefined) {
  const status = !row
    ? ('off' as const)
    : row.status === 'active'
      ? ('syncing' as const)
      : row.status === 'needs_sign_in'
        ? ('needs_sign_in' as const)
        : ('stopped' as const);
  return { status, lastChangeAt: row?.lastChangeAt ?? null, lastReconciledAt: row?.lastReconciledAt ?? null };
}

async function subjectRequest<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof RetentionError && error.code === 'user_not_found') {
      throw new HttpError('not_found', 'no such user in your organisation');
    }
    if (error instanceof RetentionError && error.code === 'tenant_not_found') {
      throw new HttpError('not_found', 'your organisation has no data in Roomlink yet');
    }
    throw error;
  }
}

function fieldProblem(reply: FastifyReply, code: 'invalid_tenant_settings', errors: readonly FieldError[]) {
  const detail = errors.map((e) => `${e.path}: ${e.message}`).join('; ');
  return reply
    .code(422)
    .type('application/problem+json')
    .send(problem(code, detail, { errors: [...errors] }));
}

async function open(
  cipher: FieldCipher,
  user: UserTable,
  column: string,
  value: string | null,
): Promise<string | null | { unreadable: true }> {
  // Not held (after a sign-out): null.
  if (value === null) return null;
  // Held, but no longer decrypts: marked, as exports mark it, rather than passed off as not held.
  // One unreadable name must not hide the whole list.
  return cipher
    .decrypt({ tenantId: user.tenant_id, table: 'users', column, rowId: user.id }, value)
    .catch(() => ({ unreadable: true as const }));
}
