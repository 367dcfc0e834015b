/** Function commands (the ribbon's and Outlook mobile's "Add Roomlink meeting" button). */
import { FUNCTION_NAMES } from '../src/files.js';
import { addMeeting } from './core/add-meeting.js';
import { createContext } from './platform.js';

interface CommandEvent {
  completed(options?: { allowEvent?: boolean }): void;
}

async function addMeetingCommand(event: CommandEvent): Promise<void> {
  try {
    await addMeeting(await createContext());
  } finally {
    event.completed();
  }
}

Office.onReady(() => undefined);
// Office.actions.associate is how current Outlook finds the function; older clients look it up globally.
(Office as unknown as { actions?: { associate(name: string, fn: unknown): void } }).actions?.associate(
  FUNCTION_NAMES.addMeeting,
  addMeetingCommand,
);
(globalThis as Record<string, unknown>)[FUNCTION_NAMES.addMeeting] = addMeetingCommand;
