/**
 * Operator commands for retention and data-subject requests (docs/privacy.md):
 *   roomlink retention run [--as-of <date> [--yes]]
 *   roomlink tenant offboard <tenant id> [--contract-end <YYYY-MM-DD> [--yes] | --cancel]
 *   roomlink tenant readmit <tenant id>
 *   roomlink export user <user id> [--out <file>]
 *   roomlink export tenant <tenant id> [--out <file>]
 *   roomlink erase user <user id> --yes
 * Logs go to stderr, results to stdout (an export is pure JSON there).
 */
import { type FileHandle, open, unlink } from 'node:fs/promises';
import type { Command } from 'commander';
import pino from 'pino';
import type { Config } from '../config/config.js';
import { calendarSyncFor } from '../graph/index.js';
import { createIdentity } from '../identity/index.js';
import type { JobQueue } from '../jobs/queue.js';
import { loggerOptions } from '../observability/logger.js';
import { type SyncHooks, syncRetentionOptions } from '../retention/feature.js';
import { createRetention, parseDay, type Retention, RetentionError } from '../retention/index.js';
import { createRuntime, type Runtime } from '../runtime.js';
import { requireExistingDatabase, requireMigratedDatabase } from './existing-database.js';
import { CliError, EXIT } from './exit.js';

export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

const processOutput: CliOutput = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** Exit codes of these commands beyond the common ones: see EXIT (docs/errors.md). */
export const RETENTION_EXIT = { conflict: EXIT.conflict, notFound: EXIT.notFound } as const;

/** Who the audit log names for CLI requests. */
const CLI_ACTOR = 'cli';

export function registerRetentionCommands(
  program: Command,
  config: () => Config,
  output: CliOutput = processOutput,
): void {
  const withRetention = async <T>(work: (retention: Retention) => Promise<T>): Promise<T> => {
    const c = config();
    // Refused before anything on disk changes (createRuntime would make the file private, and the
    // store's open switch it to WAL).
    await requireExistingDatabase(c.databaseUrl);
    const logger = pino(loggerOptions(c.logLevel), pino.destination(2));
    // These commands never create a keyring (only the server's first start in demo mode does), nor
    // migrate: an empty or outdated database (a wrong DATABASE_URL) is refused, exit 69.
    const runtime = await createRuntime(c, logger, { createDemoKeyring: false, migrate: false });
    try {
      await requireMigratedDatabase(runtime.store);
      const sync = cliSyncHooks(runtime, logger);
      return await work(createRetention(runtime, { logger, ...syncRetentionOptions(runtime, sync, logger) }));
    } catch (error) {
      throw error instanceof RetentionError ? toCliError(error) : error;
    } finally {
      await runtime.close();
    }
  };

  program
    .command('retention')
    .description('data retention (docs/privacy.md)')
    .command('run')
    .description(
      'purge what retention says is due, once, and print what was deleted (the server does it hourly)',
    )
    .option(
      '--as-of <date>',
      'purge, now, what is due as of this day (YYYY-MM-DD, midnight UTC) or date-time (with Z or an ' +
        'offset): this deletes data, it is not a preview; a date in the future needs --yes',
    )
    .option(
      '--yes',
      'confirm an --as-of in the future: meetings are deleted before their purge day and tenants ' +
        'offboarded (data deleted, key destroyed) before their deletion day',
    )
    .action(async (options: { asOf?: string; yes?: boolean }) => {
      const now = new Date();
      const asOf = options.asOf === undefined ? now : parseInstant(options.asOf);
      if (asOf.getTime() > now.getTime() && !options.yes) {
        throw new CliError(
          `--as-of ${options.asOf} is in the future: the run would delete now what is due only then ` +
            '(meetings before their purge day; tenants whose deletion day comes by then, their data ' +
            'keys destroyed): add --yes to confirm',
          EXIT.usage,
        );
      }
      const report = await withRetention((r) => r.job.run(asOf));
      output.out(`${JSON.stringify(report, null, 2)}\n`);
      // A due tenant whose purge failed is still due: a script that checks the exit code (say, after
      // a restore, before serving) must not take the run for done.
      if (!report.completed) {
        throw new CliError(
          'retention run incomplete: a due tenant could not be deleted (the log says which, by tenant id); ' +
            'everything else due was deleted, and the next run tries the tenant again',
          EXIT.failure,
        );
      }
    });

  const tenantCommand = program.command('tenant').description('manage tenants (operators only)');
  tenantCommand
    .command('offboard')
    .description(
      'record a tenant’s contract end: 6 months later its data is deleted and its key destroyed; ' +
        'without options, show what is recorded',
    )
    .argument('<tenant-id>', 'the Entra tenant id')
    .option('--contract-end <day>', 'the contract end day, YYYY-MM-DD')
    .option('--cancel', 'cancel a recorded offboarding (before its deletion day)')
    .option('--yes', 'confirm a contract end whose deletion day has already come (deletes at the next run)')
    .action(async (tenantId: string, options: { contractEnd?: string; cancel?: boolean; yes?: boolean }) => {
      if (options.contractEnd !== undefined && options.cancel) {
        throw new CliError('use either --contract-end or --cancel', EXIT.usage);
      }
      // Arguments are checked before the database is opened (a bad day is 64 whatever else is wrong).
      if (options.contractEnd !== undefined) checkContractEnd(options.contractEnd);
      const status = await withRetention((r) => {
        if (options.cancel) return r.offboarding.cancel(tenantId, { actor: CLI_ACTOR });
        if (options.contractEnd !== undefined) {
          return r.offboarding.schedule(tenantId, options.contractEnd, {
            actor: CLI_ACTOR,
            allowPast: options.yes ?? false,
          });
        }
        return r.offboarding.status(tenantId);
      });
      output.out(
        status.contractEnd
          ? `tenant ${status.tenantId}: contract ends ${status.contractEnd}; its data is deleted and its key ` +
              `destroyed on ${status.purgeOn}\n`
          : `tenant ${status.tenantId}: no offboarding scheduled\n`,
      );
    });
  tenantCommand
    .command('readmit')
    .description(
      'let an offboarded tenant’s users sign in again (a new contract): clears its contract end before ' +
        'its deletion day, or forgets that retention deleted it',
    )
    .argument('<tenant-id>', 'the Entra tenant id')
    .action(async (tenantId: string) => {
      const result = await withRetention((r) => r.offboarding.readmit(tenantId, { actor: CLI_ACTOR }));
      output.out(
        result.readmitted === 'contract_end_cleared'
          ? `tenant ${result.tenantId} readmitted: its contract end ${result.contractEnd} is cleared and no ` +
              'deletion is scheduled; its users can sign in again\n'
          : `tenant ${result.tenantId} readmitted: its users can sign in again; its data was deleted after ` +
              `its contract ended on ${result.contractEnd}, so it starts anew with default settings\n`,
      );
    });

  const exportCommand = program.command('export').description('data-subject requests: export');
  exportCommand
    .command('user')
    .description('print everything Roomlink holds about a user, decrypted, as JSON')
    .argument('<user-id>', 'the Roomlink user id (see the admin console)')
    .option('--out <file>', 'write to this new file (mode 0600) instead of stdout')
    .action(async (userId: string, options: { out?: string }) => {
      await writeExport(output, options.out, (write) =>
        withRetention(async (r) =>
          write(`${JSON.stringify(await r.subjects.export(userId, { actor: CLI_ACTOR }), null, 2)}\n`),
        ),
      );
    });
  exportCommand
    .command('tenant')
    .description(
      'print everything Roomlink holds about a tenant, decrypted, as JSON: its settings, every ' +
        'user’s export, the meetings of users no longer known and its audit log',
    )
    .argument('<tenant-id>', 'the Entra tenant id')
    .option('--out <file>', 'write to this new file (mode 0600) instead of stdout')
    .action(async (tenantId: string, options: { out?: string }) => {
      await writeExport(output, options.out, (write) =>
        withRetention(async (r) => {
          // Written as it is read: a tenant's export need not fit in memory.
          for await (const chunk of await r.subjects.exportTenant(tenantId, { actor: CLI_ACTOR })) {
            await write(chunk);
          }
        }),
      );
    });

  program
    .command('erase')
    .description('data-subject requests: erasure')
    .command('user')
    .description('cancel a user’s rooms and delete their meetings, tokens, sessions and user record')
    .argument('<user-id>', 'the Roomlink user id (see the admin console)')
    .option('--yes', 'confirm: erasure cannot be undone')
    .action(async (userId: string, options: { yes?: boolean }) => {
      if (!options.yes) throw new CliError('erasure cannot be undone: add --yes to confirm', EXIT.usage);
      const result = await withRetention((r) => r.subjects.erase(userId, { actor: CLI_ACTOR }));
      output.out(`${JSON.stringify(result, null, 2)}\n`);
    });
}

/**
 * An export to stdout, or with `--out` to a new file. The file is opened before exporting: the
 * export writes an audit entry and decrypts personal data, neither of which should happen for an
 * output that cannot be written.
 */
async function writeExport(
  output: CliOutput,
  out: string | undefined,
  produce: (write: (text: string) => Promise<void>) => Promise<void>,
): Promise<void> {
  if (!out) {
    await produce(async (text) => output.out(text));
    return;
  }
  const file = await openExportFile(out);
  let written = false;
  try {
    await produce(async (text) => {
      await file.write(text);
    });
    written = true;
  } finally {
    await file.close();
    // Leave no partial file behind an export that failed (no such user, database down).
    if (!written) await unlink(out).catch(() => undefined);
  }
  output.err(`wrote ${out}\n`);
}

/**
 * `export … --out`: personal data goes to a new file readable by its owner only, never over an
 * existing one. A path that cannot be created is a usage error, said plainly.
 */
async function openExportFile(out: string): Promise<FileHandle> {
  try {
    return await open(out, 'wx', 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why: Record<string, string> = {
      EEXIST: 'exists; the export never overwrites a file: choose a new name or remove it',
      ENOENT: 'cannot be created: its directory does not exist',
      ENOTDIR: 'cannot be created: a part of its directory path is not a directory',
      EACCES: 'cannot be created: permission denied',
      EPERM: 'cannot be created: permission denied',
      EROFS: 'cannot be created: the file system is read-only',
    };
    const reason = code === undefined ? undefined : why[code];
    if (reason) throw new CliError(`--out ${out} ${reason}; nothing was exported`, EXIT.usage);
    throw error;
  }
}

/** Jobs are never run or queued by the CLI: it only uses sync to delete subscriptions. */
const INERT_QUEUE: JobQueue = {
  backend: 'sql',
  enqueue: async () => {
    throw new Error('the command line does not queue sync jobs');
  },
  start: async () => {
    throw new Error('the command line does not run sync jobs');
  },
  stop: async () => undefined,
  counts: async () => [],
};

/**
 * Erasure and offboarding stop the users' calendar sync: with the Microsoft cloud configured the CLI
 * deletes their Graph subscriptions itself, with the users' stored tokens. In demo mode the Graph
 * emulator lives inside the server process, out of reach: sync's rows are deleted all the same,
 * and the emulator's subscription expires on its own (its notifications are then discarded).
 */
function cliSyncHooks(runtime: Runtime, logger: pino.Logger): Partial<SyncHooks> {
  const { config } = runtime;
  if (!config.microsoft) return {};
  const identity = createIdentity(runtime, { ...config.microsoft });
  const sync = calendarSyncFor(runtime, {
    tokens: identity.tokens,
    queue: () => INERT_QUEUE,
    log: logger.child({ component: 'sync' }),
  });
  return { stopSyncForUser: (userId) => sync.stopSyncForUser(userId) };
}

/** An ISO 8601 date-time with seconds and fraction optional and a Z or ±HH:MM offset required. */
const DATE_TIME =
  /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

/**
 * `--as-of`: a day (midnight UTC) or a date-time with its offset, strictly: no impossible day
 * (2026-02-30), no trailing text, and no date-time without an offset (it would mean the local time
 * of whichever machine runs the command).
 */
export function parseInstant(value: string): Date {
  const usage =
    'use a day (YYYY-MM-DD) or a date-time with Z or an offset ' +
    '(2027-04-11T09:30:00Z, 2027-04-11T11:30+02:00)';
  const day = parseDay(value);
  if (day) return day;
  const match = DATE_TIME.exec(value);
  if (!match) {
    throw new CliError(`--as-of "${value}" is not an ISO 8601 date or date-time: ${usage}`, EXIT.usage);
  }
  const [, dayPart = '', hh = '', mm = '', ss = '0', fraction = '', zulu, sign, offH = '0', offM = '0'] =
    match;
  const midnight = parseDay(dayPart);
  const [hours, minutes, seconds] = [Number(hh), Number(mm), Number(ss)];
  const offset = zulu ? 0 : (sign === '-' ? -1 : 1) * (Number(offH) * 60 + Number(offM));
  if (!midnight || hours > 23 || minutes > 59 || seconds > 59 || Number(offH) > 23 || Number(offM) > 59) {
    throw new CliError(`--as-of "${value}" is not a real date or time: ${usage}`, EXIT.usage);
  }
  const ms = Number(fraction.padEnd(3, '0').slice(0, 3));
  return new Date(midnight.getTime() + ((hours * 60 + minutes - offset) * 60 + seconds) * 1000 + ms);
}

/** `--contract-end`: a day as YYYY-MM-DD that is on the calendar (no 2026-02-30). */
export function checkContractEnd(value: string): void {
  if (parseDay(value)) return;
  throw new CliError(
    /^\d{4}-\d{2}-\d{2}$/.test(value)
      ? `--contract-end "${value}" is not a calendar day: give a day that exists, as YYYY-MM-DD`
      : `--contract-end "${value}" must be a day as YYYY-MM-DD (e.g. 2026-06-30)`,
    EXIT.usage,
  );
}

function toCliError(error: RetentionError): CliError {
  switch (error.code) {
    case 'confirmation_required':
      return new CliError(`${error.message} (add --yes)`, EXIT.usage);
    case 'invalid_day':
      return new CliError(error.message, EXIT.usage);
    case 'tenant_not_found':
    case 'user_not_found':
      return new CliError(error.message, RETENTION_EXIT.notFound);
    case 'not_scheduled':
    case 'too_late':
      return new CliError(error.message, RETENTION_EXIT.conflict);
  }
}
