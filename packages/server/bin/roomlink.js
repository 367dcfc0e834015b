#!/usr/bin/env node
// The `roomlink` command. This file is committed (npm links bins at install time, before the
// TypeScript is built), and runs the built CLI.
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('roomlink: not built yet — run `npm run build` (npm start and npm test build first)');
  // 70, sysexits' EX_SOFTWARE: the installation is incomplete. Not 78 (EX_CONFIG), which Roomlink
  // uses for invalid environment variables (docs/errors.md).
  process.exit(70);
}
await import(main.href);
