/** The join page's pure parts, in Node: what it says for join errors and when it asks again. */
import { describe, expect, it } from 'vitest';
import { cleanName as serverCleanName } from '../src/server/messages.js';
import { cleanName } from '../src/shared/names.js';
import { CLOSE, REJOIN_GRACE_MS } from '../src/shared/protocol.js';
import {
  admissionFrom,
  BUSY_MESSAGES,
  DEFAULT_RETRY_SECONDS,
  MAX_RETRY_SECONDS,
  retryDelayMs,
  retrySeconds,
} from '../src/web/admission.js';
import { END_MESSAGES, endingOf, endingOnClose } from '../src/web/endings.js';
import {
  hostLinkFrom,
  joinMessage,
  keepsRejoinAfter,
  keyAfterJoined,
  languageSwitchTarget,
  RejoinKeyStore,
} from '../src/web/host-link.js';
import { joinErrorFor } from '../src/web/join-errors.js';
import { PAST_RECHECK_MS, recheckDelay, UNKNOWN_RECHECK_MS } from '../src/web/recheck.js';
import { format, MESSAGE_KEYS } from '../src/web/texts.js';

describe('join errors', () => {
  it('every error the server can answer a join with gets a message, in English and French', () => {
    for (const code of [
      'wrong_pin',
      'pin_required',
      'invalid_message',
      'already_joined',
      'rate_limited',
      'host_link_invalid',
    ] as const) {
      const error = joinErrorFor(code, 2);
      expect(error, code).not.toBeNull();
      if (!error) continue;
      for (const language of ['en', 'fr'] as const) {
        const text = format(language, error.key, error.vars);
        expect(text, `${code} ${language}`).toMatch(/\S/);
        expect(text, `${code} ${language}`).not.toContain('{');
      }
    }
    expect(format('fr', joinErrorFor('invalid_message')?.key ?? 'unavailable')).toContain('nom');
  });

  it('points at the field to fix', () => {
    expect(joinErrorFor('invalid_message')?.field).toBe('name');
    expect(joinErrorFor('wrong_pin', 1)).toEqual({ key: 'wrongPin', vars: { remaining: 1 }, field: 'pin' });
    expect(joinErrorFor('rate_limited')?.field).toBe('form');
    // Errors that only come during the call are not the form's business.
    expect(joinErrorFor('not_joined')).toBeNull();
  });

  it('cleans names exactly as the server does', () => {
    for (const name of ['\u200B', ' \u202E\u2066 ', 'Ada\u200B Lovelace', '  Zoë\tB  ', 'e\u0301'])
      expect(cleanName(name), JSON.stringify(name)).toBe(serverCleanName(name));
    expect(cleanName('\u200B\u200D')).toBe('');
  });
});

describe('join page texts', () => {
  it('says how many PIN attempts are left with proper plurals, in English and French', () => {
    const wrongPin = (language: 'en' | 'fr', remaining: number) =>
      format(language, joinErrorFor('wrong_pin', remaining)?.key ?? 'unavailable', { remaining });
    expect(wrongPin('en', 1)).toBe('Wrong PIN. 1 attempt left.');
    expect(wrongPin('en', 4)).toBe('Wrong PIN. 4 attempts left.');
    expect(wrongPin('fr', 1)).toBe('Code PIN erroné. Encore 1 essai.');
    expect(wrongPin('fr', 4)).toBe('Code PIN erroné. Encore 4 essais.');
  });

  it('tells hosts to type their host PIN in the single PIN field of a guest-PIN room', () => {
    expect(format('en', 'pinHint')).toBe('The PIN in your invitation. Hosts: enter your host PIN here.');
    expect(format('fr', 'pinHint')).toBe(
      'Le code PIN de votre invitation. Organisateurs : saisissez ici votre code PIN organisateur.',
    );
  });

  it('says apart a full lobby from a full room, a lobby without host, chat too fast and a moved meeting', () => {
    for (const language of ['en', 'fr'] as const) {
      expect(format(language, 'lobbyFull'), language).not.toBe(format(language, 'roomFullNoMax'));
      expect(format(language, 'waitingNoHost'), language).not.toBe(format(language, 'waiting'));
      expect(format(language, 'endedMoved'), language).not.toBe(format(language, 'endedTime'));
      expect(format(language, 'chatTooLong', { max: 1000 }), language).toContain('1000');
    }
    expect(format('en', 'lobbyFull')).toBe(
      'Too many people are already waiting to be let in. Try again in a few minutes.',
    );
    expect(format('fr', 'lobbyFull')).toBe(
      'Trop de personnes attendent déjà d’être admises. Réessayez dans quelques minutes.',
    );
    expect(format('fr', 'waitingNoHost')).toMatch(/^Aucun organisateur n’est dans la réunion/);
    expect(format('fr', 'chatTooFast')).toMatch(/^Vous envoyez des messages trop vite/);
    expect(format('fr', 'endedMoved')).toBe(
      'L’organisateur a déplacé ou annulé la réunion : elle n’a pas lieu maintenant.',
    );
  });

  it('points the organizer locked out by wrong PINs to the host link, in the pane’s own words', () => {
    expect(format('en', 'locked', { minutes: 15 })).toBe(
      'Too many wrong PINs. Try again in 15 min. Organizer? Use “Join as host” in Roomlink options in Outlook.',
    );
    expect(format('fr', 'locked', { minutes: 15 })).toBe(
      'Trop de codes PIN erronés. Réessayez dans 15 min. Organisateur ? Utilisez « Rejoindre en tant qu’organisateur » dans Options Roomlink d’Outlook.',
    );
  });

  it('writes French apostrophes as ’', () => {
    for (const key of MESSAGE_KEYS) expect(format('fr', key, { remaining: 2 }), key).not.toContain("'");
    expect(format('fr', 'screenOff')).toBe('Partager l’écran');
    expect(format('fr', 'waitingHeading')).toBe('En attente d’admission');
  });
});

describe('a signalling connection the server refused for this network', () => {
  const problem = (reason: string) => ({
    type: 'https://roomlink.dev/problems/too-many-connections',
    status: 429,
    code: 'too_many_connections',
    reason,
  });

  it('is told apart by the reason the admission route gives, with its wait', () => {
    expect(admissionFrom(problem('socket_cap'), '5')).toEqual({
      state: 'busy',
      reason: 'socket_cap',
      retryAfterSeconds: 5,
    });
    expect(admissionFrom(problem('connection_rate'), '12')).toEqual({
      state: 'busy',
      reason: 'connection_rate',
      retryAfterSeconds: 12,
    });
    // Anything else is not this network being refused: the page says the service cannot be reached.
    for (const body of [problem('other'), { ...problem('socket_cap'), code: 'rate_limited' }, null, 'x'])
      expect(admissionFrom(body, '5'), JSON.stringify(body)).toEqual({ state: 'unknown' });
  });

  it('is tried again on a timer, never at once and never in a loop, whatever Retry-After says', () => {
    expect(retrySeconds('7')).toBe(7);
    expect(retrySeconds(' 7 ')).toBe(7);
    for (const header of ['0', null, '', '-3', '1.5', 'soon', 'Wed, 21 Oct 2037 07:28:00 GMT'])
      expect(retrySeconds(header), String(header)).toBeGreaterThanOrEqual(1);
    expect(retrySeconds(null)).toBe(DEFAULT_RETRY_SECONDS);
    expect(retrySeconds('0')).toBe(1);
    expect(retrySeconds('86400')).toBe(MAX_RETRY_SECONDS);
  });

  it('waits what the server said at first, twice as long after each refusal in a row, spread by up to a fifth', () => {
    expect(retryDelayMs(5, 1, 0)).toBe(5_000);
    expect(retryDelayMs(5, 1, 0.5)).toBe(5_500);
    expect(retryDelayMs(5, 1, 0.999_999)).toBe(6_000);
    expect(retryDelayMs(5, 2, 0)).toBe(10_000);
    expect(retryDelayMs(5, 3, 0.5)).toBe(22_000);
    // Never over the longest wait, whatever the count; never under the server's, whatever the draw.
    expect(retryDelayMs(5, 7, 0)).toBe(MAX_RETRY_SECONDS * 1000);
    expect(retryDelayMs(5, 1_000, 0.9)).toBe(MAX_RETRY_SECONDS * 1000);
    expect(retryDelayMs(10, 1, -3)).toBe(10_000);
    expect(retryDelayMs(10, 1, 7)).toBe(12_000);
    expect(retryDelayMs(10, 0, 0)).toBe(10_000);
  });

  it('is explained with the wait, differently for too many connections and too frequent ones, in English and French', () => {
    const say = (language: 'en' | 'fr', reason: keyof typeof BUSY_MESSAGES, seconds: number) =>
      format(language, BUSY_MESSAGES[reason], { seconds });
    expect(say('en', 'socket_cap', 5)).toBe(
      'Too many connections from your network right now. This page tries again in 5 seconds.',
    );
    expect(say('en', 'connection_rate', 1)).toBe(
      'Connecting too often from your network. This page tries again in 1 second.',
    );
    expect(say('fr', 'socket_cap', 5)).toBe(
      'Trop de connexions depuis votre réseau en ce moment. Cette page réessaie dans 5 secondes.',
    );
    expect(say('fr', 'connection_rate', 1)).toBe(
      'Connexions trop fréquentes depuis votre réseau. Cette page réessaie dans 1 seconde.',
    );
    for (const language of ['en', 'fr'] as const)
      expect(say(language, 'socket_cap', 5)).not.toBe(say(language, 'connection_rate', 5));
  });
});

describe('checking again before the room opens', () => {
  const now = Date.parse('2030-01-01T10:00:00Z');

  it('waits until just after the opening time', () => {
    expect(recheckDelay(new Date(now + 60_000), now)).toBe(61_000);
    expect(recheckDelay(new Date(now + 40 * 24 * 3600_000), now)).toBe(2_147_483_647);
  });

  it('never asks every second when the opening time is already past', () => {
    expect(recheckDelay(new Date(now - 7 * 24 * 3600_000), now)).toBe(PAST_RECHECK_MS);
    expect(recheckDelay(new Date(now), now)).toBe(PAST_RECHECK_MS);
    expect(recheckDelay(new Date(Number.NaN), now)).toBe(PAST_RECHECK_MS);
    expect(PAST_RECHECK_MS).toBeGreaterThanOrEqual(30_000);
  });

  it('checks again only every few minutes when no opening time is known', () => {
    expect(recheckDelay(null, now)).toBe(UNKNOWN_RECHECK_MS);
    expect(UNKNOWN_RECHECK_MS).toBeGreaterThanOrEqual(60_000);
  });
});

describe('a host link', () => {
  const ticket = `v1.k1.${'Ab9_-'.repeat(28)}`;

  it('gives its ticket from the fragment; anything else in the fragment is no host link', () => {
    expect(hostLinkFrom(`#host=${ticket}`)).toEqual({ kind: 'ticket', ticket });
    expect(hostLinkFrom(`#lang=fr&host=${ticket}`)).toEqual({ kind: 'ticket', ticket });
    for (const hash of ['', '#', '#top', '#hostess=x'])
      expect(hostLinkFrom(hash), hash).toEqual({ kind: 'none' });
  });

  it('not yet spent, goes with the language switch in the fragment, where the next page takes it; a rejoin token never does', () => {
    const target = languageSwitchTarget('/m/abc?lang=fr', { ticket, kind: 'link' });
    expect(target).toBe(`/m/abc?lang=fr#host=${ticket}`);
    expect(hostLinkFrom(new URL(target, 'https://rooms.example').hash)).toEqual({ kind: 'ticket', ticket });
    expect(languageSwitchTarget('/m/abc?lang=fr', { ticket, kind: 'rejoin' })).toBe('/m/abc?lang=fr');
    expect(languageSwitchTarget('/m/abc?lang=en', null)).toBe('/m/abc?lang=en');
  });

  it('that cannot be a ticket is told apart, so that the page says the link is bad', () => {
    for (const hash of ['#host=', '#host=a%20b', `#host=${'A'.repeat(257)}`, '#host=a+b', '#host=<script>'])
      expect(hostLinkFrom(hash), hash).toEqual({ kind: 'malformed' });
    expect(hostLinkFrom(`#host=${'A'.repeat(256)}`).kind).toBe('ticket');
  });

  it('joins with the ticket instead of a PIN, never both', () => {
    expect(joinMessage('Olivia', { ticket })).toEqual({ type: 'join', name: 'Olivia', ticket });
    expect(joinMessage('Gus', { pin: '771204' })).toEqual({ type: 'join', name: 'Gus', pin: '771204' });
    expect(joinMessage('Gus', { pin: '' })).toEqual({ type: 'join', name: 'Gus' });
  });

  it('carries the language the visitor chose on the page, and none otherwise', () => {
    expect(joinMessage('Gus', { pin: '771204' }, 'fr')).toEqual({
      type: 'join',
      name: 'Gus',
      pin: '771204',
      language: 'fr',
    });
    expect(joinMessage('Olivia', { ticket }, 'en')).toEqual({
      type: 'join',
      name: 'Olivia',
      ticket,
      language: 'en',
    });
    expect(joinMessage('Gus', { pin: '' }, null)).toEqual({ type: 'join', name: 'Gus' });
  });

  it('expired or used sends the visitor to the PIN field and says so, in English and French', () => {
    expect(joinErrorFor('host_link_invalid')).toEqual({ key: 'hostLinkInvalid', field: 'pin' });
    expect(format('en', 'hostLinkInvalid')).toBe(
      'This host link has expired or was already used. Open a new one from the Roomlink pane in Outlook, or enter your host PIN.',
    );
    expect(format('fr', 'hostLinkInvalid')).toBe(
      'Ce lien organisateur a expiré ou a déjà été utilisé. Ouvrez-en un nouveau depuis le volet Roomlink dans Outlook, ou saisissez votre code PIN organisateur.',
    );
    expect(format('en', 'hostLinkNote')).toMatch(/as host/);
    expect(format('fr', 'hostLinkNote')).toMatch(/en tant qu’organisateur/);
  });
});

describe('a rejoin token', () => {
  const token = 'Zm9vYmFyLWJhei1xdXV4LQ';

  it('replaces the spent host link once joined; no token (a full server) leaves the PIN', () => {
    expect(keyAfterJoined(token, 'host')).toEqual({ ticket: token, kind: 'rejoin' });
    expect(keyAfterJoined(token, 'guest')).toEqual({ ticket: token, kind: 'guest' });
    expect(keyAfterJoined(undefined, 'host')).toBeNull();
    expect(keyAfterJoined(undefined, 'guest')).toBeNull();
    // Nothing the join message could not carry as a ticket.
    for (const bad of ['', 'a b', 'a+b/c=', 'A'.repeat(257)])
      for (const role of ['host', 'guest'] as const) expect(keyAfterJoined(bad, role), bad).toBeNull();
    expect(joinMessage('Olivia', { ticket: token })).toEqual({ type: 'join', name: 'Olivia', ticket: token });
  });

  it('is kept after a lost connection or leaving, and forgotten when the server revoked it', () => {
    const kept = ['connectionLost', 'leftMeeting'];
    const forgotten = ['removed', 'denied', 'endedCancelled', 'endedTime', 'endedChanged', 'endedMoved'];
    for (const reason of kept) expect(keepsRejoinAfter(reason), reason).toBe(true);
    for (const reason of forgotten) expect(keepsRejoinAfter(reason), reason).toBe(false);
  });

  it('says the host joins again without a PIN, and when that no longer works, in English and French', () => {
    expect(format('en', 'rejoinNote')).toBe('You join again as host: no PIN needed.');
    expect(format('fr', 'rejoinNote')).toMatch(/en tant qu’organisateur : aucun code PIN/);
    expect(format('en', 'rejoinInvalid')).toBe(
      'You can no longer join again as host without a PIN. Enter your host PIN, or open a new host link from the Roomlink pane in Outlook.',
    );
    expect(format('fr', 'rejoinInvalid')).toMatch(/^Vous ne pouvez plus rejoindre .* code PIN organisateur/);
  });
});

describe('a rejoin token or guest’s ticket in the tab', () => {
  const ticket = 'Zm9vYmFyLWJhei1xdXV4LQ';
  /** sessionStorage as a Map; `broken` makes every call throw, as blocked storage does. */
  function fakeStorage(broken = false) {
    const items = new Map<string, string>();
    const check = () => {
      if (broken) throw new Error('SecurityError');
    };
    return {
      items,
      getItem(key: string) {
        check();
        return items.get(key) ?? null;
      },
      setItem(key: string, value: string) {
        check();
        items.set(key, value);
      },
      removeItem(key: string) {
        check();
        items.delete(key);
      },
    };
  }

  it('is kept for its room only, with nothing but the ticket and the room', () => {
    const storage = fakeStorage();
    const here = new RejoinKeyStore(storage, 'room-a');
    expect(here.load()).toBeNull();
    here.save({ ticket, kind: 'guest' });
    expect(here.load()).toEqual({ ticket, kind: 'guest' });
    expect([...storage.items.values()].map((v) => JSON.parse(v))).toEqual([{ slug: 'room-a', ticket }]);
    // Another join link opened in the same tab does not take it.
    expect(new RejoinKeyStore(storage, 'room-b').load()).toBeNull();
  });

  it('keeps a host’s token too, one kind at a time, and forgets it when the page forgets it', () => {
    const storage = fakeStorage();
    const here = new RejoinKeyStore(storage, 'room-a');
    const hostToken = 'aG9zdC10b2tlbi1ub3ctMA';
    here.save({ ticket: hostToken, kind: 'rejoin' });
    expect(here.load()).toEqual({ ticket: hostToken, kind: 'rejoin' });
    expect(Object.fromEntries(storage.items)).toEqual({
      'roomlink.hostRejoin': JSON.stringify({ slug: 'room-a', ticket: hostToken }),
    });
    expect(new RejoinKeyStore(storage, 'room-b').load()).toBeNull();
    // Refused or revoked: gone from the tab.
    here.save(null);
    expect(storage.items.size).toBe(0);
    // A guest who joins as host since (the host PIN): the guest's ticket goes, and back.
    here.save({ ticket, kind: 'guest' });
    here.save({ ticket: hostToken, kind: 'rejoin' });
    expect([...storage.items.keys()]).toEqual(['roomlink.hostRejoin']);
    here.save({ ticket, kind: 'guest' });
    expect(here.load()).toEqual({ ticket, kind: 'guest' });
    expect([...storage.items.keys()]).toEqual(['roomlink.guestRejoin']);
    // A host link's ticket is spent by one join: never kept, and it drops what was.
    here.save({ ticket: hostToken, kind: 'link' });
    expect(storage.items.size).toBe(0);
  });

  it('is stamped when its page goes away, and discarded when found longer than the grace after (a closed tab reopened)', () => {
    const storage = fakeStorage();
    const here = new RejoinKeyStore(storage, 'room-a');
    const hostToken = 'aG9zdC10b2tlbi1ub3ctMA';
    const leftAt = Date.UTC(2025, 0, 6, 9, 0);
    const kept = () => [...storage.items.values()].map((v) => JSON.parse(v));
    here.save({ ticket, kind: 'guest' });
    here.markLeft(leftAt);
    expect(kept()).toEqual([{ slug: 'room-a', ticket, leftAt }]);
    // A reload finds it at once.
    expect(here.load(leftAt + 2000)).toEqual({ ticket, kind: 'guest' });
    // That page goes away again before joining: the first stamp stands, as the server's grace does.
    here.markLeft(leftAt + 30_000);
    expect(kept()).toEqual([{ slug: 'room-a', ticket, leftAt }]);
    expect(here.load(leftAt + REJOIN_GRACE_MS)).toEqual({ ticket, kind: 'guest' });
    // Reopened later: gone from the tab.
    expect(here.load(leftAt + REJOIN_GRACE_MS + 1)).toBeNull();
    expect(storage.items.size).toBe(0);
    // Joined again: kept unstamped for as long as the page is open; a host's token the same way.
    here.save({ ticket: hostToken, kind: 'rejoin' });
    expect(here.load(leftAt + 10 * 3600_000)).toEqual({ ticket: hostToken, kind: 'rejoin' });
    here.markLeft(leftAt);
    expect(here.load(leftAt + REJOIN_GRACE_MS + 1)).toBeNull();
    expect(storage.items.size).toBe(0);
    // A clock set back since does not keep it longer.
    here.save({ ticket, kind: 'guest' });
    here.markLeft(leftAt);
    expect(here.load(leftAt - REJOIN_GRACE_MS - 1)).toBeNull();
    // Nothing kept, nothing stamped; a stamp that is no time is junk.
    here.markLeft(leftAt);
    expect(storage.items.size).toBe(0);
    storage.items.set('roomlink.guestRejoin', JSON.stringify({ slug: 'room-a', ticket, leftAt: 'soon' }));
    expect(here.load(leftAt)).toBeNull();
    // Blocked storage: nothing thrown.
    expect(() => new RejoinKeyStore(fakeStorage(true), 'room-a').markLeft(leftAt)).not.toThrow();
  });

  it('is ignored when the storage holds anything else, and costs nothing when storage is blocked', () => {
    const storage = fakeStorage();
    const here = new RejoinKeyStore(storage, 'room-a');
    for (const entry of ['roomlink.guestRejoin', 'roomlink.hostRejoin'])
      for (const junk of [
        'not json',
        '"x"',
        'null',
        '{"slug":"room-a","ticket":"a b"}',
        '{"slug":"room-a"}',
      ]) {
        storage.items.clear();
        storage.items.set(entry, junk);
        expect(here.load(), junk).toBeNull();
      }
    const blocked = new RejoinKeyStore(fakeStorage(true), 'room-a');
    expect(() => blocked.save({ ticket, kind: 'guest' })).not.toThrow();
    expect(() => blocked.save({ ticket, kind: 'rejoin' })).not.toThrow();
    expect(blocked.load()).toBeNull();
    expect(new RejoinKeyStore(null, 'room-a').load()).toBeNull();
  });

  it('says the guest joins again without a PIN, and when that no longer works, in English and French', () => {
    expect(format('en', 'guestRejoinNote')).toBe('You join again: no PIN needed.');
    expect(format('fr', 'guestRejoinNote')).toMatch(/^Vous rejoignez à nouveau la réunion : aucun code PIN/);
    expect(format('en', 'guestRejoinInvalid')).toMatch(/^You can no longer join again without a PIN\./);
    expect(format('fr', 'guestRejoinInvalid')).toMatch(/^Vous ne pouvez plus rejoindre à nouveau/);
    // Nothing of a host's words: a guest is no host.
    for (const language of ['en', 'fr'] as const)
      for (const key of ['guestRejoinNote', 'guestRejoinInvalid'] as const)
        expect(format(language, key)).not.toMatch(/host|organisateur/);
  });
});

describe('a call taken over by a join with the rejoin token from another window', () => {
  it('ends on the server’s replaced message, or on its close code alone, never as a lost connection', () => {
    expect(endingOf({ type: 'replaced' })).toEqual({ reason: 'replaced' });
    expect(CLOSE.replaced).toBe(4005);
    expect(endingOnClose(4005)).toBe('replaced');
    // Any other close during the call is a lost connection, as before.
    for (const code of [1000, 1001, 1006, CLOSE.policy, CLOSE.timeout])
      expect(endingOnClose(code), String(code)).toBe('connectionLost');
  });

  it('says so in English and French, not that the connection was lost', () => {
    expect(format('en', END_MESSAGES.replaced)).toBe('You joined this meeting again from another window.');
    expect(format('fr', END_MESSAGES.replaced)).toBe(
      'Vous avez rejoint à nouveau cette réunion depuis une autre fenêtre.',
    );
    for (const language of ['en', 'fr'] as const)
      expect(format(language, END_MESSAGES.replaced)).not.toBe(format(language, END_MESSAGES.connectionLost));
  });

  it('leaves the token with the page: the server did not revoke it, and Join again here moves back', () => {
    expect(keepsRejoinAfter('replaced')).toBe(true);
  });

  it('leaves the other ends as they were', () => {
    expect(endingOf({ type: 'removed' })).toEqual({ reason: 'removed' });
    expect(endingOf({ type: 'denied' })).toEqual({ reason: 'denied' });
    expect(endingOf({ type: 'closed', reason: 'cancelled' })).toEqual({ reason: 'endedCancelled' });
    expect(endingOf({ type: 'closed', reason: 'ended' })).toEqual({ reason: 'endedTime' });
    expect(endingOf({ type: 'closed', reason: 'changed' })).toEqual({ reason: 'endedChanged' });
    const opensAt = '2030-01-01T10:00:00.000Z';
    expect(endingOf({ type: 'closed', reason: 'moved', opensAt })).toEqual({ reason: 'endedMoved', opensAt });
    for (const message of [
      { type: 'mute-request' },
      { type: 'peer-left', id: '0123456789abcdef' },
      { type: 'error', code: 'rate_limited' },
    ] as const)
      expect(endingOf(message), message.type).toBeNull();
  });
});
