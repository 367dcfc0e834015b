/**
 * Filesystem errors that say Roomlink's account may not write where it was told to: where it runs,
 * or as whom, must change. Retrying fails the same way, so they are reported as configuration (with
 * the variable that chose the path), never as a bare errno a service manager would restart on.
 */
const REFUSALS: Readonly<Record<string, string>> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
};

/** `permission denied (EACCES)` and the like, or undefined for any other error. */
export function filesystemRefusal(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const reason = code === undefined ? undefined : REFUSALS[code];
  return reason === undefined ? undefined : `${reason} (${code})`;
}

/** What to do about it, the same for every file Roomlink writes; `variables` chose the directory. */
export function writableHint(variables: string): string {
  return (
    `point ${variables} at a directory that the account Roomlink runs as may write (or make it that ` +
    "account's), and run every roomlink command as that account; under systemd, the directory must " +
    'be in ReadWritePaths'
  );
}
