/*
 * Outlook sandbox: the JavaScript-only runtime in which classic Outlook on Windows runs event handlers.
 * A dedicated Worker: no DOM, no localStorage, no dialogs. It loads the stand-in office.js, then the
 * add-in's script (the manifest's <Override type="javascript">), exactly one classic script.
 * Query: ?office=<office.js URL>&script=<add-in script URL>
 */
const params = new URLSearchParams(self.location.search);
try {
  importScripts(params.get('office'));
  importScripts(params.get('script'));
} catch (error) {
  self.postMessage({ __roomlinkSandbox: 1, kind: 'runtime-error', message: String(error?.message) });
}
