/**
 * Local emulators of the services Roomlink talks to, for tests and demo mode: Microsoft's identity
 * platform, Microsoft Graph (calendar), an Outlook sandbox and a BigBlueButton server (its HTTP API).
 * Each lives in its own folder and is re-exported here.
 */
export * from './bigbluebutton/index.js';
export * from './graph/index.js';
export * from './identity/index.js';
export * from './sandbox/index.js';
