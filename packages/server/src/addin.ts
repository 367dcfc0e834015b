/** The Outlook add-in manifest's version; Outlook re-reads the manifest when it changes. */
export const ADDIN_VERSION = '1.0.0.0';
