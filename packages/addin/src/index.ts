/** The Outlook add-in's server side: manifest generation and serving the built add-in. */

export * from './files.js';
export { addinIdFor, normalizeBaseUrl, uuidV5 } from './manifest/addin-id.js';
export {
  CONTROL_IDS,
  generateManifest,
  type ManifestOptions,
  manifestVersion,
  REQUIREMENTS,
} from './manifest/generate.js';
export { assertWellFormed, validateManifestWithXsd, type XsdValidation } from './manifest/validate.js';
export {
  type AddinFile,
  type AddinFileServer,
  createAddinFileServer,
  DEFAULT_WEB_DIR,
} from './serve/addin-files.js';
export { type AddinRoutesOptions, registerAddinRoutes } from './serve/routes.js';
