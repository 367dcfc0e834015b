/**
 * Offboarding a tenant: the operator records its contract end; 6 months later the retention job
 * deletes all of its rows and destroys its data key. Until that day the operator can cancel it or
 * move the day; from that day on neither (only an earlier day is accepted). From the contract end
 * on, and after the deletion, its users' sign-ins are refused (identity/sign-in.ts) until the
 * operator readmits it (`readmit`).
 */
import type { KyselyRetentionRepository } from '../store/repositories/retention.js';
import type { KyselyTenantPurgeRepository } from '../store/repositories/retention-tenants.js';
import { RetentionError } from './errors.js';
import { accountPurgeDay, parseDay, utcDay } from './policy.js';

export interface OffboardingStatus {
  readonly tenantId: string;
  readonly contractEnd: string | null;
  /** The day the tenant's data is deleted; null when no contract end is recorded. */
  readonly purgeOn: string | null;
}

export interface ReadmitResult {
  readonly tenantId: string;
  /** What readmission undid: a recorded contract end, or the record of the tenant's deletion. */
  readonly readmitted: 'contract_end_cleared' | 'deleted_record_removed';
  readonly contractEnd: string;
}

export interface OffboardingDeps {
  readonly tenants: KyselyTenantPurgeRepository;
  readonly audit: Pick<KyselyRetentionRepository, 'appendAudit'>;
  readonly now?: () => Date;
}

export class OffboardingService {
  readonly #now: () => Date;

  constructor(private readonly deps: OffboardingDeps) {
    this.#now = deps.now ?? (() => new Date());
  }

  async status(tenantId: string): Promise<OffboardingStatus> {
    const tenant = await this.deps.tenants.find(tenantId);
    if (!tenant) throw await this.#notFound(tenantId, `no tenant ${tenantId}`);
    return describe(tenantId, tenant.contractEnd);
  }

  /**
   * Lets an offboarded tenant's users sign in again (a customer who signed a new contract):
   * - one retention deleted: its record goes (`offboarded_tenants`); their next sign-in makes the
   *   tenant anew, with default settings (its earlier data, settings and key are gone for good);
   * - one whose contract end is recorded and whose deletion day has not come: the contract end is
   *   cleared, as `cancel` does (and with its rule: from the deletion day on the purge may be under
   *   way, so it is refused as `too_late` until retention has finished it; readmit it then).
   * `not_scheduled` for a tenant that is not offboarded, `tenant_not_found` for one Roomlink never knew.
   */
  async readmit(tenantId: string, options: { actor: string }): Promise<ReadmitResult> {
    const tenant = await this.deps.tenants.find(tenantId);
    if (tenant) {
      if (tenant.contractEnd === null)
        throw new RetentionError('not_scheduled', `tenant ${tenantId} is not offboarded: nothing to readmit`);
      const purgeOn = accountPurgeDay(tenant.contractEnd);
      if (purgeOn <= utcDay(this.#now())) {
        throw new RetentionError(
          'too_late',
          `the deletion day ${purgeOn} of tenant ${tenantId} has come: its data is being deleted; ` +
            'run "roomlink retention run", then readmit it',
        );
      }
      await this.cancel(tenantId, options);
      return { tenantId, readmitted: 'contract_end_cleared', contractEnd: tenant.contractEnd };
    }
    const record = await this.deps.tenants.offboarded(tenantId);
    if (!record || !(await this.deps.tenants.forgetOffboarded(tenantId)))
      throw new RetentionError('tenant_not_found', `no tenant ${tenantId}`);
    const now = this.#now();
    // The tenant's own audit rows went with it: this entry is the operator's (no tenant), as the
    // deletion's `data.purged` entry is.
    await this.deps.audit.appendAudit(
      {
        tenantId: null,
        actorId: options.actor,
        action: 'tenant.readmitted',
        targetType: 'tenant',
        targetId: tenantId,
        details: { contractEnd: record.contractEnd, deletedAt: record.destroyedAt },
      },
      now,
    );
    return { tenantId, readmitted: 'deleted_record_removed', contractEnd: record.contractEnd };
  }

  /** `tenant_not_found`, saying so when retention deleted the tenant after offboarding. */
  async #notFound(tenantId: string, message: string): Promise<RetentionError> {
    const record = await this.deps.tenants.offboarded(tenantId);
    return new RetentionError(
      'tenant_not_found',
      record
        ? `tenant ${tenantId} was deleted on ${record.destroyedAt.slice(0, 10)}, after its contract ended ` +
            `on ${record.contractEnd}; its users cannot sign in until "roomlink tenant readmit ${tenantId}"`
        : message,
    );
  }

  /**
   * Records the contract end day. A purge day that has already come needs `allowPast`: the next
   * retention run would delete the tenant at once. Once the recorded purge day has come, a day
   * that moves it later is refused (`too_late`), as cancel is.
   */
  async schedule(
    tenantId: string,
    contractEnd: string,
    options: { actor: string; allowPast?: boolean },
  ): Promise<OffboardingStatus> {
    if (!parseDay(contractEnd))
      throw new RetentionError('invalid_day', 'the contract end must be a YYYY-MM-DD day');
    const tenant = await this.deps.tenants.find(tenantId);
    if (!tenant) throw await this.#notFound(tenantId, `no tenant ${tenantId}`);
    const now = this.#now();
    const purgeOn = accountPurgeDay(contractEnd);
    const today = utcDay(now);
    if (tenant.contractEnd !== null && parseDay(tenant.contractEnd)) {
      // Once the recorded day has come the purge may be under way (a run deletes in batches and a
      // failed one is retried): moving the day later would stop it half-way, which is a cancel by
      // another name and is refused like one. An earlier or the same day leaves the purge due.
      const recorded = accountPurgeDay(tenant.contractEnd);
      if (recorded <= today && purgeOn > recorded) {
        throw new RetentionError(
          'too_late',
          `the purge day ${recorded} has come: the deletion day can no longer be moved later`,
        );
      }
    }
    if (purgeOn <= today && !options.allowPast) {
      throw new RetentionError(
        'confirmation_required',
        `the purge day ${purgeOn} has come: the next retention run deletes the tenant; confirm to go ahead`,
      );
    }
    await this.deps.tenants.setContractEnd(tenantId, contractEnd, now);
    await this.deps.audit.appendAudit(
      {
        tenantId,
        actorId: options.actor,
        action: 'tenant.offboarding_scheduled',
        targetType: 'tenant',
        targetId: tenantId,
        details: { contractEnd, purgeOn },
      },
      now,
    );
    return describe(tenantId, contractEnd);
  }

  /** Clears the contract end; refused once the purge day has come (deletion may be under way). */
  async cancel(tenantId: string, options: { actor: string }): Promise<OffboardingStatus> {
    const tenant = await this.deps.tenants.find(tenantId);
    if (!tenant) throw await this.#notFound(tenantId, `no tenant ${tenantId} (already deleted?)`);
    if (tenant.contractEnd === null) throw new RetentionError('not_scheduled', 'no offboarding is scheduled');
    const now = this.#now();
    const purgeOn = accountPurgeDay(tenant.contractEnd);
    if (purgeOn <= utcDay(now)) {
      throw new RetentionError(
        'too_late',
        `the purge day ${purgeOn} has come: offboarding can no longer be cancelled`,
      );
    }
    await this.deps.tenants.setContractEnd(tenantId, null, now);
    await this.deps.audit.appendAudit(
      {
        tenantId,
        actorId: options.actor,
        action: 'tenant.offboarding_cancelled',
        targetType: 'tenant',
        targetId: tenantId,
        details: { contractEnd: tenant.contractEnd },
      },
      now,
    );
    return describe(tenantId, null);
  }
}

function describe(tenantId: string, contractEnd: string | null): OffboardingStatus {
  return { tenantId, contractEnd, purgeOn: contractEnd ? accountPurgeDay(contractEnd) : null };
}
