import pg from 'pg';
import { connectTimeoutMs } from './connect-timeout.js';

/**
 * pg's Client, giving up each connection attempt after DATABASE_URL's connect_timeout
 * (connect-timeout.ts), for a pool's `Client` option: the pool's own connectionTimeoutMillis would
 * also fail callers that wait for a busy pool's next free connection.
 */
export function timedClient(databaseUrl: string): typeof pg.Client {
  const connectionTimeoutMillis = connectTimeoutMs(databaseUrl);
  return class TimedClient extends pg.Client {
    constructor(config?: pg.ClientConfig) {
      super({ ...config, connectionTimeoutMillis });
    }
  };
}
