import { describe, expect, it } from 'vitest';
import { LIMITS } from '../shared/protocol.js';
import { cleanChat, cleanName, parseClientMessage } from './messages.js';

const ID = '0123456789abcdef';
const valid = (value: unknown) => parseClientMessage(JSON.stringify(value));

describe('parseClientMessage', () => {
  it('accepts each message type in its documented shape', () => {
    const messages = [
      { type: 'join', name: 'Ada', pin: '123456' },
      { type: 'join', name: 'Ada' },
      { type: 'join', name: 'Ada', language: 'fr' },
      { type: 'signal', to: ID, data: { description: { type: 'offer', sdp: 'v=0\r\n' } } },
      {
        type: 'signal',
        to: ID,
        data: {
          candidate: {
            candidate: 'candidate:1 1 udp 1 192.0.2.1 5000 typ host',
            sdpMid: '0',
            sdpMLineIndex: 0,
          },
        },
      },
      { type: 'signal', to: ID, data: { candidate: { candidate: '', sdpMid: null, sdpMLineIndex: null } } },
      { type: 'chat', text: 'hello' },
      { type: 'media', audio: true, video: false, screen: false },
      { type: 'admit', id: ID },
      { type: 'deny', id: ID },
      { type: 'mute', id: ID },
      { type: 'remove', id: ID },
      { type: 'leave' },
    ];
    for (const message of messages) expect(valid(message)).toEqual({ ok: true, message });
  });

  it.each([
    ['an unknown type', { type: 'record' }],
    ['an extra field (e.g. a forged sender)', { type: 'chat', text: 'hi', from: ID }],
    ['a role claim in join', { type: 'join', name: 'Ada', role: 'host' }],
    ['a PIN that is not digits', { type: 'join', name: 'Ada', pin: '12a4' }],
    ['a PIN that is too long', { type: 'join', name: 'Ada', pin: '1'.repeat(LIMITS.pinLength + 1) }],
    ['an empty name', { type: 'join', name: '' }],
    ['a language the page does not have', { type: 'join', name: 'Ada', language: 'de' }],
    ['a name too long', { type: 'join', name: 'x'.repeat(LIMITS.nameLength + 1) }],
    ['an empty chat message', { type: 'chat', text: '' }],
    ['a chat message too long', { type: 'chat', text: 'x'.repeat(LIMITS.chatLength + 1) }],
    ['a malformed participant id', { type: 'mute', id: 'not-an-id' }],
    ['a signal without data', { type: 'signal', to: ID }],
    [
      'a description of another type',
      { type: 'signal', to: ID, data: { description: { type: 'rollback', sdp: 'x' } } },
    ],
    [
      'an SDP too long',
      {
        type: 'signal',
        to: ID,
        data: { description: { type: 'offer', sdp: 'x'.repeat(LIMITS.sdpLength + 1) } },
      },
    ],
    ['media state with strings', { type: 'media', audio: 'yes', video: false, screen: false }],
    ['an array', [{ type: 'leave' }]],
    ['null', null],
  ])('rejects %s', (_, value) => {
    expect(valid(value)).toEqual({ ok: false, reason: 'invalid' });
  });

  it('rejects text that is not JSON', () => {
    expect(parseClientMessage('{"type":')).toEqual({ ok: false, reason: 'not_json' });
  });

  it('rejects frames over the size limit before parsing them', () => {
    const big = JSON.stringify({ type: 'chat', text: 'x'.repeat(LIMITS.messageBytes) });
    expect(parseClientMessage(big)).toEqual({ ok: false, reason: 'too_big' });
    expect(parseClientMessage(Buffer.from(big))).toEqual({ ok: false, reason: 'too_big' });
  });
});

describe('cleanName', () => {
  it('drops control and bidi characters and collapses spaces', () => {
    expect(cleanName('  Ada\u202E  Lovelace\u0007 ')).toBe('Ada Lovelace');
    expect(cleanName('\u200B\u200E')).toBe('');
  });
});

describe('cleanChat', () => {
  it('keeps line breaks and drops other control characters', () => {
    expect(cleanChat('one\r\ntwo\u0000\u202Ethree ')).toBe('one\ntwothree');
  });
});
