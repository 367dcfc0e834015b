/** The join page's pure part for rules the organizer changed while the pre-join form sat open. */
import { describe, expect, it } from 'vitest';
import { afterPinRequired, judgeRules, type RoomRules } from '../src/web/room-rules.js';
import { format } from '../src/web/texts.js';

const open: RoomRules = { guestPinRequired: false, lobby: false };
const withPin: RoomRules = { guestPinRequired: true, lobby: false };
const withLobby: RoomRules = { guestPinRequired: false, lobby: true };
const empty = { pin: '', byKey: false };
const typed = { pin: '771204', byKey: false };

describe('rules read again before a join', () => {
  it('stop a join without a PIN once a guest PIN is asked, so that the form asks for it first', () => {
    expect(judgeRules(open, withPin, empty)).toBe('pinNowRequired');
    // A PIN typed in the host PIN field goes: the server tells the host PIN from the guest PIN.
    expect(judgeRules(open, withPin, typed)).toBe('proceed');
  });

  it('let a guest without a PIN in once no guest PIN is asked, and stop one who typed the old one', () => {
    expect(judgeRules(withPin, open, empty)).toBe('proceed');
    // The old guest PIN would now be a wrong PIN, counted towards the lockout.
    expect(judgeRules(withPin, open, typed)).toBe('pinNoLongerAsked');
  });

  it('never stop a join for a lobby turned on or off, nor for unchanged rules', () => {
    expect(judgeRules(open, withLobby, empty)).toBe('proceed');
    expect(judgeRules(withLobby, open, typed)).toBe('proceed');
    expect(judgeRules(withPin, withPin, empty)).toBe('proceed');
    expect(judgeRules(open, open, typed)).toBe('proceed');
  });

  it('never stop a join with a host link, a rejoin token or a guest’s ticket: no PIN goes with it', () => {
    expect(judgeRules(open, withPin, { pin: '', byKey: true })).toBe('proceed');
    expect(judgeRules(withPin, open, { pin: '771204', byKey: true })).toBe('proceed');
  });
});

describe('the server asking for a PIN the form did not', () => {
  it('turns the field into the guests’ and says the organizer asks for one now', () => {
    expect(afterPinRequired(withLobby)).toEqual({
      rules: { guestPinRequired: true, lobby: true },
      message: 'pinNowRequired',
    });
    // The form asked for it already: the usual words.
    expect(afterPinRequired(withPin).message).toBe('pinRequired');
  });

  it('says so in English and French', () => {
    expect(format('en', 'pinNowRequired')).toBe(
      'The organizer now asks for a PIN to join. Enter the meeting PIN from your invitation.',
    );
    expect(format('fr', 'pinNowRequired')).toBe(
      'L’organisateur demande désormais un code PIN pour rejoindre la réunion. Saisissez le code PIN de votre invitation.',
    );
    expect(format('en', 'pinNoLongerAsked')).toBe(
      'The organizer no longer asks guests for a PIN. Guests: leave the PIN empty. Hosts: enter your host PIN.',
    );
    expect(format('fr', 'pinNoLongerAsked')).toBe(
      'L’organisateur ne demande plus de code PIN aux invités. Invités : laissez le code PIN vide. Organisateurs : saisissez votre code PIN organisateur.',
    );
  });
});
