/** ROOMLINK_MASTER_KEYS: what it takes, what it refuses, and that a refusal never repeats key material. */
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const k1 = Buffer.alloc(32, 1).toString('base64'); // AQEB…AQE=
const k2 = Buffer.alloc(32, 2).toString('base64');
const slashy = Buffer.alloc(32, 0xfb); // base64 +/v7…, base64url -_v7…
const zero = Buffer.alloc(32).toString('base64');

const load = (value: string) =>
  loadConfig({ ROOMLINK_KEY_PROVIDER: 'env', ROOMLINK_MASTER_KEYS: value }, '/srv');

function problems(value: string): readonly string[] {
  try {
    load(value);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('ROOMLINK_MASTER_KEYS', () => {
  it('takes id:base64 entries, first current, as documented and as accepted before', () => {
    const c = load(`new:${k2}, old:${k1} ,same:${k1}`);
    expect(c.keys.envKeys.map((e) => [e.id, e.key.toString('base64')])).toEqual([
      ['new', k2],
      ['old', k1],
      ['same', k1],
    ]);
    // Unpadded, and the URL-safe alphabet some secret managers hand out.
    expect(load(`a:${k1.slice(0, -1)}`).keys.envKeys[0]?.key).toEqual(Buffer.alloc(32, 1));
    expect(load(`a:${slashy.toString('base64url')}`).keys.envKeys[0]?.key).toEqual(slashy);
    expect(load(`a:${slashy.toString('base64')}`).keys.envKeys[0]?.key).toEqual(slashy);
  });

  const refused: [string, string, RegExp][] = [
    ['an all-zero key', `weak:${zero}`, /entry 1 \("weak"\) is all zeros/],
    ['a repeated id', `a:${k1},a:${k2}`, /entry 2 \("a"\) repeats the id of entry 1/],
    ['a third field', `a:${k1}:trailing-junk`, /entry 1 \("a"\) has more than one ":"/],
    [
      'characters base64 does not use',
      `a:${k1.slice(0, 20)}!!!${k1.slice(20)}`,
      /entry 1 \("a"\): the key is not 32 bytes as base64 writes them/,
    ],
    [
      'a last character with stray bits',
      `a:${k1.replace(/AQE=$/, 'AQF=')}`,
      /entry 1 \("a"\): the key is not 32 bytes as base64/,
    ],
    ['padding twice', `a:${k1}=`, /entry 1 \("a"\): the key is not 32 bytes as base64/],
    [
      'both alphabets at once',
      `a:${slashy.toString('base64').replace('/', '_')}`,
      /entry 1 \("a"\): the key is not/,
    ],
    ['spaces around the colon (as before)', ` a : ${k1}`, /entry 1 must be <id>:<32 bytes in base64>/],
  ];
  for (const [what, value, message] of refused) {
    it(`refuses ${what}, naming the variable and the entry but no key material`, () => {
      const found = problems(value);
      expect(found).toHaveLength(1);
      expect(found[0]).toMatch(/^ROOMLINK_MASTER_KEYS entry \d/);
      expect(found[0]).toMatch(message);
      for (const secret of [k1, k2, zero, slashy.toString('base64'), slashy.toString('base64url')])
        for (let i = 0; i + 8 <= secret.length; i += 4)
          expect(found[0]).not.toContain(secret.slice(i, i + 8));
    });
  }

  it('reports every bad entry, each once, by its position', () => {
    const found = problems(`a:${k1},b:${zero},a:${k2},c:${k1}:x,d:${k2}`);
    expect(found).toEqual([
      expect.stringMatching(/^ROOMLINK_MASTER_KEYS entry 2 \("b"\)/),
      expect.stringMatching(/^ROOMLINK_MASTER_KEYS entry 3 \("a"\)/),
      expect.stringMatching(/^ROOMLINK_MASTER_KEYS entry 4 \("c"\)/),
    ]);
  });
});
