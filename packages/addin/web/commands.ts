/** Function commands (the ribbon's and Outlook mobile's "Add Roomlink meeting" button). */
import { FUNCTION_NAMES } from '../src/files.js';
import { addMeeting } from './core/add-meeting.js';
import { type CommandEvent, runAddMeetingCommand } from './core/add-meeting-command.js';
import { createContext } from './platform.js';

function addMeetingCommand(event: CommandEvent): Promise<void> {
  return runAddMeetingCommand(event, async () => addMeeting(await createContext()));
}

Office.onReady(() => undefined);
// Office.actions.associate is how current Outlook finds the function; older clients look it up globally.
(Office as unknown as { actions?: { associate(name: string, fn: unknown): void } }).actions?.associate(
  FUNCTION_NAMES.addMeeting,
  addMeetingCommand,
);
(globalThis as Record<string, unknown>)[FUNCTION_NAMES.addMeeting] = addMeetingCommand;
