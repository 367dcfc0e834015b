/*
 * Outlook sandbox service worker. Pages of this origin that a dialog navigates to (sign-in pages served
 * by the add-in's own server) load office.js from Microsoft's CDN like every add-in page; this worker
 * answers exactly that URL with the sandbox's stand-in and leaves every other request alone.
 */
const CDN =
  /^https?:\/\/appsforoffice\.microsoft\.com\/lib\/1(?:\.1)?\/hosted\/office(?:\.debug)?\.js(?:\?.*)?$/i;
const STAND_IN = new URL('office.js', self.location.href).href;

self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('fetch', (event) => {
  if (CDN.test(event.request.url)) event.respondWith(fetch(STAND_IN, { cache: 'no-store' }));
});
