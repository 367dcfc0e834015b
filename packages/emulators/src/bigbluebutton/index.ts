/**
 * BigBlueButton API emulator: create, join (redirect or XML), end, isMeetingRunning, getMeetingInfo
 * and the version call, with bbb-web's checksum rule, plus a stand-in client page. See emulator.ts
 * for the control API and README.md for what is and is not emulated.
 */
export {
  type BigBlueButtonChecksumAlgorithm,
  bigBlueButtonChecksum,
  CHECKSUM_ALGORITHM_BY_LENGTH,
  type ChecksumVerdict as BigBlueButtonChecksumVerdict,
  verifyChecksum as verifyBigBlueButtonChecksum,
} from './checksum.js';
export {
  type BigBlueButtonAttendee,
  type BigBlueButtonEmulator,
  type BigBlueButtonEmulatorOptions,
  type BigBlueButtonMeetingSnapshot,
  type BigBlueButtonRecordedRequest,
  type BigBlueButtonRole,
  createBigBlueButtonEmulator,
} from './emulator.js';
export {
  type RunningBigBlueButtonEmulator,
  type StandaloneBigBlueButtonOptions,
  startBigBlueButtonEmulator,
} from './standalone.js';
