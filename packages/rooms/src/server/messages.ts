/** Parses and validates what a browser sends over the signalling socket. Nothing unvalidated gets further. */
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { type ClientMessage, ClientMessage as ClientMessageSchema, LIMITS } from '../shared/protocol.js';

const check = TypeCompiler.Compile(ClientMessageSchema);

export type ParseResult =
  | { readonly ok: true; readonly message: ClientMessage }
  | { readonly ok: false; readonly reason: 'too_big' | 'not_json' | 'invalid' };

export function parseClientMessage(raw: string | Buffer): ParseResult {
  const bytes = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.length;
  if (bytes > LIMITS.messageBytes) return { ok: false, reason: 'too_big' };
  let value: unknown;
  try {
    value = JSON.parse(typeof raw === 'string' ? raw : raw.toString('utf8'));
  } catch {
    return { ok: false, reason: 'not_json' };
  }
  if (!check.Check(value)) return { ok: false, reason: 'invalid' };
  return { ok: true, message: value };
}

// The join page cleans chat (src/shared/chat-text.ts) and names (src/shared/names.ts) the same way
// before it sends them.
export { cleanChat } from '../shared/chat-text.js';
export { cleanName } from '../shared/names.js';
