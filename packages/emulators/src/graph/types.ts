/**
 * Public shapes of the Graph calendar emulator: the Graph JSON it speaks (a subset of the v1.0 `event`
 * and `subscription` types) and the control API that tests, the demo and the Outlook sandbox use.
 */

export type BodyType = 'text' | 'html';
export type EventType = 'singleInstance' | 'occurrence' | 'exception' | 'seriesMaster';
export type DayOfWeek = 'sunday' | 'monday' | 'tuesday' | 'wednesday' | 'thursday' | 'friday' | 'saturday';
export type WeekIndex = 'first' | 'second' | 'third' | 'fourth' | 'last';
export type RecurrencePatternType =
  | 'daily'
  | 'weekly'
  | 'absoluteMonthly'
  | 'relativeMonthly'
  | 'absoluteYearly'
  | 'relativeYearly';
export type RecurrenceRangeType = 'endDate' | 'noEnd' | 'numbered';
export type FreeBusyStatus = 'unknown' | 'free' | 'tentative' | 'busy' | 'oof' | 'workingElsewhere';
export type Importance = 'low' | 'normal' | 'high';
export type Sensitivity = 'normal' | 'personal' | 'private' | 'confidential';
export type OnlineMeetingProviderType =
  | 'unknown'
  | 'skypeForBusiness'
  | 'skypeForConsumer'
  | 'teamsForBusiness';

export interface DateTimeTimeZone {
  dateTime: string;
  timeZone?: string | null;
}

export interface ItemBody {
  contentType?: BodyType;
  content?: string | null;
}

export interface EmailAddress {
  name?: string | null;
  address?: string | null;
}

export interface Recipient {
  emailAddress?: EmailAddress;
}

export interface Attendee extends Recipient {
  type?: 'required' | 'optional' | 'resource';
  status?: { response?: string; time?: string };
}

export interface Location {
  displayName?: string | null;
  locationType?: string;
  locationUri?: string | null;
  uniqueId?: string | null;
  uniqueIdType?: string;
  locationEmailAddress?: string | null;
  address?: Record<string, string | null>;
  coordinates?: Record<string, number | null>;
}

export interface RecurrencePattern {
  type: RecurrencePatternType;
  interval: number;
  month?: number;
  dayOfMonth?: number;
  daysOfWeek?: DayOfWeek[];
  firstDayOfWeek?: DayOfWeek;
  index?: WeekIndex;
}

export interface RecurrenceRange {
  type: RecurrenceRangeType;
  /** yyyy-mm-dd */
  startDate: string;
  /** yyyy-mm-dd; Graph returns 0001-01-01 when the range has no end date. */
  endDate?: string;
  numberOfOccurrences?: number;
  recurrenceTimeZone?: string;
}

export interface PatternedRecurrence {
  pattern: RecurrencePattern;
  range: RecurrenceRange;
}

export interface SingleValueExtendedProperty {
  id: string;
  value: string;
}

/** Writable event properties: the body of POST/PATCH .../events and of the control API. */
export interface EventInput {
  subject?: string | null;
  body?: ItemBody | null;
  start?: DateTimeTimeZone;
  end?: DateTimeTimeZone;
  isAllDay?: boolean;
  location?: Location | null;
  locations?: Location[];
  attendees?: Attendee[];
  recurrence?: PatternedRecurrence | null;
  isOnlineMeeting?: boolean;
  onlineMeetingProvider?: OnlineMeetingProviderType;
  showAs?: FreeBusyStatus;
  importance?: Importance;
  sensitivity?: Sensitivity;
  categories?: string[];
  isReminderOn?: boolean;
  reminderMinutesBeforeStart?: number;
  responseRequested?: boolean;
  allowNewTimeProposals?: boolean;
  hideAttendees?: boolean;
  transactionId?: string | null;
  singleValueExtendedProperties?: SingleValueExtendedProperty[];
}

/** An event as Graph returns it (default projection, ids in the default REST format). */
export interface GraphEvent {
  '@odata.etag': string;
  id: string;
  createdDateTime: string;
  lastModifiedDateTime: string;
  changeKey: string;
  categories: string[];
  transactionId: string | null;
  originalStartTimeZone: string;
  originalEndTimeZone: string;
  iCalUId: string;
  reminderMinutesBeforeStart: number;
  isReminderOn: boolean;
  hasAttachments: boolean;
  subject: string;
  bodyPreview: string;
  importance: Importance;
  sensitivity: Sensitivity;
  isAllDay: boolean;
  isCancelled: boolean;
  isOrganizer: boolean;
  responseRequested: boolean;
  seriesMasterId: string | null;
  showAs: FreeBusyStatus;
  type: EventType;
  webLink: string;
  onlineMeetingUrl: string | null;
  isOnlineMeeting: boolean;
  onlineMeetingProvider: OnlineMeetingProviderType;
  allowNewTimeProposals: boolean;
  isDraft: boolean;
  hideAttendees: boolean;
  originalStart?: string;
  responseStatus: { response: string; time: string };
  body: { contentType: BodyType; content: string };
  start: DateTimeTimeZone;
  end: DateTimeTimeZone;
  location: Location;
  locations: Location[];
  recurrence: PatternedRecurrence | null;
  attendees: Attendee[];
  organizer: Recipient;
  onlineMeeting: null;
  singleValueExtendedProperties?: SingleValueExtendedProperty[];
}

/** A subscription as Graph returns it. */
export interface GraphSubscription {
  id: string;
  resource: string;
  applicationId: string | null;
  changeType: string;
  clientState: string | null;
  notificationUrl: string;
  notificationQueryOptions: null;
  lifecycleNotificationUrl: string | null;
  expirationDateTime: string;
  creatorId: string;
  includeResourceData: boolean;
  latestSupportedTlsVersion: string;
  encryptionCertificate: null;
  encryptionCertificateId: null;
  notificationUrlAppId: null;
}

export type LifecycleEvent = 'missed' | 'subscriptionRemoved' | 'reauthorizationRequired';

/** What the injected token verifier returns: the claims of a delegated Graph access token. */
export interface AccessTokenClaims {
  tid: string;
  oid: string;
  /** Space-separated delegated scopes, e.g. 'Calendars.Read'. */
  scp: string;
  appid?: string;
  azp?: string;
  iat: number;
  /** Client capabilities; 'cp1' means the client handles CAE claims challenges. */
  xms_cc?: string[];
}

export type AccessTokenVerifier = (jwt: string) => Promise<AccessTokenClaims>;

/** Which requests a fault applies to; path is relative to /v1.0, e.g. '/me/calendarView/delta'. */
export interface RequestMatch {
  method?: string;
  path?: string | RegExp;
}

interface FaultBase {
  /** How many matching requests the fault affects (default 1; Infinity until clear()). */
  count?: number;
  match?: RequestMatch;
}

export type Fault =
  | (FaultBase & { kind: 'throttle'; retryAfterSeconds: number; code?: string; message?: string })
  | (FaultBase & { kind: 'serviceUnavailable'; retryAfterSeconds?: number })
  | (FaultBase & { kind: 'delay'; ms: number })
  | (FaultBase & { kind: 'expiredToken' })
  | (FaultBase & { kind: 'claimsChallenge'; claims?: string })
  /**
   * Forgets every delta token. Graph documents "a 40X-series error with error codes such as
   * syncStateNotFound" for an expired one: 410 Gone by default, `status: 400` as some resources answer.
   */
  | (FaultBase & { kind: 'syncStateNotFound'; status?: 400 | 410 });

/** One request the emulator received (no tokens, no bodies). */
export interface RecordedRequest {
  method: string;
  /** Path below /v1.0 with the query string, e.g. '/me/calendarView/delta?$deltatoken=…'. */
  url: string;
  /** Path below /v1.0 without the query string. */
  path: string;
  /** When the emulator received it, by its clock. */
  time: Date;
  status: number;
  /** Present for requests that arrived inside a JSON batch. */
  batchRequestId?: string;
  headers: {
    prefer?: string;
    clientRequestId?: string;
    hasAuthorization: boolean;
  };
}

/** One attempt to POST notifications to a webhook. */
export interface DeliveryAttempt {
  url: string;
  kind: 'validation' | 'change' | 'lifecycle';
  time: Date;
  /** HTTP status, or 0 when the endpoint could not be reached or timed out. */
  status: number;
  notifications: number;
}

/** A user the emulator knows beyond the token claims (display name and address for `organizer`). */
export interface EmulatedUser {
  oid: string;
  displayName?: string;
  mail?: string;
}
