/**
 * The admin console's JSON API, /api/v1/admin/…: for tenant admins, always scoped to the admin's
 * own tenant (another tenant's user is answered as unknown). Errors are problem+json; settings and
 * template problems carry `errors` with a JSON pointer per field.
 */
import { Readable } from 'node:stream';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FieldCipher } from '../crypto/envelope.js';
import type { AuditRepository } from '../domain/audit/audit.js';
import type { Principal } from '../domain/principal.js';
import type { TenantRepository } from '../domain/tenants/tenant.js';
import { unauthenticated } from '../http/auth.js';
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
import type { KyselySubjectRepository } from '../store/repositories/retention-subjects.js';
import type { KyselySyncRetentionRepository, SyncStatusRow } from '../store/repositories/retention-sync.js';
import type { UserTable } from '../store/schema.js';
import { previewTemplates } from './preview.js';
import {
  AuditQuery,
  AuditResponse,
  ErasureResponse,
  OverviewResponse,
  PreviewBody,
  PreviewResponse,
  SettingsBody,
  SettingsResponse,
  UserParams,
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
  readonly sample: JoinDetails;
  readonly now?: () => Date;
}

/** Templates of two languages at the maximum length do not fit the app-wide 64 KiB. */
const SETTINGS_BODY_LIMIT = 256 * 1024;

const errors = { 400: ProblemResponse, 401: ProblemResponse, 403: ProblemResponse, 404: ProblemResponse };

/** The signed-in tenant admin, or 401 / 403. */
export function requireTenantAdmin(request: FastifyRequest): Principal {
  const principal = request.principal;
  if (!principal) throw unauthenticated(request, 'sign in at /auth/signin to use the admin console');
  if (!principal.isTenantAdmin)
    throw new HttpError('forbidden', 'only tenant admins may use the admin console');
  return principal;
}

export async function adminApiRoutes(app: FastifyInstance, deps: AdminApiDeps): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const now = deps.now ?? (() => new Date());
  const tags = ['admin'];

  // Mounted in its own scope (see plugin.ts): these hooks apply to the admin API only.
  // Authorization before validation, so that a non-admin learns nothing about the schemas.
  app.addHook('onRequest', async (request) => {
    requireTenantAdmin(request);
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
        deps.users.listUsers(admin.tenantId),
        deps.users.meetingCounts(admin.tenantId),
        deps.offboarding.status(admin.tenantId).catch(() => ({ contractEnd: null })),
      ]);
      const count = (status: UserTable['status']) => users.filter((u) => u.status === status).length;
      return {
        tenantId: admin.tenantId,
        contractEnd: offboarding.contractEnd,
        accountPurgeOn: offboarding.contractEnd ? accountPurgeDay(offboarding.contractEnd) : null,
        users: {
          total: users.length,
          signedIn: count('active'),
          needsSignIn: count('needs_sign_in'),
          signedOut: count('signed_out'),
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

  api.get(
    '/api/v1/admin/settings',
    { schema: { summary: 'The tenant’s settings', tags, response: { 200: SettingsResponse, ...errors } } },
    async (request) => {
      const admin = requireTenantAdmin(request);
      const tenant = await deps.tenants.ensure(admin.tenantId, now());
      return { settings: tenant.settings, defaultTemplates: DEFAULT_TEMPLATES, warnings: [] };
    },
  );

  api.put(
    '/api/v1/admin/settings',
    {
      bodyLimit: SETTINGS_BODY_LIMIT,
      schema: {
        summary: 'Replace the tenant’s settings (templates identical to the built-in ones are not stored)',
        tags,
        body: SettingsBody,
        response: { 200: SettingsResponse, 422: ProblemResponse, ...errors },
      },
    },
    async (request, reply) => {
      const admin = requireTenantAdmin(request);
      const check = checkSettings(request.body);
      if (!check.ok) return fieldProblem(reply, 'invalid_tenant_settings', check.errors);
      const before = await deps.tenants.ensure(admin.tenantId, now());
      // Settings this console does not edit (added by other features) are kept as they are.
      const settings = { ...before.settings, ...check.settings };
      const changed = changedSettings(before.settings, settings);
      if (changed.length > 0) {
        await deps.tenants.updateSettings(admin.tenantId, settings, now());
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
      return { settings, defaultTemplates: DEFAULT_TEMPLATES, warnings: [...check.warnings] };
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
      const result = previewTemplates(language, { html, text }, deps.sample);
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
        summary: 'The tenant’s users with their sign-in and calendar sync status',
        tags,
        response: { 200: UsersResponse, ...errors },
      },
    },
    async (request) => {
      const admin = requireTenantAdmin(request);
      const [rows, sync] = await Promise.all([
        deps.users.listUsers(admin.tenantId),
        deps.sync.syncStatuses(admin.tenantId),
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
      return { users };
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
          ...errors,
        },
      },
    },
    async (request, reply) => {
      const admin = requireTenantAdmin(request);
      const body = await subjectRequest(() =>
        deps.subjects.exportTenant(admin.tenantId, { actor: admin.userId, tenantId: admin.tenantId }),
      );
      // Streamed: a tenant's export need not fit in memory. A failure once it has started can only
      // cut the download short (the JSON then does not parse), the status being sent already; it
      // is logged here by type and code (the app logs no stream errors of its own, and a message
      // could quote the data being exported).
      const stream = Readable.from(body);
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
      return { userId: result.userId, meetings: result.meetings, rows: { ...result.rows } };
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
      const entries = await deps.audit.list(admin.tenantId, {
        limit,
        ...(request.query.before ? { before: request.query.before } : {}),
      });
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
        next: entries.length === limit && last ? auditCursor(last) : null,
      };
    },
  );
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
): Promise<string | null> {
  if (value === null) return null;
  // One unreadable name must not hide the whole list: it shows as unknown.
  return cipher
    .decrypt({ tenantId: user.tenant_id, table: 'users', column, rowId: user.id }, value)
    .catch(() => null);
}
