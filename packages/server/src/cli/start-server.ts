/** Starts the server with every feature wired in. */
import { type Config, configWarnings } from '../config/config.js';
import { productFeatures } from '../features.js';
import { serve } from '../server.js';

export async function startServer(config: Config): Promise<void> {
  await serve(config, {
    features: async (runtime, logger) => {
      // Valid, but not what a production deployment wants (e.g. no Graph notifications over http).
      for (const warning of configWarnings(config)) logger.warn(warning);
      return productFeatures(runtime, logger);
    },
  });
}
