/** Starts the server with every feature wired in. */
import { type Config, configWarnings } from '../config/config.js';
import { productFeatures } from '../features.js';
import { ListenFailed } from '../http/listen-failure.js';
import { StoppedWhileStarting, serve } from '../server.js';
import { SqliteServeLockHeld } from '../store/sqlite-serve-lock.js';
import { refuseDemoLeftovers } from './demo-leftovers.js';
import { CliError, EXIT } from './exit.js';
import { checkMasterKeyCoverage } from './key-coverage.js';

export async function startServer(config: Config): Promise<void> {
  try {
    await serve(config, {
      features: async (runtime, logger) => {
        // Every stored data key must open with this process's master keys: a tenant whose key is
        // missing here would get a 500 on every request while /readyz says ready (exit 77 instead).
        await checkMasterKeyCoverage(runtime.store, runtime.keyProvider);
        // The demo's password-less sessions must not open a production Roomlink (exit 78 instead).
        await refuseDemoLeftovers(runtime.store, config);
        // Valid, but not what a production deployment wants (e.g. no Graph notifications over http).
        for (const warning of configWarnings(config)) logger.warn(warning);
        return productFeatures(runtime, logger);
      },
    });
  } catch (error) {
    // SIGTERM during the start: the signal's handler exits once everything is closed.
    if (error instanceof StoppedWhileStarting) return;
    // Another server uses the SQLite database: this one changed nothing in it (exit 69).
    if (error instanceof SqliteServeLockHeld) throw new CliError(error.message, EXIT.database);
    // Port taken (75: a restart may find it free); HOST or PORT this account cannot use (78).
    if (error instanceof ListenFailed)
      throw new CliError(error.message, error.kind === 'in-use' ? EXIT.addressInUse : EXIT.config);
    throw error;
  }
}
