/** Starts the server with every feature wired in. */
import type { Config } from '../config/config.js';
import { productFeatures } from '../features.js';
import { serve } from '../server.js';

export async function startServer(config: Config): Promise<void> {
  await serve(config, { features: productFeatures });
}
