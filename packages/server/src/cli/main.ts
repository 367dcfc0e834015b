#!/usr/bin/env node
/** The `roomlink` command line. Exit codes are listed in docs/errors.md. */
import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig } from '../config/config.js';
import { KeyError } from '../crypto/key-provider.js';
import { registerCommands } from './commands.js';
import { CliError, EXIT } from './exit.js';
import { registerRetentionCommands } from './retention-commands.js';

const program = new Command('roomlink')
  .description('Roomlink: one-click video meetings for Outlook, self-hosted')
  .exitOverride()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

registerCommands(program, () => loadConfig(process.env));
registerRetentionCommands(program, () => loadConfig(process.env));

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CommanderError) {
    process.exitCode = error.exitCode === 0 ? 0 : EXIT.usage;
    return;
  }
  if (error instanceof ConfigError) {
    process.stderr.write(`roomlink: ${error.message}\n`);
    process.exitCode = EXIT.config;
    return;
  }
  // A keyring that is missing, unreadable or damaged, a master key the provider lacks, a data key it
  // cannot open: the keys exit code, whatever the command.
  if (error instanceof KeyError) {
    process.stderr.write(`roomlink: ${error.message}\n`);
    process.exitCode = EXIT.keys;
    return;
  }
  if (error instanceof CliError) {
    process.stderr.write(`roomlink: ${error.message}\n`);
    process.exitCode = error.exitCode;
    return;
  }
  process.stderr.write(`roomlink: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = EXIT.failure;
});
