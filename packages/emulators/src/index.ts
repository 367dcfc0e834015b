/**
 * Local emulators of Microsoft's cloud for tests and demo mode: the identity platform, Microsoft
 * Graph (calendar) and an Outlook sandbox. Each lives in its own folder and is re-exported here.
 */
export * from './graph/index.js';
export * from './identity/index.js';
export * from './sandbox/index.js';
