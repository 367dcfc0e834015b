import { generateManifest } from '@roomlink/addin';
import type { Command } from 'commander';
import pino from 'pino';
import { ADDIN_VERSION } from '../addin.js';
import type { Config } from '../config/config.js';
import { FileKeyProvider } from '../crypto/local-key-provider.js';
import { rotateMasterKey } from '../crypto/rotate.js';
import { scriptedSignIn } from '../identity/scripted-sign-in.js';
import { loggerOptions } from '../observability/logger.js';
import { createKeyProvider, privateSqliteFiles } from '../runtime.js';
import { currentSchema, openStore } from '../store/kysely-store.js';
import { migrateToLatest } from '../store/migrations/index.js';
import { runDoctor } from './doctor.js';
import { requireExistingDatabase } from './existing-database.js';
import { CliError, EXIT } from './exit.js';
import { startServer } from './start-server.js';

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
        const report = await migrateToLatest(store.db, await currentSchema(store.db, store.dialect));
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
      const created = await new FileKeyProvider(c.keys.keyringFile).ensure();
      process.stdout.write(
        created
          ? `created ${c.keys.keyringFile}; back it up: without it no stored meeting can be read\n`
          : `${c.keys.keyringFile} exists; nothing changed\n`,
      );
    });
  keys
    .command('rotate')
    .description('rewrap every tenant data key under a new master key, then retire the old ones')
    .action(async () => {
      const c = config();
      requireExistingDatabase(c.databaseUrl);
      const logger = pino(loggerOptions(c.logLevel));
      const provider = await createKeyProvider(c, logger);
      const store = await openStore(c.databaseUrl);
      try {
        const result = await rotateMasterKey(store.tenantKeys, provider);
        await store.audit.append(
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
        );
        process.stdout.write(
          `master key ${result.newMasterKeyId} is current; ${result.rewrapped} data keys rewrapped; ` +
            `retired: ${result.retired.join(', ') || 'none'}\n`,
        );
        if (!provider.retireMasterKey) {
          process.stdout.write('remove the old keys from ROOMLINK_MASTER_KEYS now that nothing uses them\n');
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
      const c = config();
      if (c.microsoft) {
        throw new CliError(
          'dev sign-in works in demo mode only; this Roomlink uses the Microsoft cloud',
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
      const baseUrl = options.baseUrl ?? config().baseUrl.toString();
      try {
        process.stdout.write(generateManifest({ baseUrl, version: ADDIN_VERSION }));
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
