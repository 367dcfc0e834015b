/** Fastify routes for the add-in: its manifest, its files, and the well-known file classic Outlook reads. */
import type { FastifyInstance } from 'fastify';
import { ADDIN_FILES, ADDIN_PATH } from '../files.js';
import { normalizeBaseUrl } from '../manifest/addin-id.js';
import { generateManifest } from '../manifest/generate.js';
import { createAddinFileServer } from './addin-files.js';

// Kept out of the OpenAPI document (@fastify/swagger reads `hide`).
const HIDDEN = { schema: { hide: true } as Record<string, unknown> };

/**
 * The add-in's pages: no plugins, no `<base>` to re-point their relative script URLs. No script-src or
 * frame-ancestors: Outlook frames them from hosts of its own, and Office.js loads further scripts
 * from Microsoft's CDN, neither of which can be listed and checked without a real Outlook. The pages
 * write no data as HTML (their views set text only), which is what keeps script out today.
 */
const PAGE_CSP = "object-src 'none'; base-uri 'none'";

export interface AddinRoutesOptions {
  readonly baseUrl: string | URL;
  readonly version: string;
  readonly addinId?: string;
  readonly webDir?: string;
}

export async function registerAddinRoutes(app: FastifyInstance, options: AddinRoutesOptions): Promise<void> {
  const base = normalizeBaseUrl(options.baseUrl);
  const manifest = generateManifest({
    baseUrl: base,
    version: options.version,
    ...(options.addinId ? { addinId: options.addinId } : {}),
  });
  const files = createAddinFileServer({
    baseUrl: base,
    ...(options.webDir ? { webDir: options.webDir } : {}),
  });

  app.get(`/${ADDIN_PATH}${ADDIN_FILES.manifest}`, HIDDEN, async (_request, reply) =>
    reply.type('application/xml; charset=utf-8').header('cache-control', 'no-cache').send(manifest),
  );

  app.get(`/${ADDIN_PATH}*`, HIDDEN, async (request, reply) => {
    const rest = (request.params as { '*': string })['*'];
    const file = await files.get(rest);
    if (!file) return reply.code(404).type('text/plain; charset=utf-8').send('Not found');
    if (file.contentType.startsWith('text/html')) void reply.header('content-security-policy', PAGE_CSP);
    return reply
      .type(file.contentType)
      .header('cache-control', file.cacheControl)
      .header('x-content-type-options', 'nosniff')
      .send(file.body);
  });

  // Classic Outlook on Windows lets launchevent.js make CORS requests only if its origin lists it here.
  app.get('/.well-known/microsoft-officeaddins-allowed.json', HIDDEN, async () => ({
    allowed: [new URL(ADDIN_PATH + ADDIN_FILES.launchEventScript, base).href],
  }));
}
