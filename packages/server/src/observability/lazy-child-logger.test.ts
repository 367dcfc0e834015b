import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { LazyChildLogger } from './lazy-child-logger.js';
import { loggerOptions } from './logger.js';

/** A pino logger with the product's options, writing its lines to an array. */
function capturedLogger(level = 'info') {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  const logger = pino(loggerOptions(level), stream);
  return { logger, lines, child: vi.spyOn(logger, 'child') };
}

describe('LazyChildLogger', () => {
  it('makes no child while nothing is written, nor for lines below the level', () => {
    const { logger, lines, child } = capturedLogger('info');
    const lazy = new LazyChildLogger(logger, { reqId: 'r-1' });
    lazy.debug({ a: 1 }, 'not written');
    lazy.trace('not written either');
    expect(child).not.toHaveBeenCalled();
    expect(lazy.materialized).toBe(false);
    expect(lines).toEqual([]);
  });

  it('writes what pino writes: the bindings, and redaction of what must not be logged', () => {
    const { logger, lines, child } = capturedLogger('info');
    const lazy = new LazyChildLogger(logger, { reqId: 'r-2' });
    lazy.info({ user: { token: 'secret-token', email: 'jane@contoso.example' }, code: 'c1' }, 'first');
    lazy.error(new Error('boom'));
    lazy.warn('third %s', 'line');
    expect(child).toHaveBeenCalledTimes(1);
    expect(lines.map((l) => [l.level, l.reqId, l.msg])).toEqual([
      [30, 'r-2', 'first'],
      [50, 'r-2', 'boom'],
      [40, 'r-2', 'third line'],
    ]);
    expect(lines[0]?.user).toEqual({ token: '[redacted]', email: '[redacted]' });
    expect(lines[0]?.code).toBe('c1');
    expect(JSON.stringify(lines)).not.toContain('secret-token');
  });

  it("follows the parent's level until its own is set", () => {
    const { logger, lines } = capturedLogger('info');
    const lazy = new LazyChildLogger(logger, { reqId: 'r-3' });
    expect(lazy.level).toBe('info');
    lazy.level = 'debug';
    expect(lazy.materialized).toBe(true);
    lazy.debug('now written');
    expect(logger.level).toBe('info');
    expect(lines.map((l) => l.msg)).toEqual(['now written']);
  });

  it('makes grandchildren that keep both bindings', () => {
    const { logger, lines } = capturedLogger('info');
    new LazyChildLogger(logger, { reqId: 'r-4' }).child({ component: 'sync' }).info('nested');
    expect(lines[0]).toMatchObject({ reqId: 'r-4', component: 'sync', msg: 'nested' });
  });
});
