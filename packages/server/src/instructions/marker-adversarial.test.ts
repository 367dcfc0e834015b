import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { type JoinDetails, renderInstructions } from './index.js';
import { insertJoinBlock } from './marker.js';

// Calendar sync reads the body of every event in a user's calendar, and anyone can put an event
// there by sending an invitation. Each body below made the old scans quadratic (the security review
// timed 313 KiB of tokens inside one attribute at 64 s): at these sizes, many minutes on the event
// loop, against milliseconds for a linear scan. A scan is synchronous, so a test timeout could not
// stop it: each runs in a worker thread that is ended after DEADLINE_MS, a bound for a hang, not a
// measure of speed. Each test also checks that the real block after the junk is still found.
const DEADLINE_MS = 20_000;

// marker.ts imports nothing, so its transpiled text runs in a worker as it is.
const markerModule = `data:text/javascript;base64,${Buffer.from(
  ts.transpileModule(readFileSync(new URL('./marker.ts', import.meta.url), 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText,
).toString('base64')}`;

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.module).then((marker) =>
  parentPort.postMessage(marker[workerData.call](...workerData.args) ?? null));`;

function scan(call: 'findJoinBlock' | 'findJoinLink', ...args: unknown[]): Promise<unknown> {
  const worker = new Worker(WORKER, { eval: true, workerData: { module: markerModule, call, args } });
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => {
      void worker.terminate();
      reject(new Error(`${call} did not finish within ${DEADLINE_MS} ms`));
    }, DEADLINE_MS);
    worker.once('message', (result) => {
      clearTimeout(deadline);
      void worker.terminate();
      resolve(result);
    });
    worker.once('error', (error) => {
      clearTimeout(deadline);
      reject(error);
    });
  });
}

const details: JoinDetails = {
  meetingId: '3f2b8c1e-5d4a-4c6b-9e8f-1a2b3c4d5e6f',
  joinUrl: 'https://roomlink.example/m/Zk3pQ9xY2mN8vB4tR6wL1a',
  conferenceId: '4815162342',
  sipUri: '4815162342@roomlink.example',
  guestPin: '902114',
  hostPin: '558031',
};
const SLUG = 'Zk3pQ9xY2mN8vB4tR6wL1a';
const block = renderInstructions(details, 'en');
const MIB = 1024 * 1024;

/** `unit` repeated to about `bytes`, then the real block. */
function htmlBody(prefix: string, unit: string, suffix: string, bytes = 2 * MIB): string {
  const junk = prefix + unit.repeat(Math.ceil(bytes / unit.length)) + suffix;
  return insertJoinBlock(`<html><body>${junk}`, `${block.html}</body></html>`, 'html');
}

describe('join block scans stay linear in what a body holds', async () => {
  it('sentinel tokens inside one attribute value', async () => {
    const body = htmlBody('<p title="', 'roomlink-join-begin ', '">hello</p>');
    expect(await scan('findJoinBlock', body, 'html')).toMatchObject({
      meetingId: details.meetingId,
      slug: SLUG,
    });
  });

  it('sentinel tokens in text, far from any tag', async () => {
    const body = htmlBody('<p>', 'roomlink-join-begin ', '</p>');
    expect(await scan('findJoinBlock', body, 'html')).toMatchObject({
      meetingId: details.meetingId,
      slug: SLUG,
    });
  });

  it('a tag whose quoted value never closes, followed by tokens', async () => {
    const body = htmlBody('', '<div "', `${'roomlink-join-end'.repeat(20_000)}"`, MIB);
    expect(await scan('findJoinBlock', body, 'html')).toMatchObject({ slug: SLUG });
  });

  it('end sentinels without number, each of which used to search the rest of the body', async () => {
    const body = htmlBody('', '<div class="roomlink-join-end">', '', MIB);
    expect(await scan('findJoinBlock', body, 'html')).toMatchObject({ slug: SLUG });
  });

  it('wrappers nested deeper than any Outlook makes: the block widens over 16 of them at most', async () => {
    const depth = 100_000;
    const body = `${'<span>'.repeat(depth)}${block.html}${'</span>'.repeat(depth)}`;
    const found = (await scan('findJoinBlock', body, 'html')) as { start: number; end: number } | null;
    expect(found).toMatchObject({ meetingId: details.meetingId, slug: SLUG });
    expect(found?.start).toBe((depth - 16) * '<span>'.length);
    expect(found?.end).toBe(depth * '<span>'.length + block.html.length + 16 * '</span>'.length);
  });

  it('separator lines far from join links, in a text body', async () => {
    // Every link is over 16 KiB from every line, so none makes a block, and each used to be
    // compared with every line.
    const lines = `${'_'.repeat(20)}\n`.repeat(200_000);
    const links = `${' '.repeat(20_000)}\n${`${details.joinUrl}\n`.repeat(100_000)}${' '.repeat(20_000)}`;
    const body = insertJoinBlock(`${lines}${links}`, block.text, 'text');
    expect(await scan('findJoinBlock', body, 'text')).toMatchObject({ slug: SLUG });
  });

  it('join links of which only the last has a scheme', async () => {
    const body = `${'http://'.repeat(300_000)} ${'/m/abcdefgh '.repeat(20_000)} ${details.joinUrl}`;
    expect(await scan('findJoinLink', body)).toBeNull();
    expect(await scan('findJoinLink', `${'http://'.repeat(300_000)} ${details.joinUrl}`)).toMatchObject({
      slug: SLUG,
    });
  });
});
