/**
 * How the "Add Roomlink meeting" function command tells Outlook it is done. Outlook on Android and
 * iOS has no notification bar for an appointment being organised (`notificationMessages` is not
 * supported there), so the add-in's own error message never shows; an online-meeting provider
 * signals a failure with `completed({ allowEvent: false })` instead, as Microsoft's guide does
 * (EventCompletedOptions is supported in online-meeting provider mobile add-ins).
 */
import type { AddMeetingResult } from './add-meeting.js';

export interface CommandEvent {
  completed(options?: { allowEvent?: boolean }): void;
}

export async function runAddMeetingCommand(
  event: CommandEvent,
  add: () => Promise<AddMeetingResult>,
): Promise<void> {
  let failed = true;
  try {
    // A foreign join block: no meeting of this item's was added, which mobile must show too.
    const { status } = await add();
    failed = status === 'failed' || status === 'foreignBlock';
  } catch {
    // addMeeting reports its own failures; anything else (the context could not be made) is one too.
  } finally {
    if (failed) event.completed({ allowEvent: false });
    else event.completed();
  }
}
