/** JSON Schemas (TypeBox) of the admin API: validation and OpenAPI from one definition. */
import { Type } from '@sinclair/typebox';
import { MAX_TEMPLATE_LENGTH } from '../instructions/index.js';
import { MAX_TENANT_RETENTION_DAYS, MIN_TENANT_RETENTION_DAYS } from '../retention/policy.js';
import { MAX_PIN_LENGTH, MIN_PIN_LENGTH } from './settings.js';

const LanguageSchema = Type.Union([Type.Literal('en'), Type.Literal('fr')]);

const TemplatePair = Type.Object(
  {
    html: Type.String({ maxLength: MAX_TEMPLATE_LENGTH }),
    text: Type.String({ maxLength: MAX_TEMPLATE_LENGTH }),
  },
  { additionalProperties: false },
);

export const SettingsBody = Type.Object(
  {
    defaultLanguage: LanguageSchema,
    pinLength: Type.Integer({ minimum: MIN_PIN_LENGTH, maximum: MAX_PIN_LENGTH }),
    guestPinDefault: Type.Boolean(),
    lobbyDefault: Type.Boolean(),
    addToEveryMeetingDefault: Type.Boolean(),
    retentionDays: Type.Union(
      [Type.Integer({ minimum: MIN_TENANT_RETENTION_DAYS, maximum: MAX_TENANT_RETENTION_DAYS }), Type.Null()],
      { description: 'Days meeting details are kept after the meeting ends; null: 3 months (the longest)' },
    ),
    templates: Type.Object(
      { en: Type.Optional(TemplatePair), fr: Type.Optional(TemplatePair) },
      {
        additionalProperties: false,
        description: 'Overrides of the built-in join instructions, per language',
      },
    ),
  },
  { additionalProperties: false },
);

export const SettingsHeaders = Type.Object({
  'if-match': Type.Optional(
    Type.String({
      maxLength: 1024,
      description:
        'Required by PUT: the ETag of the settings the change is based on (or `*` to replace whatever is stored)',
    }),
  ),
});

export const SettingsResponse = Type.Object({
  settings: SettingsBody,
  version: Type.String({
    description: 'The settings’ version, also sent as the ETag: PUT sends it back in If-Match ("<version>")',
  }),
  defaultTemplates: Type.Object({ en: TemplatePair, fr: TemplatePair }),
  warnings: Type.Array(Type.Object({ path: Type.String(), message: Type.String() })),
});

export const PreviewBody = Type.Object(
  {
    language: LanguageSchema,
    html: Type.String({ maxLength: MAX_TEMPLATE_LENGTH }),
    text: Type.String({ maxLength: MAX_TEMPLATE_LENGTH }),
  },
  { additionalProperties: false },
);

export const PreviewResponse = Type.Object({
  language: LanguageSchema,
  html: Type.String(),
  text: Type.String(),
  warnings: Type.Array(Type.Object({ path: Type.String(), message: Type.String() })),
});

export const UserParams = Type.Object(
  { id: Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,128}$' }) },
  { additionalProperties: false },
);

/** A value held encrypted that no longer decrypts (as exports mark it). */
const Unreadable = Type.Object({ unreadable: Type.Literal(true) }, { additionalProperties: false });

export const AdminUser = Type.Object({
  id: Type.String(),
  /** null: not held (a signed-out user's name is forgotten); `{ unreadable: true }`: held, no longer decrypts. */
  name: Type.Union([Type.String(), Type.Null(), Unreadable]),
  upn: Type.Union([Type.String(), Type.Null(), Unreadable]),
  status: Type.Union([Type.Literal('signed_in'), Type.Literal('needs_sign_in'), Type.Literal('signed_out')]),
  isTenantAdmin: Type.Boolean(),
  lastSignInAt: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.String(),
  meetings: Type.Integer(),
  /** Calendar sync (from sync_users): `off` when sync holds nothing for the user. */
  sync: Type.Object({
    status: Type.Union([
      Type.Literal('syncing'),
      Type.Literal('needs_sign_in'),
      Type.Literal('stopped'),
      Type.Literal('off'),
    ]),
    lastChangeAt: Type.Union([Type.String(), Type.Null()]),
    lastReconciledAt: Type.Union([Type.String(), Type.Null()]),
  }),
});

export const UsersQuery = Type.Object(
  {
    // Query strings are not coerced (see app.ts): numbers arrive as text.
    limit: Type.Optional(
      Type.String({
        pattern: '^(?:[1-9]|[1-9][0-9]|1[0-9][0-9]|200)$',
        description: '1 to 200; 100 if absent',
      }),
    ),
    after: Type.Optional(
      Type.String({
        pattern: '^\\d{4}-\\d{2}-\\d{2}T[0-9:.]+Z_[A-Za-z0-9_.:-]{1,128}$',
        description: 'the previous page’s `next` (an opaque cursor)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const UsersResponse = Type.Object({
  users: Type.Array(AdminUser),
  /** All of the tenant's users, on every page. */
  total: Type.Integer(),
  next: Type.Union([Type.String(), Type.Null()], {
    description: 'pass as `after` for the next page (an opaque cursor); null on the last page',
  }),
});

export const OverviewResponse = Type.Object({
  tenantId: Type.String(),
  contractEnd: Type.Union([Type.String(), Type.Null()]),
  accountPurgeOn: Type.Union([Type.String(), Type.Null()]),
  users: Type.Object({
    total: Type.Integer(),
    signedIn: Type.Integer(),
    needsSignIn: Type.Integer(),
    signedOut: Type.Integer(),
  }),
  meetings: Type.Object({ scheduled: Type.Integer(), cancelled: Type.Integer() }),
  retention: Type.Object({
    defaultMonths: Type.Integer(),
    minDays: Type.Integer(),
    maxDays: Type.Integer(),
    accountMonthsAfterContractEnd: Type.Integer(),
  }),
});

export const AuditQuery = Type.Object(
  {
    // Query strings are not coerced (see app.ts): numbers arrive as text.
    limit: Type.Optional(
      Type.String({ pattern: '^(?:[1-9]|[1-9][0-9]|1[0-9][0-9]|200)$', description: '1 to 200' }),
    ),
    before: Type.Optional(
      Type.String({
        pattern: '^\\d{4}-\\d{2}-\\d{2}T[0-9:.]+Z(?:_[0-9A-Za-z-]{1,64})?$',
        description:
          'the previous page’s `next`; a bare createdAt (the earlier form) still lists the entries ' +
          'strictly older than it',
      }),
    ),
  },
  { additionalProperties: false },
);

export const AuditResponse = Type.Object({
  entries: Type.Array(
    Type.Object({
      id: Type.String(),
      action: Type.String(),
      actorId: Type.Union([Type.String(), Type.Null()]),
      targetType: Type.Union([Type.String(), Type.Null()]),
      targetId: Type.Union([Type.String(), Type.Null()]),
      details: Type.Record(
        Type.String(),
        Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]),
      ),
      createdAt: Type.String(),
    }),
  ),
  next: Type.Union([Type.String(), Type.Null()], {
    description: 'pass as `before` for the next page (an opaque cursor); null on the last page',
  }),
});

export const ErasureResponse = Type.Object({
  userId: Type.String(),
  meetings: Type.Integer(),
  rows: Type.Record(Type.String(), Type.Integer()),
  roomsNotEnded: Type.Integer({
    description:
      'Rooms of meetings deleted with the user whose end could not be confirmed (logged by id); 0 when all ended',
  }),
});
