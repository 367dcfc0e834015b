/**
 * Microsoft Graph v1.0 calendar emulator: events, calendarView (+ delta), JSON batching,
 * subscriptions with webhook validation, change and lifecycle notifications, faults, and a checker
 * for payloads against Graph's published CSDL. See emulator.ts for the control API.
 */
export { GRAPH_AUDIENCES, type JwksVerifierOptions, jwksVerifier } from './auth.js';
export { MAX_BATCH_REQUESTS } from './batch.js';
export { DEFAULT_PAGE_SIZE } from './calendar-routes.js';
export {
  createGraphEmulator,
  type GraphEmulator,
  type GraphEmulatorOptions,
  registerGraphEmulator,
} from './emulator.js';
export { customPropertiesId, PS_PUBLIC_STRINGS } from './extended-properties.js';
export {
  assertConforms,
  type ConformanceIssue,
  type ConformanceOptions,
  type CsdlModel,
  checkConformance,
  loadCsdl,
  parseCsdl,
} from './schema-check.js';
export { type RunningGraphEmulator, type StandaloneGraphOptions, startGraphEmulator } from './standalone.js';
export { MIN_SUBSCRIPTION_MINUTES, OUTLOOK_MAX_SUBSCRIPTION_MINUTES } from './subscriptions.js';
export type {
  AccessTokenClaims as GraphAccessTokenClaims,
  AccessTokenVerifier as GraphAccessTokenVerifier,
  DateTimeTimeZone,
  DeliveryAttempt as WebhookDeliveryAttempt,
  EmulatedUser as GraphUser,
  EventInput as GraphEventInput,
  Fault as GraphFault,
  GraphEvent,
  GraphSubscription,
  LifecycleEvent as GraphLifecycleEvent,
  PatternedRecurrence,
  RecordedRequest as GraphRecordedRequest,
  RequestMatch as GraphRequestMatch,
  SingleValueExtendedProperty,
} from './types.js';
