import { describe, expect, it } from 'vitest';
import { ConfigError, clientAddressesKnown, loadConfig } from './config.js';

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

  it('takes ROOMLINK_SIP_DOMAIN=none as no SIP gateway, and refuses what is not a host name', () => {
    expect(loadConfig({ ROOMLINK_SIP_DOMAIN: 'none' }).rooms.sipDomain).toBeNull();
    expect(loadConfig({ ROOMLINK_SIP_DOMAIN: 'NONE' }).rooms.sipDomain).toBeNull();
    expect(loadConfig({ ROOMLINK_SIP_DOMAIN: 'sip.contoso.example' }).rooms.sipDomain).toBe(
      'sip.contoso.example',
    );
    expect(() => loadConfig({ ROOMLINK_SIP_DOMAIN: 'sip contoso' })).toThrow(
      /ROOMLINK_SIP_DOMAIN="sip contoso" must be a host name, or none for no SIP address/,
    );
  });

  it('runs rooms on the built-in service unless BigBlueButton is chosen with its URL and secret', () => {
    expect(loadConfig({}).rooms.engine).toEqual({ kind: 'builtin' });
    const c = loadConfig({
      ROOMLINK_ROOM_ENGINE: 'bigbluebutton',
      ROOMLINK_BBB_URL: 'https://bbb.contoso.example/bigbluebutton',
      ROOMLINK_BBB_SECRET: 'a-shared-secret-of-bbb',
    });
    expect(c.rooms.engine).toMatchObject({ kind: 'bigbluebutton', secret: 'a-shared-secret-of-bbb' });
    if (c.rooms.engine.kind !== 'bigbluebutton') throw new Error('unreachable');
    // Ends with a slash, so that api/<call> resolves below it.
    expect(c.rooms.engine.url.toString()).toBe('https://bbb.contoso.example/bigbluebutton/');
    expect(c.rooms.engine.checksum).toBe('sha256');

    const problems = (env: Record<string, string>): readonly string[] => {
      try {
        loadConfig(env);
      } catch (e) {
        if (e instanceof ConfigError) return e.problems;
      }
      return [];
    };
    expect(problems({ ROOMLINK_ROOM_ENGINE: 'jitsi' })).toEqual([
      'ROOMLINK_ROOM_ENGINE="jitsi" must be builtin or bigbluebutton',
    ]);
    expect(problems({ ROOMLINK_ROOM_ENGINE: 'bigbluebutton' })).toEqual([
      'ROOMLINK_BBB_URL is required when ROOMLINK_ROOM_ENGINE=bigbluebutton',
      'ROOMLINK_BBB_SECRET is required when ROOMLINK_ROOM_ENGINE=bigbluebutton',
    ]);
    const bad = problems({
      ROOMLINK_ROOM_ENGINE: 'bigbluebutton',
      ROOMLINK_BBB_URL: 'ftp://bbb.contoso.example/',
      ROOMLINK_BBB_SECRET: 'x9Qz',
      ROOMLINK_BBB_CHECKSUM: 'md5',
    });
    expect(bad).toHaveLength(3);
    expect(bad.join('\n')).not.toContain('x9Qz');
    expect(bad[2]).toBe('ROOMLINK_BBB_CHECKSUM="md5" must be one of sha1, sha256, sha384, sha512');
    // Set for an engine that is not chosen: a mistake, said so rather than ignored.
    expect(problems({ ROOMLINK_BBB_URL: 'https://bbb.contoso.example/bigbluebutton/' })).toEqual([
      'ROOMLINK_BBB_URL apply only with ROOMLINK_ROOM_ENGINE=bigbluebutton',
    ]);
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

  it('takes an authority copied with its /v2.0 for the tenant it names', () => {
    const ms = { MS_CLIENT_ID: '6f1d2c3b-4a5e-4f60-8a7b-9c0d1e2f3a4b', MS_CLIENT_SECRET: 's3cr3t' };
    const tenant = '72f988bf-86f1-41af-91ab-2d7cd011db47';
    const authority = (value?: string) =>
      loadConfig({ ...ms, ...(value ? { MS_AUTHORITY: value } : {}) }).microsoft?.authority.toString();
    expect(authority()).toBe('https://login.microsoftonline.com/organizations');
    expect(authority(`https://login.microsoftonline.com/${tenant}/v2.0`)).toBe(
      `https://login.microsoftonline.com/${tenant}`,
    );
    expect(authority(`https://login.microsoftonline.com/${tenant}/v2.0/`)).toBe(
      `https://login.microsoftonline.com/${tenant}`,
    );
    expect(authority(`https://login.microsoftonline.com/${tenant}`)).toBe(
      `https://login.microsoftonline.com/${tenant}`,
    );
  });

  it('trusts no proxy by default, and the addresses, ranges and range names ROOMLINK_TRUSTED_PROXIES lists', () => {
    expect(loadConfig({}).trustedProxies).toEqual([]);
    expect(loadConfig({ ROOMLINK_TRUSTED_PROXIES: ' ' }).trustedProxies).toEqual([]);
    const c = loadConfig({
      ROOMLINK_TRUSTED_PROXIES: '127.0.0.1, 10.0.0.0/8,::1,fd00::/8,::ffff:192.0.2.1,Loopback',
    });
    expect(c.trustedProxies).toEqual([
      '127.0.0.1',
      '10.0.0.0/8',
      '::1',
      'fd00::/8',
      '::ffff:192.0.2.1',
      'loopback',
    ]);
    expect(Object.isFrozen(c.trustedProxies)).toBe(true);
  });

  it('refuses to trust every client: true, a hop count or a range of every address, saying what to write instead', () => {
    const problems = (raw: string): readonly string[] => {
      try {
        loadConfig({ ROOMLINK_TRUSTED_PROXIES: raw });
      } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        throw e;
      }
      throw new Error(`ROOMLINK_TRUSTED_PROXIES=${raw} was accepted`);
    };
    const instead = /list your reverse proxy's addresses instead, e\.g\. 127\.0\.0\.1/;
    const [trueProblem] = problems('true');
    expect(trueProblem).toMatch(
      /^ROOMLINK_TRUSTED_PROXIES=true would believe X-Forwarded-For from every client/,
    );
    expect(trueProblem).toMatch(/PIN lockout/);
    expect(trueProblem).toMatch(instead);
    const [hopProblem] = problems('1');
    expect(hopProblem).toMatch(/^ROOMLINK_TRUSTED_PROXIES="1" is a hop count/);
    expect(hopProblem).toMatch(instead);
    for (const everyone of ['0.0.0.0/0', '127.0.0.1,::/0']) {
      expect(problems(everyone)).toEqual([
        expect.stringMatching(/trusts every address, which is the same as true/),
      ]);
    }
  });

  it('names bad ROOMLINK_TRUSTED_PROXIES entries in the one configuration message', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        ROOMLINK_TRUSTED_PROXIES: '10.0.0.0/33,127.0.0.1,proxy.internal,10.0.0.0/x,127.1',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(/^PORT=/),
      'ROOMLINK_TRUSTED_PROXIES must be a comma-separated list of IP addresses, CIDR ranges (10.0.0.0/8) or ' +
        'loopback, linklocal, uniquelocal; leave it unset to trust no proxy ' +
        '(bad: 10.0.0.0/33, proxy.internal, 10.0.0.0/x, 127.1)',
    ]);
  });

  it('runs demo mode only where this machine alone reaches it, unless ROOMLINK_DEMO_PUBLIC=true', () => {
    for (const local of [
      'http://localhost:3000',
      'http://127.0.0.2:8080',
      'http://[::1]:3000',
      'http://rl.localhost',
    ]) {
      expect(loadConfig({ ROOMLINK_BASE_URL: local, ROOMLINK_SIP_DOMAIN: 'sip.example' }).demo).toBe(true);
    }
    // A production deployment that forgot MS_CLIENT_ID: anyone could sign in as a test admin.
    let error: unknown;
    try {
      loadConfig({ ROOMLINK_BASE_URL: 'https://meet.contoso.example' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      expect.stringMatching(
        /^ROOMLINK_BASE_URL=https:\/\/meet\.contoso\.example is not a loopback address.*ROOMLINK_DEMO_PUBLIC=true/,
      ),
    ]);
    expect(() => loadConfig({ ROOMLINK_BASE_URL: 'http://192.168.1.20:3000' })).toThrow(/demo mode/);
    const lanDemo = loadConfig({
      ROOMLINK_BASE_URL: 'http://192.168.1.20:3000',
      ROOMLINK_DEMO_PUBLIC: 'true',
    });
    expect(lanDemo.demo).toBe(true);
    expect(lanDemo.host).toBe('0.0.0.0');
    // A loopback base URL is not enough: the demo also listens on loopback only.
    expect(loadConfig({}).host).toBe('127.0.0.1');
    expect(() => loadConfig({ HOST: '0.0.0.0' })).toThrow(/HOST=0\.0\.0\.0 is not a loopback address/);
    expect(loadConfig({ HOST: '::1', ROOMLINK_SIP_DOMAIN: 'sip.example' }).host).toBe('::1');
    expect(() =>
      loadConfig({ ROOMLINK_BASE_URL: 'http://192.168.1.20:3000', ROOMLINK_DEMO_PUBLIC: 'yes' }),
    ).toThrow(/ROOMLINK_DEMO_PUBLIC="yes" must be true or false/);
    const production = loadConfig({
      ROOMLINK_BASE_URL: 'https://meet.contoso.example',
      MS_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
      MS_CLIENT_SECRET: 'not-a-real-secret',
    });
    expect(production.demo).toBe(false);
    expect(production.host).toBe('0.0.0.0');
  });

  it('knows visitors apart by address unless an https base URL hides them behind an untrusted proxy', () => {
    const demo = { ROOMLINK_DEMO_PUBLIC: 'true' };
    expect(clientAddressesKnown(loadConfig({ ...demo, ROOMLINK_BASE_URL: 'http://meet.example.org' }))).toBe(
      true,
    );
    expect(clientAddressesKnown(loadConfig({ ...demo, ROOMLINK_BASE_URL: 'https://meet.example.org' }))).toBe(
      false,
    );
    expect(
      clientAddressesKnown(
        loadConfig({
          ...demo,
          ROOMLINK_BASE_URL: 'https://meet.example.org',
          ROOMLINK_TRUSTED_PROXIES: '127.0.0.1',
        }),
      ),
    ).toBe(true);
  });

  it('takes integer settings in decimal digits only, PORT from 1 to 65535', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    };
    // Number() reads these as 3999, 3000, 1, 1000 and 80; none is how anyone writes a port.
    for (const port of ['0x0F9F', '3e3', '0b1', '1_000', '80.0', '+80', '-1']) {
      expect(problems({ PORT: port }), port).toEqual([
        `PORT="${port}" must be a whole number from 1 to 65535, in decimal digits`,
      ]);
    }
    // 0 (any free port) would leave the default base URL, and so every join link, on port 0.
    expect(problems({ PORT: '0' })).toEqual([
      'PORT="0" must be a whole number from 1 to 65535, in decimal digits',
    ]);
    expect(problems({ PORT: '65536' })).toHaveLength(1);
    expect(loadConfig({ PORT: ' 8080 ' }).port).toBe(8080);
    expect(loadConfig({ PORT: '65535' }).baseUrl.toString()).toBe('http://localhost:65535/');
    // Every integer setting goes through the same check.
    for (const name of [
      'ROOMLINK_ROOM_OPEN_BEFORE_MINUTES',
      'ROOMLINK_ROOM_CLOSE_AFTER_MINUTES',
      'ROOMLINK_TURN_TTL_SECONDS',
      'ROOMLINK_SHUTDOWN_TIMEOUT_MS',
      'ROOMLINK_SESSION_TTL_HOURS',
    ]) {
      expect(problems({ [name]: '0x100' }), name).toEqual([
        expect.stringMatching(new RegExp(`^${name}="0x100" must be a whole number`)),
      ]);
      expect(problems({ [name]: '1e2' }), name).toHaveLength(1);
    }
    expect(loadConfig({ ROOMLINK_SESSION_TTL_HOURS: '48' }).sessionTtlHours).toBe(48);
  });

  it('takes a help link for the join instructions: http(s) or mailto:, none by default', () => {
    expect(loadConfig({}).rooms.helpUrl).toBeNull();
    expect(loadConfig({ ROOMLINK_HELP_URL: 'https://intranet.example/help' }).rooms.helpUrl).toBe(
      'https://intranet.example/help',
    );
    expect(loadConfig({ ROOMLINK_HELP_URL: 'mailto:it@example.org' }).rooms.helpUrl).toBe(
      'mailto:it@example.org',
    );
    for (const bad of ['javascript:alert(1)', 'intranet/help', 'https://x.example/a b']) {
      expect(() => loadConfig({ ROOMLINK_HELP_URL: bad }), bad).toThrow(
        /ROOMLINK_HELP_URL=.* must be an http\(s\) or mailto: URL/,
      );
    }
  });

  it('rejects a base URL with a path', () => {
    expect(() => loadConfig({ ROOMLINK_BASE_URL: 'https://example.com/roomlink' })).toThrow(
      /ROOMLINK_BASE_URL/,
    );
  });
});
