/**
 * What of an error reaches the room service's logs: its type and code only, never its message, which
 * can quote data from the directory.
 */
export function describeError(error: unknown): { type: string | undefined; code: string | undefined } {
  const e = error as { name?: string; code?: string };
  return { type: e?.name, code: e?.code };
}
