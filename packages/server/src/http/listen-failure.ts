/**
 * Why the server could not listen on HOST:PORT, in words an operator acts on: the usual first-run
 * failure (something else on port 3000) otherwise ends `npm start` with a bare
 * `listen EADDRINUSE`. `kind` says whether waiting can help (`in-use`: the other process may stop;
 * a service manager restarts) or only a change of HOST or PORT can (`refused`).
 */
export class ListenFailed extends Error {
  constructor(
    readonly kind: 'in-use' | 'refused',
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ListenFailed';
  }
}

/** `error` (from listen) as ListenFailed when it is one of the reasons below; else `error` itself. */
export function listenFailureOr(error: unknown, host: string, port: number): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  const where = `cannot listen on ${host.includes(':') ? `[${host}]` : host}:${port}`;
  const options = { cause: error };
  switch (code) {
    case 'EADDRINUSE':
      return new ListenFailed(
        'in-use',
        `${where}: another process is using port ${port} there; stop it, or set PORT to a free port ` +
          `(PORT=${port === 65535 ? 3000 : port + 1} npm start, say)`,
        options,
      );
    case 'EACCES':
      return new ListenFailed(
        'refused',
        `${where}: this account may not use port ${port} (ports below 1024 need root or ` +
          'CAP_NET_BIND_SERVICE); set PORT to 1024 or above and put a reverse proxy on the lower port',
        options,
      );
    // Not EAI_AGAIN: a name server not answering yet (at boot, say) is no wrong HOST, and a restart
    // may resolve it, so that one stays an ordinary failure.
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new ListenFailed(
        'refused',
        `${where}: HOST=${host} is not an address of this machine; set HOST to one of its addresses, ` +
          '0.0.0.0 (every IPv4 address), :: (every address) or 127.0.0.1 (this machine only)',
        options,
      );
    default:
      return error;
  }
}
