/** Every error code the API can answer with is documented in docs/errors.md, and no stale ones are. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../src/cli/exit.js';
import { ERROR_CATALOGUE } from '../src/http/errors.js';

const doc = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../docs/errors.md');

describe('docs/errors.md', () => {
  it('documents every error code with its status', async () => {
    const text = await readFile(doc, 'utf8');
    const rows = new Map(
      [...text.matchAll(/^\|\s*`([a-z_]+)`\s*\|\s*(\d{3})\s*\|/gm)].map((m) => [m[1], Number(m[2])]),
    );
    for (const [code, { status }] of Object.entries(ERROR_CATALOGUE)) {
      expect(rows.get(code), code).toBe(status);
    }
    expect([...rows.keys()].sort()).toEqual(Object.keys(ERROR_CATALOGUE).sort());
  });

  it('documents every CLI exit code', async () => {
    const text = await readFile(doc, 'utf8');
    for (const code of Object.values(EXIT)) expect(text).toMatch(new RegExp(`^\\|\\s*${code}\\s*\\|`, 'm'));
  });
});
