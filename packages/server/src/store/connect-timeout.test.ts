import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config/config.js';
import {
  connectTimeoutMs,
  connectTimeoutProblem,
  DEFAULT_CONNECT_TIMEOUT_SECONDS,
} from './connect-timeout.js';

const url = (timeout?: string) =>
  `postgres://roomlink:pw@db.example:5432/roomlink${timeout === undefined ? '' : `?connect_timeout=${timeout}`}`;

describe('connectTimeoutMs', () => {
  it("reads DATABASE_URL's connect_timeout as libpq does: seconds, 0 or less waits indefinitely, at least 2", () => {
    expect(connectTimeoutMs(url('3'))).toBe(3_000);
    expect(connectTimeoutMs(url('1'))).toBe(2_000);
    expect(connectTimeoutMs(url('0'))).toBe(0);
    expect(connectTimeoutMs(url('-5'))).toBe(0);
    expect(connectTimeoutMs(`${url('30')}&options=-c%20search_path%3Droomlink`)).toBe(30_000);
  });

  it('gives up after 10 s when the URL names no timeout', () => {
    expect(DEFAULT_CONNECT_TIMEOUT_SECONDS).toBe(10);
    expect(connectTimeoutMs(url())).toBe(10_000);
    expect(connectTimeoutMs('postgresql://db.example/roomlink?sslmode=require')).toBe(10_000);
  });
});

describe('connectTimeoutProblem, in the configuration check', () => {
  it('refuses a connect_timeout that is not a whole number of seconds, naming it', () => {
    for (const bad of ['abc', '2.5', '10s', '']) {
      expect(connectTimeoutProblem(url(bad)), bad).toBe(
        `DATABASE_URL's connect_timeout="${bad}" must be a whole number of seconds (0: wait indefinitely)`,
      );
    }
    expect(() => loadConfig({ DATABASE_URL: url('soon') })).toThrow(ConfigError);
    expect(() => loadConfig({ DATABASE_URL: url('soon') })).toThrow(/connect_timeout="soon"/);
  });

  it('takes whole numbers, and URLs without one (SQLite has none)', () => {
    for (const good of ['10', '0', '-1', undefined])
      expect(connectTimeoutProblem(url(good)), good).toBeUndefined();
    expect(connectTimeoutProblem('sqlite:./data/roomlink.sqlite?connect_timeout=x')).toBeUndefined();
    expect(() => loadConfig({ DATABASE_URL: url('5') })).not.toThrow();
  });
});
