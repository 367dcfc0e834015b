/** Exit codes of the `roomlink` command (documented in docs/errors.md). */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 64,
  /** The request conflicts with what is recorded (e.g. nothing to cancel, too late to cancel). */
  conflict: 65,
  /** No such tenant or user. */
  notFound: 66,
  /** bin/roomlink.js only: the command is not built yet (sysexits' EX_SOFTWARE). */
  notBuilt: 70,
  config: 78,
  database: 69,
  keys: 77,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
