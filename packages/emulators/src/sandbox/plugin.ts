/**
 * The Outlook sandbox: a page that behaves like Outlook's appointment form and hosts the add-in's real
 * pages (task pane, function file, event runtime, dialogs) with a stand-in for office.js. Saving writes
 * the appointment, with the add-in's custom properties, to a SandboxCalendar (the Graph emulator).
 *
 * How the add-in gets the stand-in instead of Microsoft's office.js:
 *  - the add-in's files are served to the sandbox through `${prefix}/addin/…`, a pass-through to
 *    `${addinBaseUrl}addin/…` that rewrites the CDN <script> to `${prefix}/office.js`;
 *  - pages outside the add-in folder that a dialog navigates to (the sign-in pages served by Roomlink
 *    itself) load office.js from the CDN too: a service worker, registered by the sandbox page with
 *    scope `/`, answers that one CDN URL with the stand-in for every page of this origin. This covers
 *    them when the sandbox is mounted on the same origin as Roomlink (demo mode); browser tests on
 *    another origin can route the CDN URL to `${prefix}/office.js` themselves.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { GraphError } from '../graph/errors.js';
import { escapeHtml } from '../html.js';
import { fromEvent, type SandboxItem, sandboxItemSchema, toEventInput } from './item.js';
import { readManifest, type SandboxAddin } from './manifest.js';
import { fetchAddinFile } from './office-proxy.js';
import { customPropertiesPropertyId, type SandboxCalendar } from './types.js';

export interface SandboxOptions {
  /** Where the sandbox is mounted; default `/sandbox`. */
  readonly prefix?: string;
  /** The base URL the manifest was generated for; the add-in's files are under `${addinBaseUrl}addin/`. */
  readonly addinBaseUrl: string | URL;
  readonly manifestXml: string;
  readonly graph: SandboxCalendar;
  /** Used to fetch the add-in's files; default global fetch. */
  readonly fetch?: typeof fetch;
  /** Outlook's display language when the page does not say (`?lang=fr-FR`); default en-US. */
  readonly defaultLanguage?: string;
}

const WEB_FILES: Record<string, string> = {
  'office.js': 'text/javascript; charset=utf-8',
  'host.js': 'text/javascript; charset=utf-8',
  'host.css': 'text/css; charset=utf-8',
  'js-runtime.js': 'text/javascript; charset=utf-8',
  'sw.js': 'text/javascript; charset=utf-8',
};

/** src/sandbox/web, whether this module runs from src (tsx, vitest) or from dist (tsc leaves .js assets behind). */
async function webDir(): Promise<string> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const candidate of [path.join(here, 'web'), path.resolve(here, '../../src/sandbox/web')]) {
    try {
      await readFile(path.join(candidate, 'office.js'));
      return candidate;
    } catch {
      // try the next
    }
  }
  throw new Error('Outlook sandbox web files not found');
}

export async function registerSandbox(app: FastifyInstance, options: SandboxOptions): Promise<void> {
  const prefix = (options.prefix ?? '/sandbox').replace(/\/+$/, '');
  const base = new URL(options.addinBaseUrl.toString());
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const addinFolder = new URL('addin/', base);
  const addin = readManifest(options.manifestXml);
  const fetchFn = options.fetch ?? fetch;
  const dir = await webDir();
  const propertyId = customPropertiesPropertyId(addin.id);

  /** Manifest URLs under the add-in folder are loaded through the proxy. */
  const sandboxUrl = (url: string | null) =>
    url?.startsWith(addinFolder.href) ? `${prefix}/addin/${url.slice(addinFolder.href.length)}` : url;
  const pageAddin: SandboxAddin = {
    ...addin,
    functionFileUrl: sandboxUrl(addin.functionFileUrl),
    buttons: addin.buttons.map((b) => ({
      ...b,
      iconUrl: sandboxUrl(b.iconUrl),
      action:
        b.action.type === 'ShowTaskpane'
          ? { ...b.action, url: sandboxUrl(b.action.url) as string }
          : b.action,
    })),
    runtime: addin.runtime
      ? {
          pageUrl: sandboxUrl(addin.runtime.pageUrl) as string,
          scriptUrl: sandboxUrl(addin.runtime.scriptUrl),
        }
      : null,
  };

  const user = async (upn: unknown) => {
    if (typeof upn !== 'string') return null;
    return (await options.graph.listUsers()).find((u) => u.upn.toLowerCase() === upn.toLowerCase()) ?? null;
  };
  const notFound = (reply: FastifyReply, detail: string) =>
    reply
      .code(404)
      .type('application/problem+json')
      .send({ type: 'about:blank', title: 'Not Found', status: 404, detail });
  // An appointment Graph refuses (an end before its start, say) is the page's mistake, not the
  // server's: answered with Graph's status and message, as Outlook shows Graph's refusal.
  const refusedByGraph = (reply: FastifyReply, error: unknown) => {
    if (!(error instanceof GraphError) || error.status >= 500) throw error;
    return reply
      .code(error.status)
      .type('application/problem+json')
      .send({ type: 'about:blank', title: error.code, status: error.status, detail: error.message });
  };

  app.get(prefix, async (_request, reply) => reply.redirect(`${prefix}/`, 302));

  app.get(`${prefix}/`, async (request, reply) => {
    const query = request.query as Record<string, string | undefined>;
    const current = await user(query.user);
    void reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
    if (!current) return pickerPage(prefix, await options.graph.listUsers());
    const config = {
      prefix,
      user: { upn: current.upn, displayName: current.displayName, timeZone: current.timeZone ?? 'UTC' },
      displayLanguage: query.lang ?? options.defaultLanguage ?? 'en-US',
      runtime: query.runtime === 'browser' ? 'browser' : 'javascript',
      eventId: query.event ?? null,
      addin: pageAddin,
      addinFolder: addinFolder.href,
    };
    return hostPage(prefix, config);
  });

  for (const [file, contentType] of Object.entries(WEB_FILES)) {
    app.get(`${prefix}/${file}`, async (_request, reply) => {
      void reply.type(contentType).header('cache-control', 'no-cache');
      // The worker answers for every page of the origin, and only for the CDN's office.js URL.
      if (file === 'sw.js') void reply.header('service-worker-allowed', '/');
      return readFile(path.join(dir, file));
    });
  }

  app.get(`${prefix}/addin/*`, async (request, reply) => {
    const rest = (request.params as { '*': string })['*'];
    const search = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    const file = await fetchAddinFile(fetchFn, addinFolder, rest + search, `${prefix}/office.js`);
    if (!file) return notFound(reply, 'not an add-in file');
    return reply.code(file.status).type(file.contentType).header('cache-control', 'no-store').send(file.body);
  });

  app.get(`${prefix}/api/events/:id`, async (request, reply) => {
    const current = await user((request.query as { user?: string }).user);
    if (!current) return notFound(reply, 'unknown user');
    const event = await options.graph.getEvent(current.upn, (request.params as { id: string }).id, [
      propertyId,
    ]);
    if (!event) return notFound(reply, 'no such event');
    return fromEvent(event, addin.id);
  });

  app.post(`${prefix}/api/events`, { schema: { body: sandboxItemSchema } }, async (request, reply) => {
    const current = await user((request.query as { user?: string }).user);
    if (!current) return notFound(reply, 'unknown user');
    try {
      const event = await options.graph.createEvent(
        current.upn,
        toEventInput(request.body as SandboxItem, addin.id),
      );
      return reply.code(201).send({ id: event.id });
    } catch (error) {
      return refusedByGraph(reply, error);
    }
  });

  app.put(`${prefix}/api/events/:id`, { schema: { body: sandboxItemSchema } }, async (request, reply) => {
    const current = await user((request.query as { user?: string }).user);
    if (!current) return notFound(reply, 'unknown user');
    const id = (request.params as { id: string }).id;
    if (!(await options.graph.getEvent(current.upn, id, []))) return notFound(reply, 'no such event');
    try {
      const event = await options.graph.updateEvent(
        current.upn,
        id,
        toEventInput(request.body as SandboxItem, addin.id),
      );
      return { id: event.id };
    } catch (error) {
      return refusedByGraph(reply, error);
    }
  });
}

function hostPage(prefix: string, config: unknown): string {
  const json = JSON.stringify(config).replaceAll('<', '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Outlook sandbox — new appointment</title>
<link rel="stylesheet" href="${prefix}/host.css">
<script id="sandbox-config" type="application/json">${json}</script>
<script src="${prefix}/host.js" defer></script>
</head>
<body><div id="sandbox" aria-busy="true"></div></body>
</html>`;
}

function pickerPage(prefix: string, users: readonly { upn: string; displayName: string }[]): string {
  const items = users
    .map(
      (u) =>
        `<li><a href="${prefix}/?user=${encodeURIComponent(u.upn)}">${escapeHtml(u.displayName)} — ${escapeHtml(u.upn)}</a></li>`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Outlook sandbox — choose a mailbox</title>
<link rel="stylesheet" href="${prefix}/host.css"></head>
<body><main class="picker"><h1>Outlook sandbox</h1><p>Open a new appointment as:</p><ul data-testid="user-picker">${items}</ul>
<form method="get" action="${prefix}/"><label>User principal name <input name="user" type="email" required></label> <button>Open</button></form>
</main></body></html>`;
}
