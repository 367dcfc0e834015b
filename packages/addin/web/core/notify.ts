/** Outlook's notification bar on the item (Mailbox 1.3), one Roomlink message at a time. */
import type { AppointmentComposeLike, NotificationDetails } from './office.js';

export interface Notifier {
  progress(message: string): Promise<void>;
  info(message: string): Promise<void>;
  error(message: string): Promise<void>;
  clear(): Promise<void>;
}

const KEY = 'roomlink';
/** Outlook refuses longer notification messages. */
const MAX_MESSAGE = 150;
/** An icon resource declared in the manifest (informational messages require one). */
export const NOTIFICATION_ICON = 'Icon.16';

export function itemNotifier(item: AppointmentComposeLike): Notifier {
  const show = (details: NotificationDetails) =>
    new Promise<void>((resolve) => {
      try {
        // Outlook mobile has no notification bar (no notificationMessages): nothing to show there.
        if (!item.notificationMessages) return resolve();
        // replaceAsync adds the message when none has this key yet.
        item.notificationMessages.replaceAsync(KEY, { ...details, message: clip(details.message) }, () =>
          resolve(),
        );
      } catch {
        resolve();
      }
    });
  return {
    progress: (message) => show({ type: 'progressIndicator', message }),
    info: (message) =>
      show({ type: 'informationalMessage', message, icon: NOTIFICATION_ICON, persistent: false }),
    error: (message) => show({ type: 'errorMessage', message }),
    clear: () =>
      new Promise<void>((resolve) => {
        try {
          if (!item.notificationMessages) return resolve();
          item.notificationMessages.removeAsync(KEY, () => resolve());
        } catch {
          resolve();
        }
      }),
  };
}

function clip(message: string): string {
  return message.length <= MAX_MESSAGE ? message : `${message.slice(0, MAX_MESSAGE - 1)}…`;
}
