import { createServer, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { timedClient } from './timed-pg-client.js';

describe('timedClient', () => {
  const accepted = new Set<Socket>();
  const hung = createServer((socket) => accepted.add(socket));
  afterEach(async () => {
    for (const socket of accepted) socket.destroy();
    accepted.clear();
    if (hung.listening) await new Promise((resolve) => hung.close(resolve));
  });

  it("gives up connecting to a server that never answers after the URL's connect_timeout", async () => {
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    const { port } = hung.address() as { port: number };
    const url = `postgres://roomlink@127.0.0.1:${port}/roomlink?connect_timeout=2`;
    const client = new (timedClient(url))({ connectionString: url });
    await expect(client.connect()).rejects.toThrow('timeout expired');
    // It did reach the server: the timeout, not a refusal, ended the attempt.
    expect(accepted.size).toBe(1);
  });
});
