/**
 * createBigBlueButtonEmulator: an in-memory BigBlueButton server (bbb-web's HTTP API as published
 * for 2.6–3.0) exposed as a Fastify plugin serving `{prefix}/api/…` and `{prefix}/client/join`, plus
 * a control API for tests (what happened, and what a moderator does inside BigBlueButton).
 */
import { createHash, randomInt } from 'node:crypto';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { type BigBlueButtonChecksumAlgorithm, verifyChecksum } from './checksum.js';
import { renderClientPage, renderNotFoundPage } from './pages.js';
import { errorResponse, successResponse, type XmlChild, xmlResponse } from './xml.js';

export interface BigBlueButtonEmulatorOptions {
  /** The shared secret (`securitySalt` in bbb-web.properties). */
  secret: string;
  /**
   * The server URL as an administrator configures it, e.g. http://127.0.0.1:3000/bigbluebutton/
   * (the API is at `{baseUrl}api/…`). Without it, each request derives it from its Host header and
   * the plugin's prefix.
   */
  baseUrl?: string;
  now?: () => Date;
  /** Checksum algorithms accepted (bbb-web's `supportedChecksumAlgorithms`); default all four. */
  supportedChecksumAlgorithms?: readonly BigBlueButtonChecksumAlgorithm[];
}

export type BigBlueButtonRole = 'MODERATOR' | 'VIEWER';

export interface BigBlueButtonAttendee {
  readonly userID: string;
  readonly fullName: string;
  readonly role: BigBlueButtonRole;
}

export interface BigBlueButtonMeetingSnapshot {
  readonly meetingID: string;
  readonly internalMeetingID: string;
  /** Every parameter of the create call that made the meeting, as received (decoded), checksum left out. */
  readonly createParams: Readonly<Record<string, string>>;
  readonly createTime: number;
  /** True once someone has entered the client and until the meeting ends. */
  readonly running: boolean;
  readonly ended: boolean;
  /** Users who entered through the client page (join alone does not make an attendee). */
  readonly attendees: readonly BigBlueButtonAttendee[];
}

export interface BigBlueButtonRecordedRequest {
  readonly method: string;
  /** The API call (`create`, `join`, …; `''` for the version call at `{baseUrl}api`). */
  readonly call: string;
  /** Decoded parameters in the order received, without `checksum`. */
  readonly params: Readonly<Record<string, string>>;
  /** Whether the checksum verified; null for the version call, which takes none. */
  readonly checksumValid: boolean | null;
}

export interface BigBlueButtonEmulator {
  /** Register with `app.register(emulator.plugin, { prefix: '/bigbluebutton' })`. */
  readonly plugin: FastifyPluginAsync;
  /** The configured server URL with its trailing slash, or '' when none was given. */
  readonly baseUrl: string;
  /** Meetings known to the server (ended ones included until `reset`), oldest first. */
  meetings(): BigBlueButtonMeetingSnapshot[];
  meeting(meetingID: string): BigBlueButtonMeetingSnapshot | undefined;
  /** Every API request received, oldest first. */
  requests(): BigBlueButtonRecordedRequest[];
  clearRequests(): void;
  /** A moderator ends the meeting from inside BigBlueButton. False when there is no such running meeting. */
  endMeeting(meetingID: string): boolean;
  /** Forgets meetings, join sessions and recorded requests. */
  reset(): void;
}

interface Meeting {
  readonly meetingID: string;
  readonly internalMeetingID: string;
  readonly createParams: Record<string, string>;
  readonly createTime: number;
  readonly voiceBridge: string;
  readonly dialNumber: string;
  readonly attendeePW: string | undefined;
  readonly moderatorPW: string | undefined;
  readonly logoutURL: string | undefined;
  readonly guestPolicy: string;
  readonly maxParticipants: number;
  readonly metadata: ReadonlyArray<readonly [string, string]>;
  ended: boolean;
  endTime: number;
  startTime: number;
  attendees: Array<BigBlueButtonAttendee & { readonly sessionToken: string }>;
}

type GuestStatus = 'ALLOW' | 'WAIT' | 'DENY';

interface UserSession {
  readonly sessionToken: string;
  readonly meeting: Meeting;
  readonly userID: string;
  readonly fullName: string;
  readonly role: BigBlueButtonRole;
  readonly guestStatus: GuestStatus;
}

/** Raised while handling a call; becomes bbb-web's FAILED response (or, for join, its error redirect). */
class ApiFailure extends Error {
  constructor(
    readonly messageKey: string,
    message: string,
  ) {
    super(message);
  }
}

const XML_CONTENT_TYPE = 'text/xml;charset=utf-8';
const HTML_CONTENT_TYPE = 'text/html; charset=utf-8';
/** bbb-web's API version (`apiVersion` in bigbluebutton.properties), unchanged since 2.0. */
const API_VERSION = '2.0';
const BBB_VERSION = '3.0.0-emulator';
const DEFAULT_DIAL_NUMBER = '613-555-1234';
/** Calls that bbb-web serves for POST as well as GET (join is GET only since 3.0). */
const POST_CALLS = new Set(['create', 'end', 'isMeetingRunning', 'getMeetingInfo', 'getMeetings']);

const CHECKSUM_MISSING = new ApiFailure('checksumError', 'You must provide the checksum');
const CHECKSUM_MISMATCH = new ApiFailure('checksumError', 'Checksums do not match');
const MEETING_ID_MISSING = new ApiFailure('missingParamMeetingID', 'You must provide a meeting ID');
const MEETING_NOT_FOUND = 'A meeting with that ID does not exist';

const ALPHANUMERIC = 'abcdefghijklmnopqrstuvwxyz0123456789';
function randomToken(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return out;
}

/** Java's Date.toString() in UTC, as bbb-web prints createDate: `Mon Jul 09 17:03:29 UTC 2018`. */
function javaDateString(ms: number): string {
  const date = new Date(ms);
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number): string => String(n).padStart(2, '0');
  return (
    `${days[date.getUTCDay()]} ${months[date.getUTCMonth()]} ${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} UTC ` +
    `${date.getUTCFullYear()}`
  );
}

/** Decoded parameters in received order; the first value of a repeated name wins, as in bbb-web. */
function parseParams(raw: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(raw)) {
    if (!Object.hasOwn(params, name)) params[name] = value;
  }
  return params;
}

function rawQueryOf(request: FastifyRequest): string {
  const at = request.url.indexOf('?');
  return at < 0 ? '' : request.url.slice(at + 1);
}

function withoutChecksum(params: Record<string, string>): Record<string, string> {
  const { checksum: _checksum, ...rest } = params;
  return rest;
}

function required(params: Record<string, string>, name: string, failure: ApiFailure): string {
  const value = params[name]?.trim();
  if (!value) throw failure;
  return value;
}

export function createBigBlueButtonEmulator(options: BigBlueButtonEmulatorOptions): BigBlueButtonEmulator {
  const now = options.now ?? (() => new Date());
  const supported = options.supportedChecksumAlgorithms ?? ['sha1', 'sha256', 'sha384', 'sha512'];
  const configuredBaseUrl = options.baseUrl ? options.baseUrl.replace(/\/*$/, '/') : '';
  /** By external meetingID: the current meeting of that ID (an ended one until it is created again). */
  const meetings = new Map<string, Meeting>();
  const sessions = new Map<string, UserSession>();
  const recorded: BigBlueButtonRecordedRequest[] = [];

  const snapshot = (meeting: Meeting): BigBlueButtonMeetingSnapshot => ({
    meetingID: meeting.meetingID,
    internalMeetingID: meeting.internalMeetingID,
    createParams: { ...meeting.createParams },
    createTime: meeting.createTime,
    running: isRunning(meeting),
    ended: meeting.ended,
    attendees: meeting.attendees.map(({ userID, fullName, role }) => ({ userID, fullName, role })),
  });
  const isRunning = (meeting: Meeting): boolean => !meeting.ended && meeting.attendees.length > 0;

  const end = (meeting: Meeting, at = now().getTime()): void => {
    if (meeting.ended) return;
    meeting.ended = true;
    meeting.endTime = at;
    meeting.attendees = [];
  };

  /**
   * bbb-web ends a meeting whose `duration` (minutes, counted from its creation; 0: no limit) has run
   * out, whoever is in it. Applied before anything reads the meetings, as if a timer had fired then.
   */
  const endExpired = (): void => {
    const at = now().getTime();
    for (const meeting of meetings.values()) {
      const minutes = Number(meeting.createParams.duration ?? 0) || 0;
      const endsAt = meeting.createTime + minutes * 60_000;
      if (!meeting.ended && minutes > 0 && at >= endsAt) end(meeting, endsAt);
    }
  };

  const findMeeting = (params: Record<string, string>, notFoundKey: string): Meeting => {
    const meetingID = required(params, 'meetingID', MEETING_ID_MISSING);
    const meeting = meetings.get(meetingID);
    if (!meeting) throw new ApiFailure(notFoundKey, MEETING_NOT_FOUND);
    return meeting;
  };

  // --- API calls ------------------------------------------------------------------------------------

  const meetingXml = (meeting: Meeting): XmlChild[] => [
    ['meetingID', meeting.meetingID],
    ['internalMeetingID', meeting.internalMeetingID],
    ['parentMeetingID', 'bbb-none'],
    ['attendeePW', meeting.attendeePW || undefined],
    ['moderatorPW', meeting.moderatorPW || undefined],
    ['createTime', meeting.createTime],
    ['voiceBridge', meeting.voiceBridge],
    ['dialNumber', meeting.dialNumber],
    ['createDate', javaDateString(meeting.createTime)],
    ['hasUserJoined', meeting.startTime > 0],
    ['duration', Number(meeting.createParams.duration ?? 0) || 0],
    ['hasBeenForciblyEnded', meeting.ended],
  ];

  const create = (params: Record<string, string>): string => {
    const meetingID = required(params, 'meetingID', MEETING_ID_MISSING);
    const existing = meetings.get(meetingID);
    if (existing && !existing.ended) {
      // bbb-web: same passwords, or none given, is the idempotent case; other passwords are refused.
      const samePasswords =
        (existing.attendeePW ?? '') === (params.attendeePW ?? '') &&
        (existing.moderatorPW ?? '') === (params.moderatorPW ?? '');
      const noPasswords = !params.attendeePW && !params.moderatorPW;
      if (!samePasswords && !noPasswords) {
        throw new ApiFailure(
          'idNotUnique',
          'A meeting already exists with that meeting ID.  Please use a different meeting ID.',
        );
      }
      return successResponse([
        ...meetingXml(existing),
        ['messageKey', 'duplicateWarning'],
        ['message', 'This conference was already in existence and may currently be in progress.'],
      ]);
    }
    const createTime = now().getTime();
    const meeting: Meeting = {
      meetingID,
      internalMeetingID: `${createHash('sha1').update(meetingID).digest('hex')}-${createTime}`,
      createParams: withoutChecksum(params),
      createTime,
      voiceBridge: params.voiceBridge || String(70000 + randomInt(10000)),
      dialNumber: params.dialNumber || DEFAULT_DIAL_NUMBER,
      attendeePW: params.attendeePW || undefined,
      moderatorPW: params.moderatorPW || undefined,
      logoutURL: params.logoutURL || undefined,
      guestPolicy: (params.guestPolicy || 'ALWAYS_ACCEPT').toUpperCase(),
      maxParticipants: Number(params.maxParticipants ?? 0) || 0,
      metadata: Object.entries(params)
        .filter(([name]) => name.startsWith('meta_'))
        .map(([name, value]) => [name.slice('meta_'.length).toLowerCase(), value] as const),
      ended: false,
      endTime: 0,
      startTime: 0,
      attendees: [],
    };
    meetings.set(meetingID, meeting);
    return successResponse([...meetingXml(meeting), ['messageKey', undefined], ['message', undefined]]);
  };

  const resolveRole = (meeting: Meeting, params: Record<string, string>): BigBlueButtonRole => {
    // bbb-web (2.4+): a valid role wins; else the password decides, if the meeting has both passwords.
    const role = params.role?.toLowerCase();
    if (role === 'moderator') return 'MODERATOR';
    if (role === 'viewer') return 'VIEWER';
    const password = params.password;
    if (password) {
      if (meeting.moderatorPW && meeting.attendeePW) {
        if (password === meeting.moderatorPW) return 'MODERATOR';
        if (password === meeting.attendeePW) return 'VIEWER';
        throw new ApiFailure('Params required', 'You must enter a valid password');
      }
      throw new ApiFailure(
        'Params required',
        "You must send the 'role' parameter, since this meeting doesn't have any password.",
      );
    }
    throw new ApiFailure(
      'Params required',
      'You must either send the valid role of the user, or the password, sould the meeting has one.',
    );
  };

  const guestStatus = (meeting: Meeting, role: BigBlueButtonRole, guest: boolean): GuestStatus => {
    if (!guest) return 'ALLOW';
    switch (meeting.guestPolicy) {
      case 'ALWAYS_DENY':
        return 'DENY';
      case 'ASK_MODERATOR':
      case 'ALWAYS_ACCEPT_AUTH':
        return role === 'MODERATOR' ? 'ALLOW' : 'WAIT';
      default:
        return 'ALLOW';
    }
  };

  interface JoinOutcome {
    readonly redirect: boolean;
    readonly url: string;
    readonly xml: string;
  }

  const join = (params: Record<string, string>, baseUrl: string): JoinOutcome => {
    const meetingID = required(params, 'meetingID', MEETING_ID_MISSING);
    const fullName = required(
      params,
      'fullName',
      new ApiFailure('missingParamFullName', 'You must provide your name'),
    );
    const meeting = meetings.get(meetingID);
    if (!meeting) throw new ApiFailure('invalidMeetingIdentifier', MEETING_NOT_FOUND);
    if (meeting.ended) {
      throw new ApiFailure(
        'meetingForciblyEnded',
        'You can not join a meeting that has already been forcibly ended',
      );
    }
    if (params.createTime !== undefined && params.createTime !== String(meeting.createTime)) {
      throw new ApiFailure(
        'mismatchCreateTimeParam',
        'The createTime parameter submitted mismatches with the current meeting.',
      );
    }
    const role = resolveRole(meeting, params);
    const status = guestStatus(meeting, role, params.guest === 'true');
    if (status === 'DENY') {
      throw new ApiFailure(
        'guestDeniedAccess',
        "You have been denied access to this meeting based on the meeting's guest policy",
      );
    }
    if (meeting.maxParticipants > 0 && meeting.attendees.length >= meeting.maxParticipants) {
      throw new ApiFailure(
        'maxParticipantsReached',
        'The number of participants allowed for this meeting has been reached.',
      );
    }
    const sessionToken = randomToken(16);
    const session: UserSession = {
      sessionToken,
      meeting,
      userID: params.userID || `w_${randomToken(12)}`,
      fullName,
      role,
      guestStatus: status,
    };
    sessions.set(sessionToken, session);
    const url = `${baseUrl}client/join?sessionToken=${sessionToken}`;
    const [messageKey, message] =
      status === 'WAIT'
        ? ['guestWait', 'Guest waiting for approval to join meeting.']
        : ['successfullyJoined', 'You have joined successfully.'];
    return {
      redirect: params.redirect !== 'false',
      url,
      xml: successResponse([
        ['messageKey', messageKey],
        ['message', message],
        ['meeting_id', meeting.internalMeetingID],
        ['user_id', session.userID],
        ['auth_token', randomToken(12)],
        ['session_token', sessionToken],
        ['guestStatus', status],
        ['url', url],
      ]),
    };
  };

  const endCall = (params: Record<string, string>): string => {
    const meeting = findMeeting(params, 'notFound');
    // `password` is deprecated on end; a moderator password that does not match is still refused.
    if (params.password && meeting.moderatorPW && params.password !== meeting.moderatorPW) {
      throw new ApiFailure('invalidPassword', 'You must supply the moderator password for this call.');
    }
    end(meeting);
    return successResponse([
      ['messageKey', 'sentEndMeetingRequest'],
      [
        'message',
        'A request to end the meeting was sent.  Please wait a few seconds, and then use the getMeetingInfo or isMeetingRunning API calls to verify that it was ended.',
      ],
    ]);
  };

  const isMeetingRunning = (params: Record<string, string>): string => {
    const meetingID = required(params, 'meetingID', MEETING_ID_MISSING);
    const meeting = meetings.get(meetingID);
    return successResponse([['running', meeting ? isRunning(meeting) : false]]);
  };

  const getMeetingInfo = (params: Record<string, string>): string =>
    successResponse(meetingInfoXml(findMeeting(params, 'notFound')));

  /**
   * Every meeting bbb-web still holds, ended ones included (it forgets them a while later; this
   * emulator never does), each with getMeetingInfo's fields. None: `<meetings/>` and `noMeetings`.
   */
  const getMeetings = (): string => {
    const all = [...meetings.values()];
    if (all.length === 0)
      return successResponse([
        ['meetings', []],
        ['messageKey', 'noMeetings'],
        ['message', 'no meetings were found on this server'],
      ]);
    return successResponse([['meetings', all.map((m): XmlChild => ['meeting', meetingInfoXml(m)])]]);
  };

  const meetingInfoXml = (meeting: Meeting): XmlChild[] => {
    const moderators = meeting.attendees.filter((a) => a.role === 'MODERATOR').length;
    return [
      ['meetingName', meeting.createParams.name ?? meeting.meetingID],
      ['meetingID', meeting.meetingID],
      ['internalMeetingID', meeting.internalMeetingID],
      ['createTime', meeting.createTime],
      ['createDate', javaDateString(meeting.createTime)],
      ['voiceBridge', meeting.voiceBridge],
      ['dialNumber', meeting.dialNumber],
      ['attendeePW', meeting.attendeePW],
      ['moderatorPW', meeting.moderatorPW],
      ['running', isRunning(meeting)],
      ['duration', Number(meeting.createParams.duration ?? 0) || 0],
      ['hasUserJoined', meeting.startTime > 0],
      ['recording', false],
      ['hasBeenForciblyEnded', meeting.ended],
      ['startTime', meeting.startTime],
      ['endTime', meeting.endTime],
      ['participantCount', meeting.attendees.length],
      ['listenerCount', 0],
      ['voiceParticipantCount', 0],
      ['videoCount', 0],
      ['maxUsers', meeting.maxParticipants],
      ['moderatorCount', moderators],
      [
        'attendees',
        meeting.attendees.map(
          (a): XmlChild => [
            'attendee',
            [
              ['userID', a.userID],
              ['fullName', a.fullName],
              ['role', a.role],
              ['isPresenter', false],
              ['isListeningOnly', false],
              ['hasJoinedVoice', false],
              ['hasVideo', false],
              ['clientType', 'HTML5'],
              ['customdata', []],
            ],
          ],
        ),
      ],
      ['metadata', meeting.metadata.map(([name, value]): XmlChild => [name, value])],
      ['isBreakout', false],
    ];
  };

  // --- HTTP -------------------------------------------------------------------------------------

  const sendXml = (reply: FastifyReply, xml: string): FastifyReply =>
    reply.code(200).header('content-type', XML_CONTENT_TYPE).header('cache-control', 'no-cache').send(xml);

  /** bbb-web's error redirect for join (respondWithRedirect): the logout URL with `errors=[{key, message}]`. */
  const joinErrorRedirect = (
    params: Record<string, string>,
    failure: ApiFailure,
    baseUrl: string,
  ): string => {
    const target =
      params.errorRedirectUrl ||
      (params.meetingID ? meetings.get(params.meetingID)?.logoutURL : undefined) ||
      new URL('/', baseUrl).toString();
    const url = new URL(target);
    url.searchParams.append(
      'errors',
      JSON.stringify([{ key: failure.messageKey, message: failure.message }]),
    );
    return url.toString();
  };

  const handleApi = async (
    request: FastifyRequest,
    reply: FastifyReply,
    call: string,
    baseUrl: string,
  ): Promise<FastifyReply> => {
    const rawQuery = rawQueryOf(request);
    const queryParams = parseParams(rawQuery);
    let params = queryParams;
    let duplicated = false;
    if (request.method === 'POST' && typeof request.body === 'string') {
      const contentType = String(request.headers['content-type'] ?? '');
      if (contentType.startsWith('application/x-www-form-urlencoded')) {
        const bodyParams = parseParams(request.body);
        duplicated = Object.keys(bodyParams).some((name) => Object.hasOwn(queryParams, name));
        params = { ...bodyParams, ...queryParams };
      }
    }
    const verdict = verifyChecksum(call, rawQuery, options.secret, supported);
    const checksumValid = verdict.valid && !duplicated;
    recorded.push({ method: request.method, call, params: withoutChecksum(params), checksumValid });
    endExpired();
    try {
      if (!verdict.valid) throw verdict.reason === 'missing' ? CHECKSUM_MISSING : CHECKSUM_MISMATCH;
      // Docs: a parameter sent both in the URL and in the body fails the checksum check.
      if (duplicated) throw CHECKSUM_MISMATCH;
      switch (call) {
        case 'create':
          return sendXml(reply, create(params));
        case 'join': {
          const outcome = join(params, baseUrl);
          return outcome.redirect
            ? reply.code(302).header('location', outcome.url).header('cache-control', 'no-cache').send()
            : sendXml(reply, outcome.xml);
        }
        case 'end':
          return sendXml(reply, endCall(params));
        case 'isMeetingRunning':
          return sendXml(reply, isMeetingRunning(params));
        case 'getMeetingInfo':
          return sendXml(reply, getMeetingInfo(params));
        case 'getMeetings':
          return sendXml(reply, getMeetings());
        default:
          throw new ApiFailure('unsupportedRequest', 'This request is not supported.');
      }
    } catch (error) {
      if (!(error instanceof ApiFailure)) throw error;
      // join answers with a redirect unless redirect=false asks for XML (docs of `redirect`).
      if (call === 'join' && params.redirect !== 'false' && error.messageKey !== 'Params required') {
        return reply
          .code(302)
          .header('location', joinErrorRedirect(params, error, baseUrl))
          .header('cache-control', 'no-cache')
          .send();
      }
      return sendXml(reply, errorResponse(error.messageKey, error.message));
    }
  };

  const plugin: FastifyPluginAsync = async (app: FastifyInstance) => {
    const prefix = app.prefix;
    const baseUrlOf = (request: FastifyRequest): string =>
      configuredBaseUrl || `${request.protocol}://${request.host}${prefix}/`;

    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));

    const version = async (_request: FastifyRequest, reply: FastifyReply) => {
      recorded.push({
        method: _request.method,
        call: '',
        params: parseParams(rawQueryOf(_request)),
        checksumValid: null,
      });
      return sendXml(
        reply,
        xmlResponse([
          ['returncode', 'SUCCESS'],
          ['version', API_VERSION],
          ['apiVersion', API_VERSION],
          ['bbbVersion', BBB_VERSION],
        ]),
      );
    };
    app.get('/api', version);
    app.get('/api/', version);

    app.route<{ Params: { call: string } }>({
      method: ['GET', 'POST'],
      url: '/api/:call',
      handler: async (request, reply) => {
        const { call } = request.params;
        if (request.method === 'POST' && !POST_CALLS.has(call)) {
          return reply.code(405).header('allow', 'GET').send();
        }
        return handleApi(request, reply, call, baseUrlOf(request));
      },
    });

    app.get<{ Querystring: { sessionToken?: string } }>('/client/join', async (request, reply) => {
      const token = parseParams(rawQueryOf(request)).sessionToken ?? '';
      endExpired();
      const session = sessions.get(token);
      reply.header('content-type', HTML_CONTENT_TYPE).header('cache-control', 'no-store');
      if (!session) return reply.code(404).send(renderNotFoundPage());
      const { meeting } = session;
      if (meeting.ended || meetings.get(meeting.meetingID) !== meeting) {
        return reply.code(410).send(renderClientPage(session, 'ENDED'));
      }
      if (session.guestStatus === 'ALLOW' && !meeting.attendees.some((a) => a.sessionToken === token)) {
        meeting.attendees.push({
          sessionToken: token,
          userID: session.userID,
          fullName: session.fullName,
          role: session.role,
        });
        if (meeting.startTime === 0) meeting.startTime = now().getTime();
      }
      return reply
        .code(200)
        .send(renderClientPage(session, session.guestStatus === 'ALLOW' ? 'IN_MEETING' : 'WAITING'));
    });
  };

  return {
    plugin,
    baseUrl: configuredBaseUrl,
    meetings: () => {
      endExpired();
      return [...meetings.values()].map(snapshot);
    },
    meeting(meetingID) {
      endExpired();
      const meeting = meetings.get(meetingID);
      return meeting ? snapshot(meeting) : undefined;
    },
    requests: () => recorded.map((r) => ({ ...r, params: { ...r.params } })),
    clearRequests() {
      recorded.length = 0;
    },
    endMeeting(meetingID) {
      endExpired();
      const meeting = meetings.get(meetingID);
      if (!meeting || meeting.ended) return false;
      end(meeting);
      return true;
    },
    reset() {
      meetings.clear();
      sessions.clear();
      recorded.length = 0;
    },
  };
}
