/**
 * The emulator's stand-in for the BigBlueButton HTML5 client: one small page per join session that
 * states, as text and data attributes, which meeting the user is in, under which name and role.
 */
import { escapeHtml } from '../html.js';

export type ClientPageState = 'IN_MEETING' | 'WAITING' | 'ENDED';

export interface ClientPageSession {
  readonly meeting: { readonly meetingID: string; readonly createParams: Readonly<Record<string, string>> };
  readonly userID: string;
  readonly fullName: string;
  readonly role: string;
}

const STATE_TEXT: Record<ClientPageState, string> = {
  IN_MEETING: 'You are in the meeting.',
  WAITING: 'Please wait for a moderator to approve you joining the meeting.',
  ENDED: 'This meeting has ended.',
};

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
</head>
<body>
${body}
</body>
</html>
`;
}

export function renderClientPage(session: ClientPageSession, state: ClientPageState): string {
  const { meeting } = session;
  const name = meeting.createParams.name ?? meeting.meetingID;
  return page(
    `${name} – BigBlueButton (emulated)`,
    `<main id="bbb-client" data-meeting-id="${escapeHtml(meeting.meetingID)}" data-user-id="${escapeHtml(
      session.userID,
    )}" data-full-name="${escapeHtml(session.fullName)}" data-role="${escapeHtml(
      session.role,
    )}" data-state="${state}">
<h1>${escapeHtml(name)}</h1>
<p>${STATE_TEXT[state]}</p>
<dl>
<dt>Meeting</dt><dd class="meeting-id">${escapeHtml(meeting.meetingID)}</dd>
<dt>Name</dt><dd class="full-name">${escapeHtml(session.fullName)}</dd>
<dt>Role</dt><dd class="role">${escapeHtml(session.role)}</dd>
</dl>
</main>`,
  );
}

export function renderNotFoundPage(): string {
  return page(
    'Session not found – BigBlueButton (emulated)',
    '<main id="bbb-client-error"><h1>Session not found</h1><p>This join link is not valid.</p></main>',
  );
}
