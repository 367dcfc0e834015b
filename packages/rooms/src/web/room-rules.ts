/**
 * The room's rules as the pre-join form shows them (a guest PIN asked, a lobby), and what the form
 * says when the organizer changed them while it sat open: the page reads the room's public status
 * again before a join and when its tab is shown again, and the server's `pin_required` answers a
 * join that still missed the change.
 */
import type { MessageKey } from './texts.js';

export interface RoomRules {
  readonly guestPinRequired: boolean;
  readonly lobby: boolean;
}

/**
 * `proceed`: the join may go as the visitor filled the form (a lobby turned on or off changes only
 * the hint). Otherwise the form stops once, with the PIN field as the room now asks for it and this
 * message: a guest PIN now asked and none typed, or no guest PIN asked any more but one typed (the
 * old guest PIN would be a wrong PIN now, and count towards the lockout).
 */
export type RulesVerdict = 'proceed' | 'pinNowRequired' | 'pinNoLongerAsked';

/**
 * `shown`: the rules the form shows; `now`: the room's status just read. `form.pin`: the PIN typed
 * (digits only); `form.byKey`: the page joins with a host link's ticket or a rejoin token, no PIN.
 */
export function judgeRules(
  shown: RoomRules,
  now: RoomRules,
  form: { readonly pin: string; readonly byKey: boolean },
): RulesVerdict {
  if (form.byKey || shown.guestPinRequired === now.guestPinRequired) return 'proceed';
  if (now.guestPinRequired) return form.pin === '' ? 'pinNowRequired' : 'proceed';
  return form.pin === '' ? 'proceed' : 'pinNoLongerAsked';
}

/**
 * The server answered a join without a PIN with `pin_required`: the room asks a guest PIN now,
 * whatever the form showed. The message says the organizer changed it when the form asked none.
 */
export function afterPinRequired(shown: RoomRules): {
  readonly rules: RoomRules;
  readonly message: MessageKey;
} {
  return {
    rules: { ...shown, guestPinRequired: true },
    message: shown.guestPinRequired ? 'pinRequired' : 'pinNowRequired',
  };
}
