/** The Outlook sandbox: an appointment form hosting an Outlook add-in with a stand-in for office.js. */
export type { ItemRecurrence, SandboxItem } from './item.js';
export {
  localize,
  readManifest,
  type SandboxAddin,
  type SandboxButton,
  type SandboxLaunchEvent,
} from './manifest.js';
export { createMemoryCalendar, type MemoryCalendar } from './memory-calendar.js';
export { OFFICE_JS_CDN, rewriteOfficeScript } from './office-proxy.js';
export { registerSandbox, type SandboxOptions } from './plugin.js';
export {
  CUSTOM_PROPERTIES_SET,
  customPropertiesPropertyId,
  type SandboxCalendar,
  type SandboxDateTime,
  type SandboxEvent,
  type SandboxEventInput,
  type SandboxRecurrence,
  type SandboxUser,
} from './types.js';
