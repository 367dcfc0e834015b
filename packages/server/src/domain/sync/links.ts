/**
 * Calendar sync's link of a meeting to its Outlook event (`sync_events`): the event id and the
 * version applied are sealed for the meeting's row, so that a ciphertext cannot move to another.
 */
import type { FieldCipher } from '../../crypto/envelope.js';
import type { EventLinkRecord } from './ports.js';

const TABLE = 'sync_events';

export type LinkField = 'event_id' | 'version';
type LinkRow = Pick<EventLinkRecord, 'tenantId' | 'meetingId'>;

export function sealLinkField(cipher: FieldCipher, link: LinkRow, column: LinkField, value: string) {
  return cipher.encrypt({ tenantId: link.tenantId, table: TABLE, column, rowId: link.meetingId }, value);
}

export function openLinkField(cipher: FieldCipher, link: LinkRow, column: LinkField, ciphertext: string) {
  return cipher.decrypt({ tenantId: link.tenantId, table: TABLE, column, rowId: link.meetingId }, ciphertext);
}
