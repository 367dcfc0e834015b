/** Tenants and users, and how a URL's tenant segment resolves (GUID, verified domain, common, organizations). */
import { DEMO_TENANTS, DEMO_USERS } from './demo-directory.js';
import type { TestTenant, TestUser } from './types.js';

/** `common` and `organizations` are multi-tenant authorities; a tenant id or domain is tenant-specific. */
export type Authority =
  | { readonly kind: 'multi'; readonly segment: 'common' | 'organizations' }
  | { readonly kind: 'tenant'; readonly segment: string; readonly tenant: TestTenant };

export class Directory {
  private readonly tenantList: TestTenant[];
  private readonly userList: TestUser[];

  constructor(users: readonly TestUser[] | undefined, tenants: readonly TestTenant[] | undefined) {
    this.userList = [...(users ?? DEMO_USERS)];
    const declared = [...(tenants ?? (users ? [] : DEMO_TENANTS))];
    for (const user of this.userList) {
      if (!declared.some((t) => t.id === user.tenantId))
        declared.push({ id: user.tenantId, name: user.tenantId });
    }
    this.tenantList = declared;
  }

  users(): TestUser[] {
    return [...this.userList];
  }

  tenants(): TestTenant[] {
    return [...this.tenantList];
  }

  tenant(id: string): TestTenant | undefined {
    return this.tenantList.find((t) => t.id === id);
  }

  userByUpn(upn: string): TestUser | undefined {
    const wanted = upn.trim().toLowerCase();
    return this.userList.find((u) => u.upn.toLowerCase() === wanted);
  }

  userByOid(oid: string): TestUser | undefined {
    return this.userList.find((u) => u.oid === oid);
  }

  /** The authority a URL's tenant segment names, or undefined for an unknown tenant (AADSTS90002). */
  authority(segment: string): Authority | undefined {
    const lower = segment.toLowerCase();
    if (lower === 'common' || lower === 'organizations') return { kind: 'multi', segment: lower };
    const tenant = this.tenantList.find(
      (t) => t.id.toLowerCase() === lower || t.domain?.toLowerCase() === lower,
    );
    return tenant ? { kind: 'tenant', segment, tenant } : undefined;
  }
}

/** Whether a user may sign in at an authority: any tenant's user at common/organizations, else its own. */
export function admits(authority: Authority, user: TestUser): boolean {
  return authority.kind === 'multi' || authority.tenant.id === user.tenantId;
}
