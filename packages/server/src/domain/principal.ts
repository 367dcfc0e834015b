/** Who is acting: an add-in session's user, or the system (calendar sync, retention). */
export interface Principal {
  readonly tenantId: string;
  readonly userId: string;
  readonly isTenantAdmin: boolean;
}
