/**
 * Where the add-in's files live under the Roomlink base URL, and the names that tie the manifest to the
 * code (function names, event handler names, custom property names). Pure data: the browser bundles
 * import it too.
 */

/** The add-in's files are served at `${baseUrl}addin/…`. */
export const ADDIN_PATH = 'addin/';

export const ADDIN_FILES = Object.freeze({
  manifest: 'manifest.xml',
  commands: 'commands.html',
  taskpane: 'taskpane.html',
  launchEventPage: 'launchevent.html',
  launchEventScript: 'launchevent.js',
  support: 'support.html',
});

export const DESKTOP_ICON_SIZES = [16, 32, 64, 80, 128] as const;
export const MOBILE_ICON_SIZES = [25, 32, 48] as const;
export const MOBILE_ICON_SCALES = [1, 2, 3] as const;
/** Outlook mobile draws online-meeting provider icons in this grey. */
export const MOBILE_ICON_COLOR = '#919191';

export const desktopIconFile = (size: number): string => `assets/icon-${size}.png`;
export const mobileIconFile = (size: number, scale: number): string =>
  `assets/icon-mobile-${size}@${scale}x.png`;

/** Names the manifest refers to and the code registers with Office.actions.associate. */
export const FUNCTION_NAMES = Object.freeze({ addMeeting: 'addMeeting' });
export const LAUNCH_EVENT_HANDLERS = Object.freeze({
  OnNewAppointmentOrganizer: 'onNewAppointmentOrganizer',
  OnAppointmentSend: 'onAppointmentSend',
});

/** Replaced by the serving code with the deployment's base URL (pages: a meta tag; launchevent.js: a string). */
export const BASE_URL_PLACEHOLDER = '__ROOMLINK_BASE_URL__';
