// `npm run bench`: runs every benchmark in turn. Benchmarks report figures and ratios; they never pass or fail on time.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv[2];
const benches = [
  'meetings-bench.mjs',
  'webhook-bench.mjs',
  'rooms-bench.mjs',
  'addin-click.mjs',
  'retention-bench.mjs',
]
  .filter((f) => existsSync(path.join(here, f)))
  .filter((f) => !only || f.startsWith(only));
for (const file of benches) {
  console.log(`\n# ${file}`);
  const r = spawnSync(process.execPath, [path.join(here, file)], { stdio: 'inherit' });
  if (r.status !== 0) process.exitCode = r.status ?? 1;
}
