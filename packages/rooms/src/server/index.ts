/** @roomlink/rooms: the built-in meeting rooms (join page, signalling, TURN credentials). */
export { type Language, parseAcceptLanguage, pickLanguage } from '../shared/language.js';
export type { IceServer, RoomStatus } from '../shared/protocol.js';
export type {
  HostTicketClaim,
  PinFailureLedger,
  RoomDirectory,
  RoomHandOff,
  RoomInfo,
  RoomPinPolicy,
  RoomPinTake,
  RunningEngineCall,
} from './directory.js';
export type { HubLogger } from './hub.js';
export {
  lockoutLengths,
  MemoryPinFailureLedger,
  ROOM_MEMORY_MS,
  type RoomPinRecord,
  refundRoomTry,
  roomPinRecordSpent,
  takeRoomTry,
} from './lockout.js';
export type { RoomsOptions } from './options.js';
export { createRooms, type RoomService, registerRooms } from './plugin.js';
export { type RoomState, type RoomTiming, roomTiming } from './room-window.js';
export { iceServersFor, type TurnCredential, type TurnOptions, turnCredential } from './turn.js';
