/**
 * One tenant export at a time in a server process. An export reads and decrypts a whole tenant; it
 * gives other requests their turn (SubjectRequestService yields between users and pages), but
 * several at once would still share one event loop and one database connection with everyone else.
 * A second export asked for meanwhile is refused (`export_in_progress`, 429) rather than queued:
 * the browser waiting for its download would otherwise see nothing happen for as long as the
 * first one takes. The gate is held until the export's stream closes, so a download that stops
 * taking data is ended after a while (admin/api.ts, EXPORT_STALL_TIMEOUT_MS) rather than left to
 * hold it for as long as its client keeps the connection open.
 */
export class ExportGate {
  #busy = false;
  #waiting: (() => void)[] = [];

  /** Whether an export holds the gate now. */
  get busy(): boolean {
    return this.#busy;
  }

  /** Resolves once no export holds the gate (at once if none does). */
  whenFree(): Promise<void> {
    if (!this.#busy) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /**
   * Takes the gate: a function that gives it back (calling it again does nothing), or undefined
   * when an export holds it already.
   */
  tryEnter(): (() => void) | undefined {
    if (this.#busy) return undefined;
    this.#busy = true;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#busy = false;
      for (const resolve of this.#waiting.splice(0)) resolve();
    };
  }
}
