/**
 * The calls this process sent participants to on an external media engine, kept in step with their
 * meetings as live built-in rooms are (the hub's recheck): once the directory no longer has the room
 * open (its meeting moved to another time, an occurrence cancelled in the calendar, its organisation's
 * contract ended, its window over), the engine is asked to end the call. Without this, such a call
 * would go on until the limit the engine learnt when it started, which lies past the room's closing
 * time so that a meeting extended while its call runs keeps it. A cancellation or deletion made
 * through Roomlink ends the call at once (the provider's cancel); this catches what changes without
 * one.
 *
 * Held in memory, and completed from the engines: every ADOPT_EVERY_MS (the first sweep after start
 * included) the directory is asked which calls the engines run for its rooms, and those not followed
 * yet are followed from then on. So a call still runs unfollowed only until then after a restart, or
 * in a process that sent no one to it. Several processes may follow the same call; ending it is
 * idempotent.
 */
import type { RoomDirectory } from './directory.js';
import { describeError } from './log-safe.js';
import { type RoomWindowPolicy, roomTiming } from './room-window.js';

/** Why a call was ended: its meeting cancelled (or its tenant offboarded), moved, or its window over. */
export type EngineCallEnd = 'cancelled' | 'moved' | 'ended';

export interface EngineCallsOptions {
  readonly directory: RoomDirectory;
  readonly window: RoomWindowPolicy;
  readonly now: () => Date;
  readonly logger: { warn(obj: object, msg: string): void };
  readonly ended: (reason: EngineCallEnd) => void;
}

/**
 * How long after its room's closing time a call whose end keeps failing (the engine unreachable) is
 * still asked to end; past it, the engine has ended it on its own (the limit it was given: an hour
 * past the closing time it was sent people at, as the BigBlueButton provider sets it).
 */
export const GIVE_UP_AFTER_CLOSE_MS = 60 * 60_000;

/** How often the engines are asked which calls they run (see adopt). */
export const ADOPT_EVERY_MS = 5 * 60_000;

interface FollowedCall {
  readonly meetingId: string;
  /**
   * When the room closes as last seen; null: no end known (an open-ended series); undefined: not
   * seen open yet (a call found running on the engine, see adopt), so whether it moved is unknown.
   */
  closesAt: Date | null | undefined;
}

export class EngineCalls {
  /** By the room's slug. */
  readonly #calls = new Map<string, FollowedCall>();
  /** When the engines are next asked for their calls (ms); 0: at the next sweep. */
  #nextAdoption = 0;

  constructor(private readonly options: EngineCallsOptions) {}

  /**
   * Follows the calls the engines run for the directory's rooms that this process does not follow
   * yet: sent there by a process that has restarted since, or by another one. At most every
   * ADOPT_EVERY_MS; resolves to how many were taken up. Never rejects: an engine that does not answer
   * is asked again at the next turn.
   */
  async adopt(): Promise<number> {
    const list = this.options.directory.runningEngineCalls?.bind(this.options.directory);
    const now = this.options.now().getTime();
    if (!list || now < this.#nextAdoption) return 0;
    this.#nextAdoption = now + ADOPT_EVERY_MS;
    let running: Awaited<ReturnType<typeof list>>;
    try {
      running = await list();
    } catch (error) {
      this.options.logger.warn({ err: describeError(error) }, 'listing the calls on the room engine failed');
      return 0;
    }
    let adopted = 0;
    for (const call of running) {
      if (this.#calls.has(call.slug)) continue;
      this.#calls.set(call.slug, { meetingId: call.meetingId, closesAt: undefined });
      adopted++;
    }
    return adopted;
  }

  /** Someone was just sent to the room's call: follow it until it is ended. */
  follow(slug: string, meetingId: string, closesAt: Date | null): void {
    this.#calls.set(slug, { meetingId, closesAt });
  }

  /**
   * Checks the followed calls against the directory: every one, or those of `key` (a slug or a meeting
   * id). One room at a time, as the hub's sweep does. Resolves to how many were ended; never rejects.
   */
  async check(key?: string): Promise<number> {
    let ended = 0;
    for (const [slug, call] of [...this.#calls]) {
      if (key !== undefined && slug !== key && call.meetingId !== key) continue;
      if (await this.#check(slug, call)) ended++;
    }
    return ended;
  }

  async #check(slug: string, call: FollowedCall): Promise<boolean> {
    let info: Awaited<ReturnType<RoomDirectory['findBySlug']>>;
    try {
      info = await this.options.directory.findBySlug(slug);
    } catch (error) {
      this.options.logger.warn(
        { err: describeError(error) },
        'room directory failed while checking an engine call',
      );
      return false;
    }
    // A newer hand-off to the same room replaced this entry meanwhile: its own check decides.
    if (this.#calls.get(slug) !== call) return false;
    // Gone: deleted or erased, which cancelled the room first and so ended its call.
    if (!info?.endEngineCall) {
      this.#calls.delete(slug);
      return false;
    }
    const now = this.options.now();
    const timing = roomTiming(info, now, this.options.window);
    if (timing.state === 'open' && timing.closesAt > now) {
      call.closesAt = timing.closesAt;
      return false;
    }
    // Not open before the closing time last seen, and not cancelled: moved to another time (or a
    // series' occurrence moved); otherwise its window is simply over (perhaps shortened). A call
    // taken up from the engine before its room was seen open has no closing time to compare with.
    const early = call.closesAt === null || (call.closesAt !== undefined && now < call.closesAt);
    const reason: EngineCallEnd =
      timing.state === 'cancelled'
        ? 'cancelled'
        : timing.state === 'not_yet_open' && early
          ? 'moved'
          : 'ended';
    try {
      await info.endEngineCall();
    } catch (error) {
      this.options.logger.warn({ err: describeError(error) }, 'ending a call on the room engine failed');
      // Asked again at the next check, for a while.
      const closed = call.closesAt ? call.closesAt.getTime() : null;
      if (
        closed !== null &&
        now.getTime() > closed + GIVE_UP_AFTER_CLOSE_MS &&
        this.#calls.get(slug) === call
      )
        this.#calls.delete(slug);
      return false;
    }
    if (this.#calls.get(slug) === call) this.#calls.delete(slug);
    this.options.ended(reason);
    return true;
  }
}
