/**
 * Retention and data-subject requests, composed from a Runtime: the job (run by the worker every
 * hour and by `roomlink retention run`), offboarding, export and erasure.
 */
import pino from 'pino';
import { recordedMovedOccurrenceEnd } from '../domain/sync/occurrences.js';
import { pgBossSchemaFor } from '../graph/index.js';
import { loggerOptions } from '../observability/logger.js';
import type { Runtime } from '../runtime.js';
import { KyselyRetentionRepository } from '../store/repositories/retention.js';
import { KyselySubjectRepository } from '../store/repositories/retention-subjects.js';
import { KyselySweepRepository } from '../store/repositories/retention-sweeps.js';
import { KyselyTenantPurgeRepository } from '../store/repositories/retention-tenants.js';
import { kyselySyncStore } from '../store/repositories/sync-state.js';
import type { BatchPolicy, TransactionRecord } from './batches.js';
import { type ExtraSweep, RetentionJob, type RetentionLogger } from './job.js';
import { OffboardingService } from './offboarding.js';
import { SubjectRequestService } from './subject-requests.js';
import { RetentionWorker, type RetentionWorkerOptions } from './worker.js';

export { type BatchPolicy, DEFAULT_BATCH_POLICY, type TransactionRecord } from './batches.js';
export { RetentionError, type RetentionErrorCode } from './errors.js';
export { type ExtraSweep, RETENTION_ACTOR, RetentionJob, type RetentionReport } from './job.js';
export { OffboardingService, type OffboardingStatus, type ReadmitResult } from './offboarding.js';
export * from './policy.js';
export {
  type ErasureResult,
  EXPORT_FORMAT,
  SubjectRequestService,
  type UserExport,
} from './subject-requests.js';
export { RETENTION_INTERVAL_MS, RetentionWorker } from './worker.js';

export interface RetentionOptions {
  readonly logger?: RetentionLogger;
  /** Purges other features add (calendar sync's leftovers…). */
  readonly extraSweeps?: readonly ExtraSweep[];
  /** Called before an erasure deletes anything (e.g. calendar sync deletes the subscription). */
  readonly beforeErase?: (userId: string) => Promise<void>;
  /** Called before an offboarded tenant's rows are deleted (e.g. calendar sync stops its users). */
  readonly beforeTenantPurge?: (tenantId: string) => Promise<void>;
  readonly batchPolicy?: BatchPolicy;
  readonly onTransaction?: (record: TransactionRecord) => void;
  readonly worker?: Omit<RetentionWorkerOptions, 'logger'>;
  readonly now?: () => Date;
}

export interface Retention {
  readonly job: RetentionJob;
  readonly worker: RetentionWorker;
  readonly offboarding: OffboardingService;
  readonly subjects: SubjectRequestService;
  /** The subject repository, for the admin console's views of users. */
  readonly subjectRepository: KyselySubjectRepository;
}

export function createRetention(runtime: Runtime, options: RetentionOptions = {}): Retention {
  const { db, dialect } = runtime.store;
  const logger = options.logger ?? pino(loggerOptions(runtime.config.logLevel));
  const meetings = new KyselyRetentionRepository(db, dialect);
  const subjectRepository = new KyselySubjectRepository(
    db,
    dialect,
    dialect === 'postgres' ? pgBossSchemaFor(runtime.config.databaseUrl) : undefined,
  );
  const tenants = runtime.store.tenants as { forget?: (id: string) => void };
  const occurrences = kyselySyncStore(db).occurrences;
  const job = new RetentionJob({
    meetings,
    movedOccurrenceEnd: recordedMovedOccurrenceEnd(occurrences, runtime.cipher),
    sweeps: new KyselySweepRepository(db, dialect),
    tenants: new KyselyTenantPurgeRepository(db, dialect),
    cipher: runtime.cipher,
    forgetTenant: (id) => tenants.forget?.(id),
    logger,
    ...(options.extraSweeps ? { extraSweeps: options.extraSweeps } : {}),
    ...(options.beforeTenantPurge ? { beforeTenantPurge: options.beforeTenantPurge } : {}),
    ...(options.batchPolicy ? { batchPolicy: options.batchPolicy } : {}),
    ...(options.onTransaction ? { onTransaction: options.onTransaction } : {}),
  });
  return {
    job,
    worker: new RetentionWorker(job, { ...options.worker, logger }),
    offboarding: new OffboardingService({
      tenants: new KyselyTenantPurgeRepository(db, dialect),
      audit: meetings,
      ...(options.now ? { now: options.now } : {}),
    }),
    subjects: new SubjectRequestService({
      subjects: subjectRepository,
      audit: meetings,
      meetings: runtime.meetings,
      providers: runtime.providers,
      cipher: runtime.cipher,
      logger,
      ...(options.beforeErase ? { beforeErase: options.beforeErase } : {}),
      ...(options.now ? { now: options.now } : {}),
    }),
    subjectRepository,
  };
}
