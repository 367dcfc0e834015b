/**
 * One export at a time per tenant in a server process. An export reads and decrypts a whole tenant;
 * it gives other requests their turn (SubjectRequestService yields between users and pages). A second
 * export of the same tenant asked for meanwhile is refused (`export_in_progress`, 429) rather than
 * queued: the browser waiting for its download would otherwise see nothing happen for as long as the
 * first one takes. The gate is per tenant, not per process, because one organisation must not be able
 * to keep the others from their data: on a deployment open to many tenants, any tenant's admin could
 * otherwise hold the only slot with a slow download (the security review's finding). The gate is held
 * until the export's stream closes, so a download that stops taking data is ended after a while
 * (admin/api.ts, EXPORT_STALL_TIMEOUT_MS) rather than left to hold it for as long as its client keeps
 * the connection open.
 */
export class ExportGate {
  readonly #busy = new Set<string>();
  #waiting: (() => void)[] = [];

  /** Whether an export (of any tenant) holds the gate now. */
  get busy(): boolean {
    return this.#busy.size > 0;
  }

  /** Resolves once no export of any tenant holds the gate (at once if none does). */
  whenFree(): Promise<void> {
    if (this.#busy.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /**
   * Takes the tenant's gate: a function that gives it back (calling it again does nothing), or
   * undefined when an export of that tenant holds it already.
   */
  tryEnter(tenantId: string): (() => void) | undefined {
    if (this.#busy.has(tenantId)) return undefined;
    this.#busy.add(tenantId);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#busy.delete(tenantId);
      if (this.#busy.size === 0) for (const resolve of this.#waiting.splice(0)) resolve();
    };
  }
}
