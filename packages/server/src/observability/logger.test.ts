import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { loggerOptions, redactLine } from './logger.js';

/** A pino logger with the product's options, writing its lines to an array. */
function capturedLogger(level = 'trace') {
  const lines: Record<string, unknown>[] = [];
  const text: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text.push(String(chunk));
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino(loggerOptions(level), stream), lines, text };
}

const SUBJECT = 'Salary talk with jane.doe@contoso.example';

/** Titles, addresses, UPNs, tokens, PINs: never logged, wherever they slip in. */
const REDACTED_FIELDS = [
  'password',
  'secret',
  'token',
  'accessToken',
  'refreshToken',
  'access_token',
  'refresh_token',
  'id_token',
  'subject',
  'email',
  'upn',
  'hostPin',
  'guestPin',
  'authorization',
  'cookie',
  'set-cookie',
  'rawPacket',
];

describe('log redaction', () => {
  it('redacts the sensitive fields at the top level of a line and one level down', () => {
    const { logger, lines, text } = capturedLogger();
    const values = Object.fromEntries(REDACTED_FIELDS.map((field) => [field, `${field}-${SUBJECT}`]));
    logger.info({ ...values, meetingId: 'm-1' }, 'top level');
    logger.info({ meeting: { ...values, id: 'm-2' } }, 'one level down');
    const censored = Object.fromEntries(REDACTED_FIELDS.map((field) => [field, '[redacted]']));
    expect(lines[0]).toMatchObject({ ...censored, meetingId: 'm-1', msg: 'top level' });
    expect(lines[1]).toMatchObject({ meeting: { ...censored, id: 'm-2' }, msg: 'one level down' });
    expect(text.join('')).not.toContain('jane.doe');
  });

  it("redacts them at any depth, in arrays, in any letter case and in child loggers' bindings", () => {
    const { logger, lines, text } = capturedLogger();
    logger.info(
      {
        sync: {
          changes: [{ id: 'e-1', event: { subject: SUBJECT, organizer: { Email: 'jane.doe@x.example' } } }],
        },
        headers: { Authorization: 'Bearer jane.doe-token', 'Set-Cookie': 'sid=jane.doe' },
      },
      'deep',
    );
    const child = logger.child({ job: { payload: { user: { upn: 'jane.doe@contoso.example' } } } });
    child.warn({ step: 2 }, 'bound');
    child.child({ attempt: 1 }).info({ a: [[{ refresh_token: 'jane.doe-refresh' }]] }, 'grandchild');

    expect(text.join('')).not.toContain('jane.doe');
    expect(lines[0]).toMatchObject({
      sync: {
        changes: [{ id: 'e-1', event: { subject: '[redacted]', organizer: { Email: '[redacted]' } } }],
      },
      headers: { Authorization: '[redacted]', 'Set-Cookie': '[redacted]' },
      msg: 'deep',
    });
    expect(lines[1]).toMatchObject({
      job: { payload: { user: { upn: '[redacted]' } } },
      step: 2,
      msg: 'bound',
    });
    expect(lines[2]).toMatchObject({
      job: { payload: { user: { upn: '[redacted]' } } },
      attempt: 1,
      a: [[{ refresh_token: '[redacted]' }]],
    });
  });

  it('redacts the fields of Graph events and of the rooms’ join frames', () => {
    const { logger, lines, text } = capturedLogger();
    logger.warn(
      {
        event: {
          id: 'e-2',
          organizer: { emailAddress: { name: 'jane.doe', address: 'jane.doe@contoso.example' } },
          attendees: [{ displayName: 'jane.doe', type: 'required' }],
          body: { contentType: 'html', content: '<p>jane.doe agenda</p>' },
        },
        subscription: { id: 's-1', clientState: 'jane.doe-state' },
        frame: { type: 'join', pin: '482913', ticket: 'jane.doe-ticket', rejoin: 'jane.doe-rejoin' },
      },
      'graph',
    );
    expect(text.join('')).not.toMatch(/jane\.doe|482913/);
    expect(lines[0]).toMatchObject({
      event: {
        id: 'e-2',
        organizer: { emailAddress: '[redacted]' },
        attendees: [{ displayName: '[redacted]', type: 'required' }],
        body: '[redacted]',
      },
      subscription: { id: 's-1', clientState: '[redacted]' },
      frame: { type: 'join', pin: '[redacted]', ticket: '[redacted]', rejoin: '[redacted]' },
    });
  });

  it("redacts who a Microsoft user is, as Graph's user objects and the identity platform's claims say it", () => {
    const { logger, lines, text } = capturedLogger();
    logger.warn(
      {
        user: { id: 'u-1', userPrincipalName: 'jane.doe@contoso.example', mail: 'jane.doe@contoso.example' },
        claims: {
          tid: 't-1',
          oid: 'jane.doe-oid',
          preferred_username: 'jane.doe@contoso.example',
          unique_name: 'jane.doe@contoso.example',
          given_name: 'jane.doe',
          family_name: 'jane.doe',
        },
        authorize: { login_hint: 'jane.doe@contoso.example' },
        page: {
          '@odata.deltaLink': 'https://graph.microsoft.com/v1.0/me/calendarView/delta?$deltatoken=jane.doe',
          '@odata.nextLink': 'https://graph.microsoft.com/v1.0/me/calendarView/delta?$skiptoken=jane.doe',
        },
        deltaLink: 'https://graph.microsoft.com/v1.0/me/calendarView/delta?$deltatoken=jane.doe',
      },
      'identity',
    );
    expect(text.join('')).not.toContain('jane.doe');
    expect(lines[0]).toMatchObject({
      user: { id: 'u-1', userPrincipalName: '[redacted]', mail: '[redacted]' },
      claims: { tid: 't-1', oid: '[redacted]', preferred_username: '[redacted]' },
      authorize: { login_hint: '[redacted]' },
      page: { '@odata.deltaLink': '[redacted]', '@odata.nextLink': '[redacted]' },
      deltaLink: '[redacted]',
    });
  });

  it('leaves a line that names no such field as pino wrote it, and withholds one it cannot read', () => {
    // A field's name quoted inside a string value is no field.
    const plain = `${JSON.stringify({ level: 30, msg: 'the "subject": field was too long', n: 1 })}\n`;
    expect(redactLine(plain)).toBe(plain);
    const broken = '{"level":30,"subject":"jane.doe"\n';
    const withheld = redactLine(broken);
    expect(withheld).not.toContain('jane.doe');
    expect(JSON.parse(withheld)).toMatchObject({
      level: 50,
      msg: 'log line withheld: it could not be redacted',
    });
  });
});

describe('logged errors', () => {
  it('keep their type, code, status and stack frames, never their message or other properties', () => {
    const { logger, lines, text } = capturedLogger();
    // As Node's HTTP parser makes them: the raw request received, enumerable, on the error.
    const parse = Object.assign(new Error(`Parse Error: ${SUBJECT}\nsecond line ${SUBJECT}`), {
      code: 'HPE_INVALID_CHUNK_SIZE',
      bytesParsed: 12,
      rawPacket: Buffer.from(`Authorization: Bearer SECRET-TOKEN\r\n\r\n{"subject":"${SUBJECT}"}`),
      statusCode: 400,
      details: { who: 'jane.doe@contoso.example' },
    });
    logger.trace({ err: parse }, 'client error');
    const err = lines[0]?.err as Record<string, unknown>;
    expect(Object.keys(err).sort()).toEqual(['code', 'stack', 'statusCode', 'type']);
    expect(err).toMatchObject({ type: 'Error', code: 'HPE_INVALID_CHUNK_SIZE', statusCode: 400 });
    expect(String(err.stack)).toMatch(/^\s+at /);
    for (const line of String(err.stack).split('\n')) expect(line).toMatch(/^\s+at /);

    // JSON.parse quotes the text it refused; a cause is kept by type and code too.
    let syntax: unknown;
    try {
      JSON.parse(`{"subject": "${SUBJECT}",`);
    } catch (error) {
      syntax = error;
    }
    logger.error({ err: new Error(SUBJECT, { cause: syntax }) }, 'failed');
    expect(lines[1]?.err).toMatchObject({ type: 'Error', cause: { type: 'SyntaxError' } });

    const output = text.join('');
    for (const secret of ['jane.doe', 'Salary', 'SECRET-TOKEN', 'rawPacket', 'bytesParsed', '"Buffer"']) {
      expect(output, secret).not.toContain(secret);
    }
  });

  it('leave an error already reduced to type, code and frames (problem-plugin.ts) as it is', () => {
    const { logger, lines } = capturedLogger();
    const scrubbed = { type: 'SqliteError', code: 'SQLITE_BUSY', stack: '    at run (store.ts:1:1)' };
    logger.error({ err: scrubbed }, 'request failed');
    logger.warn({ err: { type: 'TypeError' } }, 'room directory failed');
    expect(lines.map((l) => l.err)).toEqual([scrubbed, { type: 'TypeError' }]);
  });
});
