/**
 * Injected failures. Each fault matches requests (method and path below /v1.0), affects `count` of
 * them and then retires. The outer POST /$batch is only affected by faults that name it, so a
 * throttle fault hits the individual requests inside a batch, as Graph throttles them.
 */
import { claimsChallenge, revocationClaims, unauthorized } from './auth.js';
import { GraphError } from './errors.js';
import type { Fault, RequestMatch } from './types.js';

interface ActiveFault {
  fault: Fault;
  remaining: number;
}

/** What the dispatcher must do for one request. */
export interface FaultEffects {
  delayMs: number;
  /** Thrown instead of handling the request. */
  error?: GraphError;
  /** Delta tokens are forgotten before the request is handled. */
  /** The status an expired delta token answers with from now on, when this request expired them. */
  expireSyncState: false | 400 | 410;
}

/**
 * Faults act in two phases, so that a fault is only used up by a request it can affect: before
 * authentication (delay, token faults) and after it (throttling, outages, lost sync state).
 */
export type FaultPhase = 'beforeAuthentication' | 'afterAuthentication';

const PHASE: Readonly<Record<Fault['kind'], FaultPhase>> = {
  delay: 'beforeAuthentication',
  expiredToken: 'beforeAuthentication',
  claimsChallenge: 'beforeAuthentication',
  throttle: 'afterAuthentication',
  serviceUnavailable: 'afterAuthentication',
  syncStateNotFound: 'afterAuthentication',
};

function matches(match: RequestMatch | undefined, method: string, path: string): boolean {
  if (path.toLowerCase() === '/$batch' && !match?.path) return false;
  if (match?.method && match.method.toUpperCase() !== method.toUpperCase()) return false;
  if (match?.path === undefined) return true;
  if (typeof match.path === 'string') return match.path.toLowerCase() === path.toLowerCase();
  return match.path.test(path);
}

export class FaultInjector {
  private faults: ActiveFault[] = [];

  inject(fault: Fault): void {
    this.faults.push({ fault, remaining: fault.count ?? 1 });
  }

  clear(): void {
    this.faults = [];
  }

  /** Consumes the faults of one phase that apply to this request. */
  take(phase: FaultPhase, method: string, path: string, authorizationUri: string, now: Date): FaultEffects {
    const effects: FaultEffects = { delayMs: 0, expireSyncState: false };
    for (const active of this.faults) {
      if (active.remaining <= 0 || PHASE[active.fault.kind] !== phase) continue;
      if (!matches(active.fault.match, method, path)) continue;
      const fault = active.fault;
      if (fault.kind !== 'delay' && effects.error) continue;
      active.remaining--;
      switch (fault.kind) {
        case 'delay':
          effects.delayMs += fault.ms;
          break;
        case 'expiredToken':
          effects.error = unauthorized('Lifetime validation failed, the token is expired.', authorizationUri);
          break;
        case 'claimsChallenge':
          effects.error = claimsChallenge(
            authorizationUri,
            fault.claims ?? revocationClaims(Math.floor(now.getTime() / 1000)),
          );
          break;
        case 'throttle':
          effects.error = new GraphError(
            429,
            fault.code ?? 'ApplicationThrottled',
            fault.message ?? 'Application is over its MailboxConcurrency limit.',
            { 'retry-after': String(fault.retryAfterSeconds) },
          );
          break;
        case 'serviceUnavailable':
          effects.error = new GraphError(
            503,
            'serviceNotAvailable',
            'The service is temporarily unavailable. Please retry after the time in the Retry-After header.',
            fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) },
          );
          break;
        case 'syncStateNotFound':
          effects.expireSyncState = fault.status ?? 410;
          break;
      }
    }
    this.faults = this.faults.filter((f) => f.remaining > 0);
    return effects;
  }
}
