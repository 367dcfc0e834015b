/** A SandboxCalendar in memory, for tests and for running the sandbox without the Graph emulator. */
import { randomUUID } from 'node:crypto';
import type { SandboxCalendar, SandboxEvent, SandboxEventInput, SandboxUser } from './types.js';

export interface MemoryCalendar extends SandboxCalendar {
  /** Every event, by user. */
  readonly events: Map<string, Map<string, SandboxEvent>>;
}

export function createMemoryCalendar(users: readonly SandboxUser[]): MemoryCalendar {
  const events = new Map<string, Map<string, SandboxEvent>>();
  const calendar = (upn: string) => {
    if (!users.some((u) => u.upn === upn)) throw new Error(`unknown user ${upn}`);
    const existing = events.get(upn);
    if (existing) return existing;
    const created = new Map<string, SandboxEvent>();
    events.set(upn, created);
    return created;
  };
  const mergeProperties = (previous: SandboxEvent | undefined, input: SandboxEventInput) => {
    const merged = new Map(
      (previous?.singleValueExtendedProperties ?? []).map((p) => [p.id.toLowerCase(), p]),
    );
    for (const p of input.singleValueExtendedProperties ?? []) merged.set(p.id.toLowerCase(), p);
    return [...merged.values()];
  };
  return {
    events,
    listUsers: async () => users,
    createEvent: async (upn, input) => {
      const event: SandboxEvent = { ...structuredClone(input), id: randomUUID() };
      calendar(upn).set(event.id, event);
      return structuredClone(event);
    },
    updateEvent: async (upn, id, input) => {
      const map = calendar(upn);
      const previous = map.get(id);
      if (!previous) throw new Error(`no event ${id}`);
      const event: SandboxEvent = {
        ...structuredClone(input),
        id,
        singleValueExtendedProperties: mergeProperties(previous, input),
      };
      map.set(id, event);
      return structuredClone(event);
    },
    getEvent: async (upn, id, extendedPropertyIds) => {
      const event = calendar(upn).get(id);
      if (!event) return null;
      const wanted = new Set(extendedPropertyIds.map((p) => p.toLowerCase()));
      const { singleValueExtendedProperties, ...rest } = structuredClone(event);
      const expanded = (singleValueExtendedProperties ?? []).filter((p) => wanted.has(p.id.toLowerCase()));
      return expanded.length > 0 ? { ...rest, singleValueExtendedProperties: expanded } : rest;
    },
  };
}
