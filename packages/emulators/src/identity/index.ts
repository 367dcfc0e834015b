/**
 * The Microsoft identity platform emulator (login.microsoftonline.com v2.0 endpoints) for tests and
 * demo mode. See README.md in this folder.
 */
export { certificateCredential } from './certificate.js';
export {
  CONTOSO_TENANT_ID,
  DEMO_TENANTS,
  DEMO_USERS,
  FABRIKAM_TENANT_ID,
  GLOBAL_ADMINISTRATOR_ROLE_ID,
  USER_ROLE_ID,
} from './demo-directory.js';
export { createIdentityEmulator, registerIdentityEmulator } from './emulator.js';
export { type RunningIdentityEmulator, type StandaloneOptions, startIdentityEmulator } from './standalone.js';
export type {
  AdminConsent,
  IdentityEmulator,
  IdentityEmulatorOptions,
  IssueOptions,
  RegisteredCertificate,
  RegisteredClient,
  TestTenant,
  TestUser,
} from './types.js';
