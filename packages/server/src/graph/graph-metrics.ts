/** Prometheus metrics of calendar sync: Graph calls by outcome, notifications, applied changes. */
import { Counter, Histogram, type Registry } from 'prom-client';

export type GraphOutcome =
  | 'ok'
  | 'not_found'
  | 'throttled'
  | 'server_error'
  | 'unauthorized'
  | 'client_error'
  | 'network_error';

export interface SyncMetrics {
  readonly graphRequests: Counter<'operation' | 'outcome'>;
  readonly graphDuration: Histogram<'operation'>;
  readonly notifications: Counter<'kind' | 'outcome'>;
  readonly changes: Counter<'action'>;
  readonly eventTimes: Counter<'outcome'>;
}

export function createSyncMetrics(registry: Registry): SyncMetrics {
  return {
    graphRequests: new Counter({
      name: 'roomlink_graph_requests_total',
      help: 'Microsoft Graph calls (every HTTP call and every request inside a $batch) by outcome',
      labelNames: ['operation', 'outcome'],
      registers: [registry],
    }),
    graphDuration: new Histogram({
      name: 'roomlink_graph_request_duration_seconds',
      help: 'Time for one Microsoft Graph HTTP call',
      labelNames: ['operation'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    notifications: new Counter({
      name: 'roomlink_graph_notifications_total',
      help: 'Graph change and lifecycle notifications received, by outcome (queued, client_state_mismatch, tenant_mismatch, unknown_subscription, unknown_subscription_limit, no_event_id, contract_ended)',
      labelNames: ['kind', 'outcome'],
      registers: [registry],
    }),
    changes: new Counter({
      name: 'roomlink_sync_changes_total',
      help: 'Calendar changes applied to meetings, by action (updated, cancelled, occurrences, unchanged, stale, refused)',
      labelNames: ['action'],
      registers: [registry],
    }),
    eventTimes: new Counter({
      name: 'roomlink_sync_event_times_total',
      help: 'Events whose times Graph gave in a form sync could not follow as is, by outcome (unreadable: skipped; all_day_zone_fallback: an all-day event with no known zone, placed in its meeting zone or UTC)',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  };
}
