import { describe, expect, it } from 'vitest';
import { configWarnings, loadConfig } from './config.js';

const microsoft = {
  MS_CLIENT_ID: '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b',
  MS_CLIENT_SECRET: 's3cr3t',
  ROOMLINK_MASTER_KEYS: `k:${Buffer.alloc(32, 7).toString('base64')}`,
};

describe('configuration warnings', () => {
  it('accepts an http base URL with a Microsoft app registration, warning that Graph will not notify it', () => {
    for (const url of ['http://localhost:3000', 'http://meet.example.org']) {
      const config = loadConfig({ ...microsoft, ROOMLINK_BASE_URL: url });
      const warnings = configWarnings(config);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(
        `ROOMLINK_BASE_URL is http (${new URL(url).origin}) and MS_CLIENT_ID is set`,
      );
      expect(warnings[0]).toContain('calendar sync cannot subscribe');
      expect(warnings[0]).not.toContain('s3cr3t');
    }
  });

  it('warns that an https base URL without ROOMLINK_TRUSTED_PROXIES sees every visitor as the proxy', () => {
    const warnings = configWarnings(
      loadConfig({ ...microsoft, ROOMLINK_BASE_URL: 'https://meet.example.org' }),
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('ROOMLINK_BASE_URL is https but ROOMLINK_TRUSTED_PROXIES is unset');
  });

  it('has nothing to say with https behind a trusted proxy, or in demo mode (the Graph emulator takes http)', () => {
    expect(
      configWarnings(
        loadConfig({
          ...microsoft,
          ROOMLINK_BASE_URL: 'https://meet.example.org',
          ROOMLINK_TRUSTED_PROXIES: '127.0.0.1',
        }),
      ),
    ).toEqual([]);
    expect(configWarnings(loadConfig({}))).toEqual([]);
  });
});
