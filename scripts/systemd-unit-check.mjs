#!/usr/bin/env node
/**
 * Boots deploy/systemd/roomlink.service under systemd, as PID 1 of a Debian 12 container
 * (systemd-nspawn), and checks that Roomlink, sandboxed by that unit, starts; serves its API, a room
 * and (with Chromium) a call with a lobby, chat and video; runs `doctor`, `dev sign-in` and
 * `keys rotate` through the deployment guide's `roomlink` script; and stops with status 0.
 *
 * Not part of `npm test`: it needs root, `apt-get install debootstrap systemd-container`, a build
 * (`npm run build`), and downloads a Debian base system (about 100 MB) the first time, kept in
 * ROOMLINK_CHECK_ROOTFS (default /var/lib/machines/roomlink-check). The container shares the host's
 * network: Roomlink listens on 127.0.0.1:ROOMLINK_CHECK_PORT (default 3456). Demo mode (no Microsoft
 * app registration), SQLite in /var/lib/roomlink, as the guide lays it out, or the PostgreSQL
 * database ROOMLINK_CHECK_DATABASE_URL names (postgres://…, an empty one; with `?host=<socket
 * directory>`, that directory is bound into the container and the service connects as its own
 * account, `roomlink`, which needs a role of that name). Roomlink must answer
 * within ROOMLINK_CHECK_BOOT_TIMEOUT_MS (default 60000) of the boot.
 *
 *
 * First, another process holds the port while the container boots, longer than systemd's start limit
 * (five starts in ten seconds): Roomlink must exit 75, be restarted by the unit, and serve once the
 * port is free.
 *
 *   sudo node scripts/systemd-unit-check.mjs
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ROOTFS = process.env.ROOMLINK_CHECK_ROOTFS ?? '/var/lib/machines/roomlink-check';
const PORT = Number(process.env.ROOMLINK_CHECK_PORT ?? 3456);
const BASE = `http://127.0.0.1:${PORT}`;
/** Optional: a PostgreSQL database (reached over the shared network) instead of SQLite. */
const DATABASE_URL = process.env.ROOMLINK_CHECK_DATABASE_URL;
/**
 * The Unix socket directory the database URL connects through (postgres:///roomlink?host=/run/…):
 * bound into the container, where the service connects as its own account, as the guide sets it up.
 */
const SOCKET_DIR = DATABASE_URL ? new URL(DATABASE_URL).searchParams.get('host') : null;
const BOOT_TIMEOUT_MS = Number(process.env.ROOMLINK_CHECK_BOOT_TIMEOUT_MS ?? 60_000);

const failures = [];
function check(ok, what) {
  console.log(`${ok ? 'ok  ' : 'FAIL'}  ${what}`);
  if (!ok) failures.push(what);
}

function fail(message) {
  console.error(`systemd-unit-check: ${message}`);
  process.exit(1);
}

if (process.getuid?.() !== 0) fail('run it as root (it boots a container)');
for (const tool of ['debootstrap', 'systemd-nspawn', 'nsenter']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    fail(`${tool} is missing: apt-get install debootstrap systemd-container`);
  }
}
if (!existsSync(path.join(REPO, 'packages/server/dist/cli/main.js'))) fail('not built: run npm run build');

// --- The container's file system ---------------------------------------------------------------

if (!existsSync(path.join(ROOTFS, 'usr/lib/systemd/systemd'))) {
  console.log(`debootstrap: a Debian 12 base system into ${ROOTFS} (once)`);
  execFileSync(
    'debootstrap',
    [
      '--variant=minbase',
      '--include=systemd,systemd-sysv,dbus',
      'bookworm',
      ROOTFS,
      'http://deb.debian.org/debian',
    ],
    { stdio: 'inherit' },
  );
}
const inRoot = (...parts) => path.join(ROOTFS, ...parts);
if (spawnSync('chroot', [ROOTFS, 'id', 'roomlink']).status !== 0) {
  // As the guide creates it.
  execFileSync('chroot', [
    ROOTFS,
    'useradd',
    '--system',
    '--user-group',
    '--home-dir',
    '/var/lib/roomlink',
    '--shell',
    '/usr/sbin/nologin',
    'roomlink',
  ]);
}
// A new data directory each run, as the guide makes it.
await rm(inRoot('var/lib/roomlink'), { recursive: true, force: true });
execFileSync('chroot', [
  ROOTFS,
  'install',
  '-d',
  '-o',
  'roomlink',
  '-g',
  'roomlink',
  '-m',
  '0700',
  '/var/lib/roomlink',
]);
await mkdir(inRoot('etc/roomlink'), { recursive: true, mode: 0o750 });
await writeFile(
  inRoot('etc/roomlink/env'),
  [
    `ROOMLINK_BASE_URL=${BASE}`,
    'HOST=127.0.0.1',
    `PORT=${PORT}`,
    'ROOMLINK_DATA_DIR=/var/lib/roomlink',
    ...(DATABASE_URL ? [`DATABASE_URL=${DATABASE_URL}`] : []),
    '',
  ].join('\n'),
  { mode: 0o600 },
);
// The guide's script for the other commands, taken from the guide itself.
const guide = await readFile(path.join(REPO, 'docs/deploy-microsoft-365.md'), 'utf8');
const wrapper =
  /```sh\n(#!\/bin\/sh\n# Runs a Roomlink command as the roomlink service runs[\s\S]*?)```/.exec(guide)?.[1];
if (!wrapper) fail("the guide's roomlink script was not found in docs/deploy-microsoft-365.md");
await writeFile(inRoot('usr/local/bin/roomlink'), wrapper);
await chmod(inRoot('usr/local/bin/roomlink'), 0o755);
// The unit as shipped; node and the checkout are bound in at the paths it names.
await writeFile(
  inRoot('etc/systemd/system/roomlink.service'),
  await readFile(path.join(REPO, 'deploy/systemd/roomlink.service')),
);
await mkdir(inRoot('etc/systemd/system/multi-user.target.wants'), { recursive: true });
await rm(inRoot('etc/systemd/system/multi-user.target.wants/roomlink.service'), { force: true });
await symlink(
  '/etc/systemd/system/roomlink.service',
  inRoot('etc/systemd/system/multi-user.target.wants/roomlink.service'),
);
await mkdir(inRoot('opt/roomlink'), { recursive: true });
await writeFile(inRoot('usr/bin/node'), '');

// --- Boot ----------------------------------------------------------------------------------------

// The port is taken when Roomlink first starts (the container shares this machine's network).
const squatter = net.createServer();
await new Promise((resolve, reject) => {
  squatter.once('error', reject);
  squatter.listen(PORT, '127.0.0.1', resolve);
});

const nspawn = spawn(
  'systemd-nspawn',
  [
    '-D',
    ROOTFS,
    '--boot',
    '--register=no',
    '--keep-unit',
    '--machine=roomlink-check',
    `--bind-ro=${process.execPath}:/usr/bin/node`,
    `--bind-ro=${REPO}:/opt/roomlink`,
    ...(SOCKET_DIR?.startsWith('/') ? [`--bind-ro=${SOCKET_DIR}`] : []),
  ],
  { stdio: ['ignore', 'ignore', 'inherit'] },
);
let stopping = false;
nspawn.on('exit', (code) => {
  if (!stopping) fail(`systemd-nspawn exited (${code}) while the checks ran`);
});

/** Runs a command inside the container (its namespaces, as root there). */
function inside(args) {
  const init = execFileSync('pgrep', ['-P', String(nspawn.pid)], { encoding: 'utf8' })
    .trim()
    .split('\n')[0];
  return spawnSync('nsenter', ['-t', init, '-a', ...args], { encoding: 'utf8' });
}

/** The unit's properties (`systemctl show`), or {} while the container has no init yet. */
function unitState() {
  try {
    const shown = inside([
      'systemctl',
      'show',
      'roomlink',
      ...['-p', 'NRestarts', '-p', 'ExecMainStatus', '-p', 'ActiveState', '-p', 'Result'],
    ]);
    return Object.fromEntries(
      shown.stdout
        .trim()
        .split('\n')
        .map((line) => line.split('=')),
    );
  } catch {
    return {};
  }
}

/**
 * Holds the port until Roomlink has failed on it and been restarted past systemd's start limit (five
 * starts in ten seconds): without a pause between restarts the unit would have given up by then.
 */
async function holdPortThroughRestarts(deadline) {
  let firstFailure;
  for (;;) {
    const state = unitState();
    if (firstFailure === undefined && state.ExecMainStatus === '75') firstFailure = Date.now();
    if (firstFailure !== undefined && Date.now() - firstFailure > 12_000) break;
    if (Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  const state = unitState();
  await new Promise((resolve) => squatter.close(resolve));
  const journal = inside(['journalctl', '-u', 'roomlink', '--no-pager', '-o', 'cat']).stdout;
  check(
    firstFailure !== undefined && Number(state.NRestarts) >= 2 && state.ActiveState !== 'failed',
    `with port ${PORT} taken, Roomlink exits 75 and the unit keeps restarting it (${state.NRestarts ?? 0} restarts in ${
      firstFailure === undefined ? 0 : Math.round((Date.now() - firstFailure) / 1000)
    } s, now ${state.ActiveState}, ${state.Result})`,
  );
  check(
    journal.includes(`roomlink: cannot listen on 127.0.0.1:${PORT}: another process is using port ${PORT}`),
    'the journal says which port is taken',
  );
}

/** Asks `route` every half second until it answers 200 or `deadline` passes: its last status (0: none). */
async function statusBy(route, deadline) {
  for (;;) {
    const status = (await fetch(`${BASE}${route}`).catch(() => undefined))?.status ?? 0;
    if (status === 200 || Date.now() > deadline) return status;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

try {
  await holdPortThroughRestarts(Date.now() + BOOT_TIMEOUT_MS);
  // Once the port is free, the next restart (at most 5 s later) serves.
  const deadline = Date.now() + BOOT_TIMEOUT_MS;
  if ((await statusBy('/healthz', deadline)) !== 200) {
    throw new Error(`Roomlink did not answer ${BASE}/healthz within ${BOOT_TIMEOUT_MS / 1000} s`);
  }
  check(true, 'the unit started Roomlink: /healthz answers');
  // Ready once its background workers have started too (a moment later than /healthz on PostgreSQL).
  const ready = await statusBy('/readyz', deadline);
  check(ready === 200, `/readyz answers 200: database and workers (${ready})`);
  // The process metrics come from /proc/self, all the sandbox leaves of /proc (ProcSubset=pid).
  const metrics = await (await fetch(`${BASE}/metrics`)).text();
  const gauge = (name) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1] ?? 0);
  check(
    gauge('roomlink_process_resident_memory_bytes') > 0 && gauge('roomlink_process_open_fds') > 0,
    '/metrics reports the process: resident memory, open files',
  );
  const security = inside(['systemd-analyze', 'security', 'roomlink', '--no-pager']);
  const exposure = /Overall exposure level for roomlink\.service: ([\d.]+)/.exec(security.stdout)?.[1];
  check(
    exposure !== undefined && Number(exposure) <= 2,
    `systemd-analyze security: exposure ${exposure} of 10`,
  );

  const doctor = inside(['roomlink', 'doctor']);
  check(doctor.status === 0, `roomlink doctor exits 0 (${doctor.status})`);
  const signIn = inside(['roomlink', 'dev', 'sign-in', '--user', 'megan@contoso.example']);
  const token = signIn.stdout.trim();
  check(signIn.status === 0 && token.length > 20, 'roomlink dev sign-in gives a session token');

  const start = new Date();
  const created = await fetch(`${BASE}/api/v1/meetings`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      subject: 'systemd unit check',
      start: start.toISOString(),
      end: new Date(start.getTime() + 60 * 60_000).toISOString(),
      options: { guestPin: true, lobby: true },
    }),
  });
  check(created.status === 201, `a meeting is created (${created.status})`);
  const meeting = await created.json();
  check((await fetch(meeting.joinUrl)).status === 200, 'its join page answers 200');

  if (existsSync('/usr/bin/chromium')) {
    const { FAKE_MEDIA_FLAGS, launchChromium } = await import('./chromium.mjs');
    const browser = await launchChromium({ args: [...FAKE_MEDIA_FLAGS] });
    try {
      const page = async (name, pin) => {
        const p = await browser.context.newPage();
        await p.goto(meeting.joinUrl);
        await p.getByLabel('Your name').fill(name);
        await p.getByLabel(/PIN/).fill(pin);
        await p.getByRole('button', { name: 'Join', exact: true }).click();
        return p;
      };
      const host = await page('Hana', meeting.hostPin);
      await host.getByRole('button', { name: 'Leave' }).waitFor({ timeout: 15_000 });
      const guest = await page('Gus', meeting.guestPin);
      await guest.getByText('Waiting to be let in').waitFor({ timeout: 15_000 });
      await host.getByRole('button', { name: 'Admit Gus', exact: true }).click();
      await guest.getByRole('button', { name: 'Leave' }).waitFor({ timeout: 15_000 });
      await guest.getByLabel('Message').fill('hello from the sandbox');
      await guest.getByRole('button', { name: 'Send' }).click();
      await host
        .locator('#chat-log .chat-text', { hasText: 'hello from the sandbox' })
        .waitFor({ timeout: 15_000 });
      // Video from the other side plays on both pages: media went through.
      const seesVideo = (p) =>
        p
          .waitForFunction(
            '[...document.querySelectorAll("video")].filter((v) => v.readyState >= 2 && v.videoWidth > 0).length >= 2',
            null,
            { timeout: 30_000 },
          )
          .then(
            () => true,
            () => false,
          );
      check(
        (await seesVideo(host)) && (await seesVideo(guest)),
        'in Chromium: the host admits a guest from the lobby, chat arrives, both see video',
      );
    } catch (error) {
      check(false, `in Chromium: ${error instanceof Error ? error.message.split('\n')[0] : error}`);
    } finally {
      await browser.close();
    }
  } else {
    console.log('skip  the call in a browser: /usr/bin/chromium is not installed');
  }

  const rotate = inside(['roomlink', 'keys', 'rotate']);
  check(rotate.status === 0, `roomlink keys rotate exits 0 while the service runs (${rotate.status})`);
  const read = await fetch(`${BASE}/api/v1/meetings/${meeting.id}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  check(
    read.status === 200 && (await read.json()).subject === 'systemd unit check',
    'the meeting reads back after rotation',
  );

  const stop = inside(['systemctl', 'stop', 'roomlink']);
  const state = inside(['systemctl', 'show', 'roomlink', '-p', 'Result', '-p', 'ExecMainStatus']).stdout;
  check(
    stop.status === 0 && state.includes('Result=success') && state.includes('ExecMainStatus=0'),
    'systemctl stop: Roomlink stopped with status 0',
  );
  const journal = inside(['journalctl', '-u', 'roomlink', '--no-pager', '-o', 'cat']).stdout;
  const refused = journal
    .split('\n')
    .filter((line) => /EPERM|EACCES|EROFS|SIGSYS|"level":(50|60)/.test(line));
  check(
    refused.length === 0,
    `the journal shows no refused call or error${refused.length ? `:\n${refused.join('\n')}` : ''}`,
  );
} catch (error) {
  check(false, error instanceof Error ? error.message : String(error));
  console.error(inside(['journalctl', '-u', 'roomlink', '--no-pager', '-o', 'cat', '-n', '20']).stdout);
} finally {
  stopping = true;
  inside(['systemctl', 'poweroff']);
  await new Promise((resolve) => {
    const timer = setTimeout(() => {
      nspawn.kill('SIGKILL');
      resolve();
    }, 20_000);
    nspawn.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

console.log(failures.length ? `${failures.length} check(s) failed` : 'every check passed');
process.exit(failures.length ? 1 : 0);
