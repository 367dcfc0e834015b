/**
 * The site icon, for every page this server answers (join page, admin console, sign-in pages, the
 * demo's Outlook sandbox): without it each page logs a 404 for /favicon.ico in the browser console.
 * The pages link /favicon.svg (same origin, so every page's `img-src 'self'` admits it); /favicon.ico
 * answers the same image for browsers and tools that ask for it without reading the page. Outside
 * /api/v1/, so the OpenAPI document never lists it.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';

export const FAVICON_PATH = '/favicon.svg';

/** A camera on the console's blue: a few hundred bytes, drawn for 16 to 64 pixels. */
export const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">' +
  '<rect width="32" height="32" rx="7" fill="#2459d1"/>' +
  '<rect x="6" y="10" width="14" height="12" rx="2.5" fill="#fff"/>' +
  '<path d="M21 14.5 26 11.5v9L21 17.5z" fill="#fff"/>' +
  '</svg>\n';

export async function faviconRoutes(app: FastifyInstance): Promise<void> {
  const send = async (_request: unknown, reply: FastifyReply) =>
    reply
      .type('image/svg+xml')
      // A week: the icon rarely changes and its URL is not versioned.
      .header('cache-control', 'public, max-age=604800')
      // Opened on its own, an SVG is a document: this one may run and fetch nothing.
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
      .send(FAVICON_SVG);
  app.get(FAVICON_PATH, { schema: { hide: true } }, send);
  app.get('/favicon.ico', { schema: { hide: true } }, send);
}
