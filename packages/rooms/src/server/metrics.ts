/**
 * Room metrics: counts only. Who joined which room, names and chat never become labels or samples.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { RefusalReason, Role } from '../shared/protocol.js';
import type { EngineCallEnd } from './engine-calls.js';

/**
 * Why a signalling connection was refused before it could send a join: too many new connections from
 * its client (429), its client already holds maxSocketsPerClient sockets (429; a 4008 close after the
 * handshake only if the hub is handed a socket past the cap without an admission), or a page from
 * another site (403).
 */
export type ConnectionRefusal = 'connection_rate' | 'socket_cap' | 'origin';

const CONNECTION_REFUSALS: readonly ConnectionRefusal[] = ['connection_rate', 'socket_cap', 'origin'];

export interface RoomMetrics {
  joined(role: Role): void;
  left(): void;
  refused(reason: RefusalReason | 'wrong_pin'): void;
  connectionRefused(reason: ConnectionRefusal): void;
  /** A participant admitted to a room that runs on an external engine, and sent there. */
  handedOff(role: Role): void;
  /** A call on an external engine ended because its room no longer is open (see EngineCalls). */
  engineCallEnded(reason: EngineCallEnd): void;
}

export interface LiveCounts {
  rooms(): number;
  participants(): number;
  waiting(): number;
}

export function createRoomMetrics(registry: Registry | undefined, live: LiveCounts): RoomMetrics {
  const registers = [registry ?? new Registry()];
  const metric = <T>(name: string, make: () => T): T => {
    // A second room service on the same registry (tests, reloads) replaces the first one's metrics.
    for (const r of registers) r.removeSingleMetric(name);
    return make();
  };
  const joins = metric(
    'roomlink_rooms_joins_total',
    () =>
      new Counter({
        name: 'roomlink_rooms_joins_total',
        help: 'Participants admitted to a built-in room, by role',
        labelNames: ['role'],
        registers,
      }),
  );
  const leaves = metric(
    'roomlink_rooms_leaves_total',
    () =>
      new Counter({
        name: 'roomlink_rooms_leaves_total',
        help: 'Participants who left a built-in room',
        registers,
      }),
  );
  const refusals = metric(
    'roomlink_rooms_refusals_total',
    () =>
      new Counter({
        name: 'roomlink_rooms_refusals_total',
        help: 'Join attempts refused, by reason (wrong_pin counts each wrong PIN)',
        labelNames: ['reason'],
        registers,
      }),
  );
  const connectionRefusals = metric(
    'roomlink_rooms_connections_refused_total',
    () =>
      new Counter({
        name: 'roomlink_rooms_connections_refused_total',
        help: 'Signalling connections refused before a join could be sent, by reason',
        labelNames: ['reason'],
        registers,
      }),
  );
  const handOffs = metric(
    'roomlink_rooms_handoffs_total',
    () =>
      new Counter({
        name: 'roomlink_rooms_handoffs_total',
        help: 'Participants admitted by the join page and sent to an external media engine, by role',
        labelNames: ['role'],
        registers,
      }),
  );
  const engineCallsEnded = metric(
    'roomlink_rooms_engine_calls_ended_total',
    () =>
      new Counter({
        name: 'roomlink_rooms_engine_calls_ended_total',
        help: 'Calls on an external media engine ended because their room no longer is open, by reason (cancelled, moved, ended)',
        labelNames: ['reason'],
        registers,
      }),
  );
  // Bound once, so that a flood of refusals builds no label objects. Every reason is there from the
  // start at 0: a rate() or an alert sees the first refusal as an increase, not as a new series.
  const refusedConnections = new Map(
    CONNECTION_REFUSALS.map((reason) => {
      const child = connectionRefusals.labels(reason);
      child.inc(0);
      return [reason, child] as const;
    }),
  );
  metric(
    'roomlink_rooms_live',
    () =>
      new Gauge({
        name: 'roomlink_rooms_live',
        help: 'Built-in rooms with someone in them or waiting',
        registers,
        collect() {
          this.set(live.rooms());
        },
      }),
  );
  metric(
    'roomlink_rooms_participants',
    () =>
      new Gauge({
        name: 'roomlink_rooms_participants',
        help: 'Participants in built-in rooms now',
        registers,
        collect() {
          this.set(live.participants());
        },
      }),
  );
  metric(
    'roomlink_rooms_lobby_waiting',
    () =>
      new Gauge({
        name: 'roomlink_rooms_lobby_waiting',
        help: 'Guests waiting in a lobby now',
        registers,
        collect() {
          this.set(live.waiting());
        },
      }),
  );
  return {
    joined: (role) => joins.inc({ role }),
    left: () => leaves.inc(),
    refused: (reason) => refusals.inc({ reason }),
    connectionRefused: (reason) => refusedConnections.get(reason)?.inc(),
    handedOff: (role) => handOffs.inc({ role }),
    engineCallEnded: (reason) => engineCallsEnded.inc({ reason }),
  };
}
