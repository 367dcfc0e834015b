/**
 * Delta query state for calendarView/delta. A round starts with a plan (which instances to report)
 * and a snapshot of what the client will know afterwards (instance → version). Pages walk the plan;
 * the final page issues a delta token holding the snapshot. Following a delta token plans only the
 * instances whose version changed, appeared or disappeared. Tokens are opaque and kept in memory.
 */
import { randomBytes } from 'node:crypto';
import { GraphError } from './errors.js';
import { refKey } from './ids.js';
import type { EventInstance } from './store.js';

type Snapshot = Map<string, string>;

export interface DeltaScope {
  ownerOid: string;
  /** 'me' or 'users/{id}', as the client addressed the calendar; links repeat it. */
  route: string;
  windowStart: number;
  windowEnd: number;
}

interface Round {
  scope: DeltaScope;
  plan: string[];
  /** What the client knew when the round started. */
  known: ReadonlySet<string>;
  /** What the client will know after the pages emitted so far. */
  snapshot: Snapshot;
}

type TokenEntry =
  | { kind: 'skip'; round: Round; cursor: number }
  | { kind: 'delta'; scope: DeltaScope; snapshot: Snapshot };

export type DeltaEntry = { instance: EventInstance } | { removedKey: string };

export interface DeltaPage {
  entries: DeltaEntry[];
  /** Exactly one of the two is set. */
  skipToken?: string;
  deltaToken?: string;
}

/** Bounds memory; Outlook also forgets old delta tokens when its token cache is full. */
const MAX_TOKENS = 10_000;

export class DeltaTracker {
  private readonly tokens = new Map<string, TokenEntry>();
  private expiredStatus: 400 | 410 = 410;

  /** Forgets every token: the next use of any link answers `status` (410 Gone unless told). */
  expireAll(status: 400 | 410 = 410): void {
    this.tokens.clear();
    this.expiredStatus = status;
  }

  /** An initial round: everything currently in the view. */
  start(scope: DeltaScope, current: readonly EventInstance[]): { round: Round; cursor: number } {
    return {
      round: { scope, plan: current.map((i) => refKey(i.ref)), known: new Set(), snapshot: new Map() },
      cursor: 0,
    };
  }

  /** Resumes from a $skiptoken or $deltatoken for the user who holds it. */
  resume(
    token: { skipToken?: string; deltaToken?: string },
    ownerOid: string,
    viewOf: (scope: DeltaScope) => readonly EventInstance[],
  ): { round: Round; cursor: number } {
    const entry = this.tokens.get(token.skipToken ?? token.deltaToken ?? '');
    const expectedKind = token.skipToken !== undefined ? 'skip' : 'delta';
    if (!entry || entry.kind !== expectedKind) throw this.syncStateNotFound();
    if (entry.kind === 'skip') {
      if (entry.round.scope.ownerOid !== ownerOid) throw this.syncStateNotFound();
      return { round: entry.round, cursor: entry.cursor };
    }
    if (entry.scope.ownerOid !== ownerOid) throw this.syncStateNotFound();
    const now = new Map(viewOf(entry.scope).map((i) => [refKey(i.ref), i.version] as const));
    const plan = [...now].filter(([key, version]) => entry.snapshot.get(key) !== version).map(([key]) => key);
    for (const key of entry.snapshot.keys()) if (!now.has(key)) plan.push(key);
    return {
      round: {
        scope: entry.scope,
        plan,
        known: new Set(entry.snapshot.keys()),
        snapshot: new Map(entry.snapshot),
      },
      cursor: 0,
    };
  }

  /**
   * Emits up to pageSize entries from the plan, resolving each against the view as it is now, and
   * issues the token for the next request.
   */
  page(round: Round, cursor: number, pageSize: number, current: readonly EventInstance[]): DeltaPage {
    const inView = new Map(current.map((i) => [refKey(i.ref), i] as const));
    const entries: DeltaEntry[] = [];
    let position = cursor;
    while (position < round.plan.length && entries.length < pageSize) {
      const key = round.plan[position++] as string;
      const instance = inView.get(key);
      if (instance) {
        entries.push({ instance });
        round.snapshot.set(key, instance.version);
      } else if (round.known.has(key) || round.snapshot.has(key)) {
        entries.push({ removedKey: key });
        round.snapshot.delete(key);
      }
    }
    if (position < round.plan.length) {
      return { entries, skipToken: this.issue({ kind: 'skip', round, cursor: position }) };
    }
    return {
      entries,
      deltaToken: this.issue({ kind: 'delta', scope: round.scope, snapshot: new Map(round.snapshot) }),
    };
  }

  private syncStateNotFound(): GraphError {
    const code = this.expiredStatus === 410 ? 'SyncStateNotFound' : 'syncStateNotFound';
    return new GraphError(this.expiredStatus, code, 'The sync state generation is not found or has expired.');
  }

  private issue(entry: TokenEntry): string {
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, entry);
    if (this.tokens.size > MAX_TOKENS) {
      const oldest = this.tokens.keys().next().value;
      if (oldest !== undefined) this.tokens.delete(oldest);
    }
    return token;
  }
}
