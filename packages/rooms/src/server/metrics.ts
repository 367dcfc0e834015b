/**
 * Room metrics: counts only. Who joined which room, names and chat never become labels or samples.
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { RefusalReason, Role } from '../shared/protocol.js';

export interface RoomMetrics {
  joined(role: Role): void;
  left(): void;
  refused(reason: RefusalReason | 'wrong_pin'): void;
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
  };
}
