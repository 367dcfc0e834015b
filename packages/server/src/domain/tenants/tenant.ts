/** Tenant policy. Holds settings only, never personal data. */
export type Language = 'en' | 'fr';
export const LANGUAGES: readonly Language[] = ['en', 'fr'];

export interface InstructionTemplateOverride {
  readonly html: string;
  readonly text: string;
}

export interface TenantSettings {
  readonly defaultLanguage: Language;
  /** Digits in host and guest PINs, 4 to 10. */
  readonly pinLength: number;
  readonly guestPinDefault: boolean;
  readonly lobbyDefault: boolean;
  readonly addToEveryMeetingDefault: boolean;
  /** Days after a meeting ends that its metadata is kept; null means the product's 3 months. */
  readonly retentionDays: number | null;
  readonly templates: Partial<Record<Language, InstructionTemplateOverride>>;
}

export const DEFAULT_TENANT_SETTINGS: TenantSettings = Object.freeze({
  defaultLanguage: 'en',
  pinLength: 6,
  guestPinDefault: false,
  lobbyDefault: false,
  addToEveryMeetingDefault: false,
  retentionDays: null,
  templates: {},
});

export interface Tenant {
  readonly id: string;
  readonly settings: TenantSettings;
  readonly contractEnd: string | null;
}

/**
 * Why a tenant's users may not sign in: its contract has ended (`contract_ended`: offboarded, its
 * data not deleted yet), or Roomlink deleted it after offboarding (`offboarded`). Both last until an
 * operator readmits the tenant (`roomlink tenant readmit`).
 */
export type TenantRefusal = 'contract_ended' | 'offboarded';

/** Whether a contract end day (YYYY-MM-DD, or null for none) has come at `now` (UTC days). */
export function contractEnded(contractEnd: string | null | undefined, now: Date): boolean {
  return !!contractEnd && contractEnd <= now.toISOString().slice(0, 10);
}

/** `ensure` of a tenant Roomlink deleted after offboarding: it is not created anew. */
export class TenantOffboardedError extends Error {
  constructor(readonly tenantId: string) {
    super(`tenant ${tenantId} was offboarded and its data deleted; it must be readmitted first`);
    this.name = 'TenantOffboardedError';
  }
}

export interface TenantRepository {
  find(id: string): Promise<Tenant | undefined>;
  /**
   * Creates the tenant with default settings when it does not exist yet; TenantOffboardedError,
   * creating nothing, for a tenant deleted after offboarding and not readmitted since.
   */
  ensure(id: string, now: Date): Promise<Tenant>;
  updateSettings(id: string, settings: TenantSettings, now: Date): Promise<void>;
  /**
   * Why the tenant's users may not sign in at `now`, or undefined when they may (a tenant not known
   * yet may). Read from the database, never from a cache: sign-ins are few, offboarding is done by
   * another process.
   */
  refusal(id: string, now: Date): Promise<TenantRefusal | undefined>;
}
