#!/usr/bin/env node
/** The `roomlink` command line. Exit codes are listed in docs/errors.md. */
import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig } from '../config/config.js';
import { KeyError } from '../crypto/key-provider.js';
import { DatabaseUnavailable } from '../store/database-unavailable.js';
import { registerCommands } from './commands.js';
import { CliError, EXIT, withoutSecrets } from './exit.js';
import { registerRetentionCommands } from './retention-commands.js';

const program = new Command('roomlink')
  .description('Roomlink: one-click video meetings for Outlook, self-hosted')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

registerCommands(program, () => loadConfig(process.env));
registerRetentionCommands(program, () => loadConfig(process.env));

/** A failed command's message (never the database password) and its exit code. */
function fail(message: string, code: number): void {
  process.stderr.write(`roomlink: ${withoutSecrets(message, process.env.DATABASE_URL)}\n`);
  process.exitCode = code;
  // A failed command closes what it opened, and the process ends by itself. Should something still
  // hold it up (a socket, a pool's timer), it must not keep running as if nothing had failed.
  setTimeout(() => process.exit(code), FAILED_EXIT_GRACE_MS).unref();
}

const FAILED_EXIT_GRACE_MS = 2_000;

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : EXIT.usage;
    return;
  }
  if (error instanceof ConfigError) return fail(error.message, EXIT.config);
  // A keyring that is missing, unreadable or damaged, a master key the provider lacks, a data key it
  // cannot open: the keys exit code, whatever the command.
  if (error instanceof KeyError) return fail(error.message, EXIT.keys);
  if (error instanceof CliError) return fail(error.message, error.exitCode);
  // PostgreSQL down or refusing the connection when the server starts or `migrate` runs: as doctor
  // says it (69), which a service manager restarts, unlike 77 and 78.
  if (error instanceof DatabaseUnavailable) return fail(error.message, EXIT.database);
  fail(error instanceof Error ? error.message : String(error), EXIT.failure);
});
