import { createHash } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type RunningBigBlueButtonEmulator, startBigBlueButtonEmulator } from '../src/bigbluebutton/index.js';

const SECRET = '8cd8ef52e8e101574e400365b55e11a6';
const CREATE_TIME = Date.UTC(2025, 2, 3, 8, 0, 0);

type Params = ReadonlyArray<readonly [string, string]>;
type Algorithm = 'sha1' | 'sha256' | 'sha512';

/** The published rule, computed here independently: hex(hash(callName + queryString + secret)). */
function checksum(call: string, query: string, algorithm: Algorithm = 'sha256', secret = SECRET): string {
  return createHash(algorithm).update(`${call}${query}${secret}`).digest('hex');
}

function signedQuery(call: string, params: Params, algorithm: Algorithm = 'sha256'): string {
  const query = new URLSearchParams(params.map(([k, v]): [string, string] => [k, v])).toString();
  const sum = checksum(call, query, algorithm);
  return query ? `${query}&checksum=${sum}` : `checksum=${sum}`;
}

const parser = new XMLParser({
  parseTagValue: false,
  isArray: (name) => name === 'attendee' || name === 'meeting',
});
function parseXml(text: string): Record<string, unknown> {
  return (parser.parse(text) as { response: Record<string, unknown> }).response;
}

describe('BigBlueButton emulator: API over HTTP', () => {
  let bbb: RunningBigBlueButtonEmulator;

  beforeAll(async () => {
    bbb = await startBigBlueButtonEmulator({ secret: SECRET, now: () => new Date(CREATE_TIME) });
  });
  afterEach(() => {
    bbb.emulator.reset();
  });
  afterAll(async () => {
    await bbb.close();
  });

  const get = (pathAndQuery: string): Promise<Response> =>
    fetch(`${bbb.baseUrl}${pathAndQuery}`, { redirect: 'manual' });
  /** Calls `api/{call}` signed with `algorithm` and parses the XML answer. */
  async function api(call: string, params: Params, algorithm: Algorithm = 'sha256') {
    const response = await get(`api/${call}?${signedQuery(call, params, algorithm)}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/xml/);
    return parseXml(await response.text());
  }
  const createMeeting = (meetingID: string, extra: Params = []) =>
    api('create', [['name', 'Weekly sync'], ['meetingID', meetingID], ...extra]);

  it('serves at the administrator-style base URL, and answers the version call without a checksum', async () => {
    expect(bbb.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/bigbluebutton\/$/);
    const response = await get('api');
    expect(response.status).toBe(200);
    expect(parseXml(await response.text())).toMatchObject({ returncode: 'SUCCESS', version: '2.0' });
  });

  it('refuses a missing, wrong or stale checksum with checksumError', async () => {
    const missing = parseXml(await (await get('api/create?name=X&meetingID=m-1')).text());
    expect(missing).toMatchObject({ returncode: 'FAILED', messageKey: 'checksumError' });

    const wrongSecret = `name=X&meetingID=m-1&checksum=${checksum('create', 'name=X&meetingID=m-1', 'sha256', 'nope')}`;
    const wrong = parseXml(await (await get(`api/create?${wrongSecret}`)).text());
    expect(wrong).toMatchObject({
      returncode: 'FAILED',
      messageKey: 'checksumError',
      message: 'Checksums do not match',
    });

    // A parameter changed after signing (or the checksum of another call) fails too.
    const signed = signedQuery('create', [
      ['name', 'X'],
      ['meetingID', 'm-1'],
    ]);
    const tampered = parseXml(await (await get(`api/create?${signed.replace('m-1', 'm-2')}`)).text());
    expect(tampered.messageKey).toBe('checksumError');
    const otherCall = parseXml(await (await get(`api/end?${signed}`)).text());
    expect(otherCall.messageKey).toBe('checksumError');

    expect(bbb.emulator.meetings()).toEqual([]);
    expect(bbb.emulator.requests().map((r) => [r.call, r.checksumValid])).toEqual([
      ['create', false],
      ['create', false],
      ['create', false],
      ['end', false],
    ]);
    expect(bbb.emulator.requests()[0]?.params).toEqual({ name: 'X', meetingID: 'm-1' });
  });

  it('accepts sha1, sha256 and sha512 checksums (picked by length), in upper case too', async () => {
    expect((await createMeeting('algo-1', [])).returncode).toBe('SUCCESS');
    expect((await api('isMeetingRunning', [['meetingID', 'algo-1']], 'sha1')).returncode).toBe('SUCCESS');
    expect((await api('isMeetingRunning', [['meetingID', 'algo-1']], 'sha512')).returncode).toBe('SUCCESS');
    const query = 'meetingID=algo-1';
    const upper = checksum('isMeetingRunning', query, 'sha1').toUpperCase();
    const response = await get(`api/isMeetingRunning?${query}&checksum=${upper}`);
    expect(parseXml(await response.text()).returncode).toBe('SUCCESS');
    expect(bbb.emulator.requests().every((r) => r.checksumValid)).toBe(true);
  });

  it('hashes the query string as received: order and encoding kept, checksum anywhere', async () => {
    // %20 rather than +, and the checksum first: the server must not re-encode or reorder.
    const query = 'meetingID=enc-1&name=Caf%C3%A9%20Stand%2Dup&record=false';
    const response = await get(`api/create?checksum=${checksum('create', query)}&${query}`);
    expect(parseXml(await response.text()).returncode).toBe('SUCCESS');
    expect(bbb.emulator.meeting('enc-1')?.createParams.name).toBe('Café Stand-up');
  });

  it('create records every parameter as received and answers the documented XML', async () => {
    const created = await createMeeting('rec-1', [
      ['record', 'false'],
      ['guestPolicy', 'ASK_MODERATOR'],
      ['meta_roomlink-event', 'AAMkAD=='],
    ]);
    expect(created).toMatchObject({
      returncode: 'SUCCESS',
      meetingID: 'rec-1',
      createTime: String(CREATE_TIME),
      hasUserJoined: 'false',
      hasBeenForciblyEnded: 'false',
    });
    expect(created.internalMeetingID).toBe(
      `${createHash('sha1').update('rec-1').digest('hex')}-${CREATE_TIME}`,
    );
    expect(created.createDate).toBe('Mon Mar 03 08:00:00 UTC 2025');
    expect(created.messageKey).toBeUndefined();
    expect(bbb.emulator.meetings()).toEqual([
      {
        meetingID: 'rec-1',
        internalMeetingID: created.internalMeetingID,
        createParams: {
          name: 'Weekly sync',
          meetingID: 'rec-1',
          record: 'false',
          guestPolicy: 'ASK_MODERATOR',
          'meta_roomlink-event': 'AAMkAD==',
        },
        createTime: CREATE_TIME,
        running: false,
        ended: false,
        attendees: [],
      },
    ]);
  });

  it('create is idempotent for an existing meeting: SUCCESS with duplicateWarning', async () => {
    const first = await createMeeting('dup-1');
    const again = await createMeeting('dup-1');
    expect(again).toMatchObject({
      returncode: 'SUCCESS',
      messageKey: 'duplicateWarning',
      internalMeetingID: first.internalMeetingID,
      createTime: first.createTime,
    });
    expect(bbb.emulator.meetings()).toHaveLength(1);
    // Other passwords than the meeting's are refused.
    await createMeeting('pw-1', [
      ['attendeePW', 'ap'],
      ['moderatorPW', 'mp'],
    ]);
    const clash = await createMeeting('pw-1', [
      ['attendeePW', 'xx'],
      ['moderatorPW', 'yy'],
    ]);
    expect(clash).toMatchObject({ returncode: 'FAILED', messageKey: 'idNotUnique' });
  });

  it('create without meetingID answers missingParamMeetingID', async () => {
    const answer = await api('create', [['name', 'No id']]);
    expect(answer).toMatchObject({ returncode: 'FAILED', messageKey: 'missingParamMeetingID' });
  });

  it('create also works as a POST with form parameters (checksum over the empty query string)', async () => {
    const body = new URLSearchParams([
      ['meetingID', 'post-1'],
      ['name', 'Posted'],
    ]).toString();
    const response = await fetch(`${bbb.baseUrl}api/create?checksum=${checksum('create', '')}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    expect(parseXml(await response.text()).returncode).toBe('SUCCESS');
    expect(bbb.emulator.meeting('post-1')?.createParams).toEqual({ meetingID: 'post-1', name: 'Posted' });
  });

  it('join redirects to the client page, which shows the role and makes the user an attendee', async () => {
    await createMeeting('join-1');
    const joined = await get(
      `api/join?${signedQuery('join', [
        ['fullName', 'Alice Organizer'],
        ['meetingID', 'join-1'],
        ['role', 'MODERATOR'],
      ])}`,
    );
    expect(joined.status).toBe(302);
    const location = joined.headers.get('location') ?? '';
    expect(location).toMatch(new RegExp(`^${bbb.baseUrl}client/join\\?sessionToken=[a-z0-9]{16}$`));
    // Join alone does not start the meeting; entering the client does.
    expect((await api('isMeetingRunning', [['meetingID', 'join-1']])).running).toBe('false');

    const page = await fetch(location);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('data-meeting-id="join-1"');
    expect(html).toContain('data-role="MODERATOR"');
    expect(html).toContain('data-full-name="Alice Organizer"');

    expect((await api('isMeetingRunning', [['meetingID', 'join-1']])).running).toBe('true');
    const info = await api('getMeetingInfo', [['meetingID', 'join-1']]);
    expect(info).toMatchObject({
      returncode: 'SUCCESS',
      meetingName: 'Weekly sync',
      meetingID: 'join-1',
      running: 'true',
      participantCount: '1',
      moderatorCount: '1',
      createTime: String(CREATE_TIME),
    });
    expect((info.attendees as { attendee: unknown[] }).attendee).toEqual([
      expect.objectContaining({ fullName: 'Alice Organizer', role: 'MODERATOR' }),
    ]);
    // Reloading the page does not add the user twice.
    await (await fetch(location)).text();
    expect(bbb.emulator.meeting('join-1')?.attendees).toEqual([
      expect.objectContaining({ fullName: 'Alice Organizer', role: 'MODERATOR' }),
    ]);
  });

  it('join with redirect=false answers XML with the session token and client URL', async () => {
    await createMeeting('join-2');
    const answer = await api('join', [
      ['fullName', 'Bob Guest'],
      ['meetingID', 'join-2'],
      ['role', 'viewer'],
      ['redirect', 'false'],
    ]);
    expect(answer).toMatchObject({
      returncode: 'SUCCESS',
      messageKey: 'successfullyJoined',
      guestStatus: 'ALLOW',
    });
    expect(answer.session_token).toMatch(/^[a-z0-9]{16}$/);
    expect(answer.url).toBe(`${bbb.baseUrl}client/join?sessionToken=${answer.session_token}`);
    const html = await (await fetch(String(answer.url))).text();
    expect(html).toContain('data-role="VIEWER"');
  });

  it('join still takes the deprecated password when the meeting has passwords', async () => {
    await createMeeting('join-pw', [
      ['attendeePW', 'ap'],
      ['moderatorPW', 'mp'],
    ]);
    const asViewer = await api('join', [
      ['fullName', 'Carol'],
      ['meetingID', 'join-pw'],
      ['password', 'ap'],
      ['redirect', 'false'],
    ]);
    expect(asViewer.returncode).toBe('SUCCESS');
    expect(await (await fetch(String(asViewer.url))).text()).toContain('data-role="VIEWER"');
    const wrong = await api('join', [
      ['fullName', 'Carol'],
      ['meetingID', 'join-pw'],
      ['password', 'nope'],
      ['redirect', 'false'],
    ]);
    expect(wrong.returncode).toBe('FAILED');
  });

  it('join to an unknown meeting fails: XML with redirect=false, an error redirect otherwise', async () => {
    const xml = await api('join', [
      ['fullName', 'Alice'],
      ['meetingID', 'nowhere'],
      ['role', 'MODERATOR'],
      ['redirect', 'false'],
    ]);
    expect(xml).toMatchObject({ returncode: 'FAILED', messageKey: 'invalidMeetingIdentifier' });

    const redirected = await get(
      `api/join?${signedQuery('join', [
        ['fullName', 'Alice'],
        ['meetingID', 'nowhere'],
        ['role', 'MODERATOR'],
      ])}`,
    );
    expect(redirected.status).toBe(302);
    const location = new URL(redirected.headers.get('location') ?? '');
    expect(JSON.parse(location.searchParams.get('errors') ?? '[]')).toEqual([
      { key: 'invalidMeetingIdentifier', message: expect.any(String) },
    ]);
  });

  it('end ends the meeting: not running, attendees gone, later joins refused', async () => {
    await createMeeting('end-1');
    const joined = await api('join', [
      ['fullName', 'Alice'],
      ['meetingID', 'end-1'],
      ['role', 'MODERATOR'],
      ['redirect', 'false'],
    ]);
    await (await fetch(String(joined.url))).text();
    expect(bbb.emulator.meeting('end-1')?.running).toBe(true);

    const ended = await api('end', [['meetingID', 'end-1']]);
    expect(ended).toMatchObject({ returncode: 'SUCCESS', messageKey: 'sentEndMeetingRequest' });
    expect((await api('isMeetingRunning', [['meetingID', 'end-1']])).running).toBe('false');
    expect(bbb.emulator.meeting('end-1')).toMatchObject({ running: false, ended: true, attendees: [] });
    const info = await api('getMeetingInfo', [['meetingID', 'end-1']]);
    expect(info).toMatchObject({ running: 'false', hasBeenForciblyEnded: 'true', participantCount: '0' });

    const rejoin = await api('join', [
      ['fullName', 'Alice'],
      ['meetingID', 'end-1'],
      ['role', 'MODERATOR'],
      ['redirect', 'false'],
    ]);
    expect(rejoin).toMatchObject({ returncode: 'FAILED', messageKey: 'meetingForciblyEnded' });
    // The old client link no longer enters the meeting.
    expect((await fetch(String(joined.url))).status).toBe(410);
  });

  it('end, getMeetingInfo of an unknown meeting answer notFound; isMeetingRunning says false', async () => {
    expect(await api('end', [['meetingID', 'ghost']])).toMatchObject({
      returncode: 'FAILED',
      messageKey: 'notFound',
    });
    expect(await api('getMeetingInfo', [['meetingID', 'ghost']])).toMatchObject({
      returncode: 'FAILED',
      messageKey: 'notFound',
    });
    expect(await api('isMeetingRunning', [['meetingID', 'ghost']])).toMatchObject({
      returncode: 'SUCCESS',
      running: 'false',
    });
  });

  it('getMeetings lists every meeting, ended ones too, as the documented XML; noMeetings when none', async () => {
    const none = await api('getMeetings', []);
    expect(none).toMatchObject({ returncode: 'SUCCESS', messageKey: 'noMeetings', meetings: '' });
    expect(none.message).toBe('no meetings were found on this server');

    await createMeeting('list-1');
    await createMeeting('list-2');
    await api('end', [['meetingID', 'list-2']]);
    const listed = await api('getMeetings', []);
    expect(listed.returncode).toBe('SUCCESS');
    expect(listed.messageKey).toBeUndefined();
    const meetings = (listed.meetings as { meeting: Record<string, unknown>[] }).meeting;
    expect(meetings).toHaveLength(2);
    expect(meetings[0]).toMatchObject({
      meetingName: 'Weekly sync',
      meetingID: 'list-1',
      createTime: String(CREATE_TIME),
      running: 'false',
      hasBeenForciblyEnded: 'false',
      endTime: '0',
      isBreakout: 'false',
    });
    // Each with getMeetingInfo's fields.
    const info = await api('getMeetingInfo', [['meetingID', 'list-1']]);
    expect(Object.keys(meetings[0] as object)).toEqual(Object.keys(info).filter((k) => k !== 'returncode'));
    expect(meetings[1]).toMatchObject({
      meetingID: 'list-2',
      hasBeenForciblyEnded: 'true',
      endTime: String(CREATE_TIME),
    });

    // Signed like any call, and served for POST as well.
    expect(await api('getMeetings', [], 'sha1')).toMatchObject({ returncode: 'SUCCESS' });
    expect(parseXml(await (await get('api/getMeetings?checksum=0')).text())).toMatchObject({
      returncode: 'FAILED',
      messageKey: 'checksumError',
    });
    const posted = await fetch(`${bbb.baseUrl}api/getMeetings?checksum=${checksum('getMeetings', '')}`, {
      method: 'POST',
    });
    expect(parseXml(await posted.text())).toMatchObject({ returncode: 'SUCCESS' });
  });

  it('ends a meeting once its duration (minutes from its creation) has run out; duration 0 never', async () => {
    const clock = { at: CREATE_TIME };
    const timed = await startBigBlueButtonEmulator({ secret: SECRET, now: () => new Date(clock.at) });
    try {
      const call = async (name: string, params: Params) => {
        const response = await fetch(`${timed.baseUrl}api/${name}?${signedQuery(name, params)}`);
        return parseXml(await response.text());
      };
      await call('create', [
        ['name', 'Timed'],
        ['meetingID', 'timed-1'],
        ['duration', '30'],
      ]);
      await call('create', [
        ['name', 'Open'],
        ['meetingID', 'open-1'],
        ['duration', '0'],
      ]);
      for (const meetingID of ['timed-1', 'open-1']) {
        const joined = await call('join', [
          ['fullName', 'Alice'],
          ['meetingID', meetingID],
          ['role', 'MODERATOR'],
          ['redirect', 'false'],
        ]);
        await (await fetch(String(joined.url))).text();
      }

      clock.at = CREATE_TIME + 30 * 60_000 - 1;
      expect((await call('isMeetingRunning', [['meetingID', 'timed-1']])).running).toBe('true');
      clock.at = CREATE_TIME + 30 * 60_000;
      expect((await call('isMeetingRunning', [['meetingID', 'timed-1']])).running).toBe('false');
      expect(timed.emulator.meeting('timed-1')).toMatchObject({ ended: true, attendees: [] });
      expect(await call('getMeetingInfo', [['meetingID', 'timed-1']])).toMatchObject({
        running: 'false',
        endTime: String(CREATE_TIME + 30 * 60_000),
      });

      clock.at = CREATE_TIME + 24 * 60 * 60_000;
      expect(timed.emulator.meeting('open-1')).toMatchObject({ running: true, ended: false });
    } finally {
      await timed.close();
    }
  });

  it('endMeeting (from inside BigBlueButton) ends it as the API would; a new create starts afresh', async () => {
    await createMeeting('ctl-1');
    expect(bbb.emulator.endMeeting('ctl-1')).toBe(true);
    expect(bbb.emulator.endMeeting('ctl-1')).toBe(false);
    expect((await api('isMeetingRunning', [['meetingID', 'ctl-1']])).running).toBe('false');
    const recreated = await createMeeting('ctl-1');
    expect(recreated).toMatchObject({ returncode: 'SUCCESS', hasBeenForciblyEnded: 'false' });
    expect(recreated.messageKey).toBeUndefined();
    expect(bbb.emulator.meeting('ctl-1')?.ended).toBe(false);
  });

  it('escapes the full name on the client page; an unknown session token is a 404 page', async () => {
    await createMeeting('esc-1');
    const evil = `<script>alert("x")</script> & 'Eve'`;
    const joined = await api('join', [
      ['fullName', evil],
      ['meetingID', 'esc-1'],
      ['role', 'VIEWER'],
      ['redirect', 'false'],
    ]);
    const html = await (await fetch(String(joined.url))).text();
    expect(html).not.toContain('<script>');
    expect(html).toContain(
      'data-full-name="&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; &#38; &#39;Eve&#39;"',
    );
    expect(bbb.emulator.meeting('esc-1')?.attendees[0]?.fullName).toBe(evil);

    const unknown = await get('client/join?sessionToken=doesnotexist0000');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/^text\/html/);
  });
});
