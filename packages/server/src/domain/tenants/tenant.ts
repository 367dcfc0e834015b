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

export interface TenantRepository {
  find(id: string): Promise<Tenant | undefined>;
  /** Creates the tenant with default settings when it does not exist yet. */
  ensure(id: string, now: Date): Promise<Tenant>;
  updateSettings(id: string, settings: TenantSettings, now: Date): Promise<void>;
}
