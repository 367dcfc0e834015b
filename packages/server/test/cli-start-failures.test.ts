/**
 * `roomlink serve` (and `migrate`) when the machine stops them before they serve: a port another
 * process holds, a HOST or PORT this account cannot use, a PostgreSQL that cannot be reached or
 * refuses the connection. Each names what it tried and exits with the code docs/errors.md gives, so
 * that the systemd unit restarts the ones waiting can fix (69, 75) and not the others (78).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { EXIT } from '../src/cli/exit.js';
import { createTestDatabase, dialectAvailability } from './support/databases.js';
import { freePort, testMasterKeys } from './support/harness.js';
import { CLI, runCliUntilServing } from './support/server-process.js';

let dir: string | undefined;
let squatter: Server | undefined;
/** What the squatter accepted: closing it waits for them. */
const accepted = new Set<Socket>();
afterEach(async () => {
  for (const socket of accepted) socket.destroy();
  accepted.clear();
  await new Promise((resolve) => (squatter ? squatter.close(resolve) : resolve(undefined)));
  squatter = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

const dataDir = async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'roomlink-start-'));
  return dir;
};

describe('roomlink serve on a port another process holds', () => {
  it('exits 75 naming the address and the way out, and serves once the port is free', async () => {
    const port = await freePort();
    squatter = createServer();
    await new Promise<void>((resolve) => squatter?.listen(port, '127.0.0.1', resolve));
    const env = { HOST: '127.0.0.1', PORT: String(port), ROOMLINK_DATA_DIR: await dataDir() };

    const taken = await runCliUntilServing(['serve'], env);
    expect(taken.code).toBe(EXIT.addressInUse);
    expect(taken.stderr).toContain(
      `roomlink: cannot listen on 127.0.0.1:${port}: another process is using port ${port} there; ` +
        `stop it, or set PORT to a free port (PORT=${port + 1} npm start, say)`,
    );
    expect(taken.stdout).not.toContain('Roomlink is running');

    // What a service manager's restart then does: the same command, the port now free.
    await new Promise((resolve) => squatter?.close(resolve));
    squatter = undefined;
    const freed = await runCliUntilServing(['serve'], env);
    expect(freed.stderr).toBe('');
    expect(freed.code).toBeNull();
  });
});

describe('roomlink serve with a HOST or PORT it cannot use', () => {
  it('exits 78 (configuration) for a HOST that is no address of this machine', async () => {
    const env = {
      // TEST-NET-1 (RFC 5737): never an address of this machine.
      HOST: '192.0.2.1',
      ROOMLINK_DEMO_PUBLIC: 'true',
      PORT: String(await freePort()),
      ROOMLINK_DATA_DIR: await dataDir(),
    };
    const result = await runCliUntilServing(['serve'], env);
    expect(result.code).toBe(EXIT.config);
    expect(result.stderr).toContain(
      `roomlink: cannot listen on 192.0.2.1:${env.PORT}: HOST=192.0.2.1 is not an address of this machine`,
    );
  });

  // Ports below ip_unprivileged_port_start need root (or CAP_NET_BIND_SERVICE): as root, the command
  // runs as nobody, which needs the checkout to be readable by it.
  const unprivilegedFrom = Number(
    spawnSync('cat', ['/proc/sys/net/ipv4/ip_unprivileged_port_start'], { encoding: 'utf8' }).stdout || 0,
  );
  const as = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : undefined;
  const runnable =
    unprivilegedFrom > 80 &&
    (!as || spawnSync(process.execPath, [CLI, '--help'], { uid: as.uid, gid: as.gid }).status === 0);
  if (!runnable) console.warn('no port here that this account may not use: the EACCES test is skipped');

  it.skipIf(!runnable)('exits 78 for a port below 1024, saying what it takes', async () => {
    const data = await dataDir();
    if (as) await chown(data, as.uid, as.gid);
    await chmod(data, 0o700);
    const result = await runCliUntilServing(
      ['serve'],
      { HOST: '127.0.0.1', PORT: '80', ROOMLINK_DATA_DIR: data },
      as,
    );
    expect(result.code).toBe(EXIT.config);
    expect(result.stderr).toContain(
      'roomlink: cannot listen on 127.0.0.1:80: this account may not use port 80 (ports below 1024 ' +
        'need root or CAP_NET_BIND_SERVICE)',
    );
  });
});

describe('roomlink serve, migrate and doctor when PostgreSQL cannot be reached', () => {
  it('exit 69 naming the database without its password, and create nothing', async () => {
    const port = await freePort();
    const data = await dataDir();
    const env = {
      HOST: '127.0.0.1',
      PORT: String(await freePort()),
      ROOMLINK_DATA_DIR: data,
      DATABASE_URL: `postgres://roomlink:s3cret-pw@127.0.0.1:${port}/roomlink`,
    };
    const expected =
      `roomlink: cannot connect to the database at postgres://127.0.0.1:${port}/roomlink: ` +
      `connect ECONNREFUSED 127.0.0.1:${port}; nothing was changed. Check that PostgreSQL runs there`;
    for (const command of ['serve', 'migrate']) {
      const result = await runCliUntilServing([command], env);
      expect(result.code, command).toBe(EXIT.database);
      expect(result.stderr, command).toContain(expected);
      expect(result.stderr + result.stdout, command).not.toContain('s3cret-pw');
    }
    // doctor, which an operator runs next, says it in the same words.
    const doctor = await runCliUntilServing(['doctor'], env);
    expect(doctor.code).toBe(EXIT.database);
    expect(doctor.stdout).toContain(
      `FAIL  database: cannot connect to postgres://127.0.0.1:${port}/roomlink: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expect(doctor.stdout + doctor.stderr).not.toContain('s3cret-pw');
  });

  it('exit 69 when the server accepts the connection and never answers, after connect_timeout', async () => {
    // A hung host, or a proxy whose database is down: pg alone would wait forever, silently.
    squatter = createServer((socket) => accepted.add(socket));
    const port = await freePort();
    await new Promise<void>((resolve) => squatter?.listen(port, '127.0.0.1', resolve));
    const env = {
      HOST: '127.0.0.1',
      PORT: String(await freePort()),
      ROOMLINK_DATA_DIR: await dataDir(),
      DATABASE_URL: `postgres://roomlink@127.0.0.1:${port}/roomlink?connect_timeout=2`,
    };
    for (const command of ['serve', 'migrate']) {
      const result = await runCliUntilServing([command], env);
      expect(result.code, command).toBe(EXIT.database);
      expect(result.stderr, command).toContain(
        `cannot connect to the database at postgres://127.0.0.1:${port}/roomlink: it did not answer ` +
          "within the connection timeout (DATABASE_URL's connect_timeout, 10 s unless set)",
      );
    }
  });

  const postgres = dialectAvailability('postgres');
  const socketDir = '/var/run/postgresql';
  const socket = !postgres.skip && existsSync(path.join(socketDir, '.s.PGSQL.5432'));
  it.skipIf(!socket)(
    `over PostgreSQL's Unix socket (host=${socketDir}), as the deployment guide sets it up: migrate, then doctor naming the socket (${postgres.label})`,
    async () => {
      const database = await createTestDatabase('postgres');
      try {
        const tcp = new URL(database.url);
        const viaSocket = `postgres://${tcp.pathname}?host=${socketDir}&user=${tcp.username}&options=${encodeURIComponent(
          tcp.searchParams.get('options') ?? '',
        )}`;
        const env = {
          DATABASE_URL: viaSocket,
          ROOMLINK_DATA_DIR: await dataDir(),
          ROOMLINK_KEY_PROVIDER: 'env',
          ROOMLINK_MASTER_KEYS: testMasterKeys(),
        };
        const migrated = await runCliUntilServing(['migrate'], env);
        expect(migrated.stderr).toBe('');
        expect(migrated.code).toBe(EXIT.ok);
        expect(migrated.stdout).toMatch(/^applied: 0001_initial, /);
        const doctor = await runCliUntilServing(['doctor'], env);
        expect(doctor.code, doctor.stdout).toBe(EXIT.ok);
        expect(doctor.stdout).toContain(
          `ok    database postgres://${tcp.pathname}?host=${socketDir}, schema ${database.schema}`,
        );
      } finally {
        await database.drop();
      }
    },
  );
  it.skipIf(postgres.skip)(
    `exit 69 for a database the server does not have (${postgres.label})`,
    async () => {
      const url = new URL(inject('postgres').url as string);
      url.pathname = '/roomlink_no_such_database';
      const env = {
        HOST: '127.0.0.1',
        PORT: String(await freePort()),
        ROOMLINK_DATA_DIR: await dataDir(),
        DATABASE_URL: url.toString(),
      };
      for (const command of ['serve', 'migrate']) {
        const result = await runCliUntilServing([command], env);
        expect(result.code, command).toBe(EXIT.database);
        expect(result.stderr, command).toContain(
          `/roomlink_no_such_database: database "roomlink_no_such_database" does not exist (3D000); ` +
            'nothing was changed',
        );
      }
    },
  );
});
