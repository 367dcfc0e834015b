// Add-in click benchmark: "Add Roomlink meeting" clicked in the Outlook sandbox (headless Chromium),
// measured from the click to the join block appearing in the appointment body, over N clicks on fresh
// appointments. Everything runs on loopback: the sandbox, the built add-in and the stub of Roomlink's
// add-in API the sandbox browser tests use (the real server's POST /api/v1/meetings is measured by
// meetings-bench.mjs). Baseline, same run: the same POST made with fetch() from the page.
//
//   node bench/addin-click.mjs [clicks=40]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import path from 'node:path';
import { register } from 'tsx/esm/api';
import { ROOT } from './lib.mjs';

register();
const { default: Fastify } = await import('fastify');
const { registerStubRoomlink } = await import('../packages/addin/test/support/stub-roomlink.ts');
const { generateManifest } = await import('../packages/addin/src/manifest/generate.ts');
const { registerAddinRoutes } = await import('../packages/addin/src/serve/routes.ts');
const { createMemoryCalendar, registerSandbox } = await import('../packages/emulators/src/sandbox/index.ts');

const CLICKS = Number(process.argv[2] ?? 40);
const WARMUP = 5;
const USER = { upn: 'adele@contoso.test', displayName: 'Adele Vance', timeZone: 'Romance Standard Time' };

const addinDir = path.join(ROOT, 'packages/addin');
if (!existsSync(path.join(addinDir, 'dist/web/commands.html'))) {
  const built = spawnSync(process.execPath, [path.join(addinDir, 'scripts/build-web.mjs')], {
    stdio: 'inherit',
  });
  if (built.status !== 0) process.exit(1);
}

const server = createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const baseUrl = `http://127.0.0.1:${server.address().port}/`;
const app = Fastify();
const stub = registerStubRoomlink(app, { baseUrl: () => baseUrl });
await registerAddinRoutes(app, { baseUrl, version: '0.1.0' });
await registerSandbox(app, {
  prefix: '/sandbox',
  addinBaseUrl: baseUrl,
  manifestXml: generateManifest({ baseUrl, version: '0.1.0' }),
  graph: createMemoryCalendar([USER]),
});
await app.ready();
server.on('request', (req, res) => app.routing(req, res));

const { launchChromium } = await import('../scripts/chromium.mjs');
const browser = await launchChromium();
const { context } = browser;

try {
  const page = await context.newPage();
  await page.goto(`${baseUrl}sandbox/?user=${encodeURIComponent(USER.upn)}`);
  await page.waitForFunction(() => globalThis.__outlookSandbox !== undefined);
  await page.evaluate(() => globalThis.__outlookSandbox.ready);
  // Signed in already (as after the dialog): the add-in finds its session in localStorage.
  const session = stub.createSession(USER.upn);
  await page.evaluate((s) => localStorage.setItem('roomlink.session', JSON.stringify(s)), session);

  const click = () =>
    page.evaluate(async () => {
      const sandbox = globalThis.__outlookSandbox;
      const launches = sandbox.log.filter((e) => e.type === 'launch.completed').length;
      await sandbox.newAppointment();
      if (sandbox.log.filter((e) => e.type === 'launch.completed').length <= launches)
        throw new Error('no launch');
      const body = document.querySelector('[data-testid="body"]');
      const button = document.querySelector('[data-testid="addin-button-roomlinkAddMeeting"]');
      const done = sandbox.log.filter((e) => e.type === 'command.completed').length;
      const inserted = new Promise((resolve) => {
        const observer = new MutationObserver(() => {
          if (!body.innerHTML.includes('roomlink:begin')) return;
          observer.disconnect();
          resolve(performance.now());
        });
        observer.observe(body, { childList: true, subtree: true, characterData: true });
      });
      const t0 = performance.now();
      button.click();
      const tBlock = await inserted;
      while (sandbox.log.filter((e) => e.type === 'command.completed').length <= done) {
        await new Promise((resolve) => requestAnimationFrame(resolve));
      }
      const completed = sandbox.log.filter((e) => e.type === 'command.completed').at(-1).at;
      const loaded = sandbox.log.filter((e) => e.type === 'frame.ready' && e.kind === 'function').at(-1).at;
      return { block: tBlock - t0, completed: completed - t0, loaded: loaded - t0 };
    });

  const apiCall = () =>
    page.evaluate(
      async ({ base, token }) => {
        const t0 = performance.now();
        const response = await fetch(`${base}api/v1/meetings`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({
            subject: 'Bench',
            start: new Date().toISOString(),
            end: new Date(Date.now() + 1800000).toISOString(),
            idempotencyKey: `bench-${Math.random().toString(16).slice(2)}`,
          }),
        });
        await response.json();
        return performance.now() - t0;
      },
      { base: baseUrl, token: session.token },
    );

  for (let i = 0; i < WARMUP; i++) {
    await click();
    await apiCall();
  }
  const blocks = [];
  const completions = [];
  const loads = [];
  const apis = [];
  for (let i = 0; i < CLICKS; i++) {
    const r = await click();
    blocks.push(r.block);
    completions.push(r.completed);
    loads.push(r.loaded);
    apis.push(await apiCall());
  }

  const stats = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    const at = (q) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
    return { p50: at(0.5), p95: at(0.95), min: sorted[0], max: sorted.at(-1) };
  };
  const line = (label, s) =>
    `${label.padEnd(44)} p50 ${s.p50.toFixed(1).padStart(6)} ms   p95 ${s.p95.toFixed(1).padStart(6)} ms   min ${s.min.toFixed(1).padStart(6)} ms   max ${s.max.toFixed(1).padStart(6)} ms`;
  const block = stats(blocks);
  const api = stats(apis);
  console.log(`\n## Add Roomlink meeting in the Outlook sandbox (${CLICKS} clicks after ${WARMUP} warm-up)`);
  console.log(line('click → function file loaded (Office ready)', stats(loads)));
  console.log(line('click → join block in the body', block));
  console.log(line('click → event.completed', stats(completions)));
  console.log(line('baseline: POST /api/v1/meetings (fetch)', api));
  console.log(`ratio click→block / API call (p50): ${(block.p50 / api.p50).toFixed(1)}`);
} finally {
  await browser.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await app.close();
}
