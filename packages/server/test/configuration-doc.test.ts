/** docs/configuration.md lists every variable Roomlink reads, and no variable it does not read. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { KNOWN_VARIABLES } from '../src/config/config.js';

const doc = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/configuration.md');

describe('docs/configuration.md', () => {
  it('has a table row for exactly the variables Roomlink reads', async () => {
    const text = await readFile(doc, 'utf8');
    // The first cell of a table row names one variable, or a few (`MS_CLIENT_CERT` / `MS_CLIENT_KEY`).
    const documented = new Set(
      [...text.matchAll(/^\|([^|]*)\|/gm)].flatMap((row) =>
        [...(row[1] as string).matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1] as string),
      ),
    );
    expect([...documented].sort()).toEqual([...KNOWN_VARIABLES].sort());
  });
});
