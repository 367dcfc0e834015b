/** The signalling WebSocket, typed with the shared protocol. */
import type { ClientMessage, RoomStatus, ServerMessage } from '../shared/protocol.js';
import { type Admission, admissionFrom } from './admission.js';

export class Signalling {
  #socket: WebSocket | null = null;
  onMessage: (message: ServerMessage) => void = () => undefined;
  /** Called once when the server or the network closes the socket (not after close()). */
  onClose: (code: number) => void = () => undefined;

  constructor(private readonly url: string) {}

  get open(): boolean {
    return this.#socket?.readyState === WebSocket.OPEN;
  }

  connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(this.url);
      this.#socket = socket;
      let opened = false;
      socket.addEventListener('open', () => {
        opened = true;
        resolve();
      });
      socket.addEventListener('message', (event) => {
        if (typeof event.data !== 'string') return;
        let message: ServerMessage;
        try {
          message = JSON.parse(event.data) as ServerMessage;
        } catch {
          return;
        }
        this.onMessage(message);
      });
      socket.addEventListener('close', (event) => {
        // close() detaches the socket first: closing on purpose is not news.
        const current = this.#socket === socket;
        if (current) this.#socket = null;
        if (!opened) reject(new Error('the signalling connection failed'));
        else if (current) this.onClose(event.code);
      });
    });
  }

  /**
   * False when the socket is no longer open: it may be closing while its close event waits its turn,
   * and what is sent then would be lost without a word.
   */
  send(message: ClientMessage): boolean {
    if (this.#socket?.readyState !== WebSocket.OPEN) return false;
    this.#socket.send(JSON.stringify(message));
    return true;
  }

  close(): void {
    const socket = this.#socket;
    this.#socket = null;
    socket?.close(1000);
  }
}

export function signallingUrl(slug: string): string {
  const url = new URL(`/api/v1/rooms/${encodeURIComponent(slug)}/signal`, location.href);
  url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
  url.search = '';
  return url.toString();
}

export type StatusResult = RoomStatus | { readonly state: 'not_found' } | { readonly state: 'unavailable' };

export async function fetchStatus(slug: string): Promise<StatusResult> {
  try {
    const response = await fetch(`/api/v1/rooms/${encodeURIComponent(slug)}`, {
      headers: { accept: 'application/json' },
      cache: 'no-store',
    });
    if (response.status === 404) return { state: 'not_found' };
    if (!response.ok) return { state: 'unavailable' };
    return (await response.json()) as RoomStatus;
  } catch {
    return { state: 'unavailable' };
  }
}

/** Asked only after a connection failed to open: whether the server refused it for this network. */
export async function fetchAdmission(slug: string): Promise<Admission> {
  try {
    const response = await fetch(`/api/v1/rooms/${encodeURIComponent(slug)}/admission`, {
      headers: { accept: 'application/problem+json' },
      cache: 'no-store',
    });
    if (response.status !== 429) return { state: 'unknown' };
    return admissionFrom(await response.json(), response.headers.get('retry-after'));
  } catch {
    return { state: 'unknown' };
  }
}
