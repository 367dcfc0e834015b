/** The built-in demo directory: two tenants with one Global Administrator each. Ids are invented. */
import type { TestTenant, TestUser } from './types.js';

/** Directory role template id of Global Administrator (Microsoft Entra built-in roles). */
export const GLOBAL_ADMINISTRATOR_ROLE_ID = '62e90394-69f5-4237-9190-012177145e10';
/** Directory role template id of the default User role that every member holds. */
export const USER_ROLE_ID = 'b79fbf4d-3ef9-4689-8143-76b194e85509';

export const CONTOSO_TENANT_ID = '6d2f0c1a-3b4e-4f5a-8c7d-0e1f2a3b4c5d';
export const FABRIKAM_TENANT_ID = '9b8a7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d';

export const DEMO_TENANTS: readonly TestTenant[] = Object.freeze([
  { id: CONTOSO_TENANT_ID, name: 'Contoso', domain: 'contoso.example' },
  { id: FABRIKAM_TENANT_ID, name: 'Fabrikam', domain: 'fabrikam.example' },
]);

export const DEMO_USERS: readonly TestUser[] = Object.freeze([
  {
    oid: '1f0e2d3c-4b5a-4697-8a8b-0c1d2e3f4a01',
    tenantId: CONTOSO_TENANT_ID,
    upn: 'megan@contoso.example',
    name: 'Megan Bowen',
    admin: true,
  },
  {
    oid: '1f0e2d3c-4b5a-4697-8a8b-0c1d2e3f4a02',
    tenantId: CONTOSO_TENANT_ID,
    upn: 'adele@contoso.example',
    name: 'Adele Vance',
  },
  {
    oid: '1f0e2d3c-4b5a-4697-8a8b-0c1d2e3f4a03',
    tenantId: CONTOSO_TENANT_ID,
    upn: 'alex@contoso.example',
    name: 'Alex Wilber',
  },
  {
    oid: '2e1f3a4b-5c6d-4e7f-9a0b-1c2d3e4f5b01',
    tenantId: FABRIKAM_TENANT_ID,
    upn: 'diego@fabrikam.example',
    name: 'Diego Siciliani',
    admin: true,
  },
  {
    oid: '2e1f3a4b-5c6d-4e7f-9a0b-1c2d3e4f5b02',
    tenantId: FABRIKAM_TENANT_ID,
    upn: 'isaiah@fabrikam.example',
    name: 'Isaiah Langer',
  },
]);
