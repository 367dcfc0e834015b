import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('configuration', () => {
  it('defaults to an embedded SQLite database and port 3000', () => {
    const c = loadConfig({}, '/srv/roomlink');
    expect(c.port).toBe(3000);
    expect(c.databaseUrl).toBe('sqlite:/srv/roomlink/data/roomlink.sqlite');
    expect(c.baseUrl.toString()).toBe('http://localhost:3000/');
    expect(c.demo).toBe(true);
    expect(c.keys.provider).toBe('file');
    expect(c.rooms.sipDomain).toBe('localhost');
    expect(Object.isFrozen(c.rooms)).toBe(true);
  });

  it('names every bad variable in one message, without echoing secrets', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        ROOMLINK_BASE_URL: 'ftp://x',
        DATABASE_URL: 'mysql://db',
        LOG_LEVEL: 'loud',
        ROOMLINK_KEY_PROVIDER: 'env',
        ROOMLINK_MASTER_KEYS: 'k1:c2hvcnQ=',
        ROOMLINK_TYPO: '1',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of [
      'PORT',
      'ROOMLINK_BASE_URL',
      'DATABASE_URL',
      'LOG_LEVEL',
      'ROOMLINK_MASTER_KEYS',
      'ROOMLINK_TYPO',
    ]) {
      expect(message).toContain(name);
    }
    expect(message).not.toContain('c2hvcnQ=');
    expect((error as ConfigError).problems).toHaveLength(6);
  });

  it('selects PostgreSQL from a postgres URL and the env key provider from master keys', () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const c = loadConfig({
      DATABASE_URL: 'postgres://u@db/roomlink',
      ROOMLINK_MASTER_KEYS: `new:${key},old:${key}`,
      MS_CLIENT_ID: '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b',
      MS_CLIENT_SECRET: 's3cr3t',
    });
    expect(c.databaseUrl).toBe('postgres://u@db/roomlink');
    expect(c.keys.provider).toBe('env');
    expect(c.keys.envKeys.map((k) => k.id)).toEqual(['new', 'old']);
    expect(c.demo).toBe(false);
  });

  it('rejects a base URL with a path', () => {
    expect(() => loadConfig({ ROOMLINK_BASE_URL: 'https://example.com/roomlink' })).toThrow(
      /ROOMLINK_BASE_URL/,
    );
  });
});
