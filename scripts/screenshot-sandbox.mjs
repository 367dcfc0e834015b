// Takes the README's screenshot of the Outlook sandbox: Roomlink started as `npm start` starts it in
// demo mode (built CLI, fresh data directory, port 3000 when free), a new appointment as a test user,
// signed in through the identity emulator's page, a Roomlink meeting added from the task pane.
// Debian's Chromium through playwright-core, 1280x800, written as PNG.
//
//   npm run build && node scripts/screenshot-sandbox.mjs [out=docs/images/sandbox.png]
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './chromium.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'packages/server/dist/cli/main.js');
const OUT = path.resolve(process.argv[2] ?? path.join(ROOT, 'docs/images/sandbox.png'));
const USER = { upn: 'adele@contoso.example', account: /Adele Vance/ };
const VIEWPORT = { width: 1280, height: 800 };
const TIMEOUT_MS = 20_000;

/** 3000 (what the README's links show) when it is free, else any free port. */
const pickPort = () =>
  new Promise((resolve, reject) => {
    const tryListen = (port) => {
      const server = createServer();
      server.once('error', (error) => (port !== 0 ? tryListen(0) : reject(error)));
      server.listen(port, '127.0.0.1', () => {
        const { port: bound } = server.address();
        server.close(() => resolve(bound));
      });
    };
    tryListen(3000);
  });

/** The local calendar day `days` from today, as a datetime-local input wants it (YYYY-MM-DD). */
function localDay(days) {
  const date = new Date();
  date.setDate(date.getDate() + days);
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** Starts `roomlink serve` in demo mode; resolves once it logs that it is running. */
async function startServer(dataDir) {
  const port = await pickPort();
  const child = spawn(process.execPath, [CLI, 'serve'], {
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: String(port),
      ROOMLINK_BASE_URL: `http://localhost:${port}`,
      ROOMLINK_DATA_DIR: dataDir,
      ROOMLINK_KEY_PROVIDER: 'env',
      ROOMLINK_MASTER_KEYS: `screenshot-1:${randomBytes(32).toString('base64')}`,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise((resolve) => child.once('exit', resolve));
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start\n${output}`)), TIMEOUT_MS);
    const onData = (chunk) => {
      output += chunk.toString('utf8');
      for (const line of output.split('\n')) {
        try {
          if (String(JSON.parse(line).msg).startsWith('Roomlink is running')) {
            clearTimeout(timer);
            resolve();
          }
        } catch {
          // not a log line
        }
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (chunk) => {
      output += chunk.toString('utf8');
    });
    void exited.then((code) => reject(new Error(`the server exited (${code})\n${output}`)));
  });
  return {
    baseUrl: `http://localhost:${port}/`,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

const dataDir = await mkdtemp(path.join(tmpdir(), 'roomlink-screenshot-data-'));
let server;
let browser;
try {
  server = await startServer(dataDir);
  browser = await launchChromium({ viewport: VIEWPORT, deviceScaleFactor: 1 });
  const { context } = browser;
  context.setDefaultTimeout(TIMEOUT_MS);
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`${server.baseUrl}sandbox/?user=${encodeURIComponent(USER.upn)}`);
  await page.waitForFunction(() => globalThis.__outlookSandbox !== undefined);
  await page.evaluate(() => globalThis.__outlookSandbox.ready);

  await page.getByTestId('subject').fill('Quarterly planning');
  await page.getByTestId('attendees').fill('megan@contoso.example; alex@contoso.example');
  // Two days from now: the API refuses a meeting whose purge day (3 months on) has already come.
  const day = localDay(2);
  await page.getByTestId('start').fill(`${day}T10:00`);
  await page.getByTestId('end').fill(`${day}T11:00`);
  await page.getByTestId('body').click();
  await page.keyboard.type('Agenda: results of the quarter, then the plan for the next one.');

  // Roomlink options → Sign in: the dialog window shows the identity emulator's account picker.
  await page.getByTestId('addin-button-roomlinkTaskpane').click();
  const taskpane = page.frameLocator('[data-testid="taskpane-frame"]');
  const popup = page.waitForEvent('popup');
  await taskpane.getByTestId('sign-in').click();
  const prompt = page.getByTestId('dialog-allow');
  // Outlook asks before opening a dialog without a user gesture; a click in the pane is one.
  const dialog = await Promise.race([
    popup,
    prompt
      .waitFor()
      .then(() => prompt.click())
      .then(() => popup),
  ]);
  const signedIn = taskpane.getByText(`Signed in as Adele Vance (${USER.upn})`);
  // The add-in names the sandbox's user as login_hint, and the identity emulator may then sign them
  // in without its account picker: the dialog closes by itself.
  await Promise.race([
    signedIn.waitFor(),
    dialog
      .getByRole('button', { name: USER.account })
      .click()
      .catch(() => undefined),
  ]);
  await signedIn.waitFor();

  await taskpane.getByTestId('add-meeting').click();
  await page.waitForFunction(() =>
    Boolean(globalThis.__outlookSandbox.item().customProperties?.roomlinkMeetingId),
  );
  await taskpane.getByTestId('join-link').waitFor();
  await page.getByTestId('save').click();
  await page.waitForFunction(() => globalThis.__outlookSandbox.log.some((e) => e.type === 'saved'));
  await page.getByTestId('subject').focus();

  await mkdir(path.dirname(OUT), { recursive: true });
  await page.screenshot({ path: OUT, type: 'png' });
  console.log(`wrote ${path.relative(process.cwd(), OUT)} (${(await stat(OUT)).size} bytes)`);
} finally {
  await browser?.close();
  await server?.stop();
  await rm(dataDir, { recursive: true, force: true });
}
