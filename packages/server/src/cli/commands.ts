import { generateManifest } from '@roomlink/addin';
import type { Command } from 'commander';
import pino from 'pino';
import { ADDIN_VERSION } from '../addin.js';
import { BASE_URL_RULE, type Config, parseBaseUrl } from '../config/config.js';
import { FileKeyProvider } from '../crypto/local-key-provider.js';
import { rotateMasterKey } from '../crypto/rotate.js';
import { scriptedSignIn } from '../identity/scripted-sign-in.js';
import { loggerOptions } from '../observability/logger.js';
import { createKeyProvider, privateSqliteFiles } from '../runtime.js';
import { migrateStore, openStore } from '../store/kysely-store.js';
import { emptyLogWith, type LogCompaction } from '../store/log-compaction.js';
import { runDoctor } from './doctor.js';
import { openExistingStore, requireExistingDatabase } from './existing-database.js';
import { CliError, EXIT } from './exit.js';
import { startServer } from './start-server.js';

/**
 * The operator waits for `keys rotate` anyway: checkpoints are tried for up to a second while the
 * server's background checkpointer or a short read is in the way (sign-out tries for 100 ms).
 */
const LOG_CHECKPOINT_ATTEMPTS = 50;
const LOG_CHECKPOINT_RETRY_MS = 20;

function logKept(log: LogCompaction): string {
  if (log.outcome === 'busy') return 'another connection kept the log from being checkpointed';
  if (log.outcome === 'failed')
    return `the log could not be checkpointed: ${log.error instanceof Error ? log.error.message : String(log.error)}`;
  return 'a reader in another connection kept the log from being truncated';
}

function logFile(location: string): string {
  return `${location.replace(/^sqlite:/, '')}-wal`;
}

export function registerCommands(program: Command, config: () => Config): void {
  program
    .command('serve')
    .description('run the Roomlink server')
    .action(async () => {
      await startServer(config());
    });

  program
    .command('migrate')
    .description('apply pending database migrations and exit')
    .action(async () => {
      const c = config();
      // A database this command creates is private from the start, as one the server creates.
      await privateSqliteFiles(c.databaseUrl, pino(loggerOptions(c.logLevel)));
      const store = await openStore(c.databaseUrl, { migrate: false });
      try {
        const report = await migrateStore(store);
        process.stdout.write(
          report.applied.length ? `applied: ${report.applied.join(', ')}\n` : 'database is up to date\n',
        );
      } finally {
        await store.close();
      }
    });

  const keys = program.command('keys').description('manage the master keys that protect tenant data keys');
  keys
    .command('init')
    .description('create the master keyring file (file key provider)')
    .action(async () => {
      const c = config();
      if (c.keys.provider !== 'file')
        throw new CliError('keys init applies to the file key provider only', EXIT.usage);
      const provider = new FileKeyProvider(c.keys.keyringFile);
      // A symbolic link there leading nowhere is refused (exit 77), naming link and target.
      const created = await provider.ensure();
      // An existing keyring is checked, not trusted: "nothing changed" must not hide a damaged one,
      // nor one that other accounts can read (made 0600, and said so).
      let modeChanged = false;
      await provider.load({
        logger: {
          warn: (_fields: unknown, message?: unknown) => {
            modeChanged = true;
            process.stderr.write(`roomlink: warning: ${String(message)}\n`);
          },
        },
      });
      process.stdout.write(
        created
          ? `created ${c.keys.keyringFile}; back it up: without it no stored meeting can be read\n`
          : `${c.keys.keyringFile} exists; ${modeChanged ? 'its keys were not changed' : 'nothing changed'}\n`,
      );
    });
  keys
    .command('rotate')
    .description('rewrap every tenant data key under a new master key, then retire the old ones')
    .action(async () => {
      const c = config();
      // Refused (69, or 78 for no SQLite database at all) before anything on disk changes.
      await requireExistingDatabase(c.databaseUrl);
      const logger = pino(loggerOptions(c.logLevel));
      // Rotation never creates a keyring: a new one would hold none of the keys in use.
      const provider = await createKeyProvider(c, logger, { createDemoKeyring: false });
      // Never migrates: an empty or outdated database (a wrong DATABASE_URL) is refused, exit 69.
      const store = await openExistingStore(c.databaseUrl);
      try {
        const result = await rotateMasterKey(store.tenantKeys, provider);
        // The audit entry is the commit that restarts SQLite's log: the rows as they were before
        // rotation, wrapped with the retired master keys, must not stay in the -wal file.
        const log = await emptyLogWith(
          store,
          () =>
            store.audit.append(
              {
                tenantId: null,
                actorId: 'cli',
                action: 'keys.rotated',
                details: {
                  rewrapped: result.rewrapped,
                  retired: result.retired.length,
                  masterKeyId: result.newMasterKeyId,
                },
              },
              new Date(),
            ),
          { attempts: LOG_CHECKPOINT_ATTEMPTS, retryMs: LOG_CHECKPOINT_RETRY_MS },
        );
        process.stdout.write(
          `master key ${result.newMasterKeyId} is current; ${result.rewrapped} data keys rewrapped` +
            (result.retired.length > 0 ? `; retired: ${result.retired.join(', ')}` : '') +
            '\n',
        );
        const others = (await provider.masterKeyIds()).filter((id) => id !== result.newMasterKeyId);
        if (result.noDataKeys && others.length > 0) {
          // An empty database says nothing about which keys are in use: never advise removing one.
          process.stdout.write(
            `no master key was retired: this database holds no data keys, so nothing shows that ` +
              `${others.join(', ')} ${others.length > 1 ? 'are' : 'is'} unused (a DATABASE_URL naming ` +
              'the wrong database looks the same). Keep ' +
              `${others.length > 1 ? 'them' : 'it'}${provider.retireMasterKey ? '' : ' in ROOMLINK_MASTER_KEYS'}; ` +
              'if this database should hold data, check DATABASE_URL\n',
          );
        } else if (!provider.retireMasterKey) {
          // The env provider's keys are the operator's to remove: name those no data key uses now.
          process.stdout.write(
            others.length > 0
              ? `no data key is wrapped with ${others.join(', ')} any more: remove ${others.length > 1 ? 'them' : 'it'} ` +
                  'from ROOMLINK_MASTER_KEYS and restart\n'
              : `ROOMLINK_MASTER_KEYS holds ${result.newMasterKeyId} only, and every data key is wrapped with it: ` +
                  'nothing to remove (to rotate, put a new key first in ROOMLINK_MASTER_KEYS, restart, and ' +
                  'run "roomlink keys rotate" again)\n',
          );
        }
        if (log.outcome === 'postgres') {
          process.stdout.write(
            'PostgreSQL keeps the old row versions of tenant_keys (the data keys as wrapped with the old ' +
              'master keys) in its files until VACUUM FULL: run "VACUUM FULL tenant_keys;" (it locks the ' +
              'table for a moment)\n',
          );
        } else if (log.outcome !== 'emptied') {
          // Rotation is done and recorded; what is left is a copy the retired keys still open.
          throw new CliError(
            `rotation is done, but the database's write-ahead log (${logFile(store.location)}) may ` +
              `still hold the data keys as wrapped with the old master keys (${logKept(log)}): ` +
              'run "roomlink keys rotate" again when the server is less busy, or restart Roomlink ' +
              '(SQLite empties the log when its last connection closes)',
            EXIT.failure,
          );
        }
      } finally {
        await store.close();
      }
    });

  program
    .command('dev')
    .description('developer tools for demo mode')
    .command('sign-in')
    .description('sign a demo user in through the real HTTP flow and print an add-in session token')
    .requiredOption('--user <upn>', 'a test user of the identity emulator, e.g. adele@contoso.example')
    .option('--url <url>', 'the running Roomlink (default: ROOMLINK_BASE_URL)')
    .action(async (options: { user: string; url?: string }) => {
      if (options.url !== undefined && !isHttpUrl(options.url)) {
        throw new CliError(
          `--url "${options.url}" is not an http(s) URL: give the running Roomlink's address, e.g. http://localhost:3000`,
          EXIT.usage,
        );
      }
      const c = config();
      if (c.microsoft) {
        throw new CliError(
          'dev sign-in works in demo mode only; this Roomlink is not in demo mode (MS_CLIENT_ID is set)',
          EXIT.usage,
        );
      }
      const result = await scriptedSignIn(options.url ?? c.baseUrl.toString(), options.user);
      process.stdout.write(`${result.token}\n`);
      process.stderr.write(
        `signed in ${result.user.upn} (tenant ${result.user.tenantId}); session expires ${result.expiresAt}\n`,
      );
    });

  program
    .command('manifest')
    .description('print the Outlook add-in manifest (XML) for a base URL')
    .option('--base-url <url>', 'the public URL of this Roomlink (default: ROOMLINK_BASE_URL)')
    .action((options: { baseUrl?: string }) => {
      let baseUrl: URL;
      if (options.baseUrl === undefined) {
        baseUrl = config().baseUrl;
      } else {
        // ROOMLINK_BASE_URL's rule: a manifest for a URL no server can have (a path) would name pages
        // no Roomlink serves, under an add-in id no server's own manifest has.
        try {
          baseUrl = parseBaseUrl(options.baseUrl);
        } catch {
          throw new CliError(
            `cannot build the manifest: --base-url "${options.baseUrl}" ${BASE_URL_RULE}, as ` +
              'ROOMLINK_BASE_URL (Roomlink serves at the root of its host)',
            EXIT.usage,
          );
        }
      }
      if (baseUrl.protocol !== 'https:') {
        process.stderr.write(
          `roomlink: warning: ${baseUrl.origin} is not https: Outlook loads add-ins over https only, ` +
            'so this manifest is of no use to it (give the public https URL of the TLS proxy)\n',
        );
      }
      try {
        process.stdout.write(generateManifest({ baseUrl: baseUrl.toString(), version: ADDIN_VERSION }));
      } catch (error) {
        throw new CliError(`cannot build the manifest: ${(error as Error).message}`, EXIT.usage);
      }
    });

  program
    .command('doctor')
    .description('check configuration, database and keys; the exit code says which failed')
    .action(async () => {
      const code = await runDoctor(process.env, (line) => process.stdout.write(`${line}\n`));
      process.exitCode = code;
    });
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
