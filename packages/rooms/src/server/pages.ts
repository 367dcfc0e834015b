/** Server-made HTML pages (no room, client not built) and the headers every room page carries. */
import type { Language } from '../shared/language.js';

const TEXT = {
  en: {
    notFoundTitle: 'Meeting not found',
    notFound: 'This meeting link does not exist. Check the link in your invitation.',
    unavailableTitle: 'Meeting page unavailable',
    unavailable: 'The meeting page is not available right now. Please try again in a moment.',
  },
  fr: {
    notFoundTitle: 'Réunion introuvable',
    notFound: "Ce lien de réunion n'existe pas. Vérifiez le lien de votre invitation.",
    unavailableTitle: 'Page de réunion indisponible',
    unavailable: "La page de réunion n'est pas disponible pour le moment. Réessayez dans un instant.",
  },
} as const;

export function notFoundPage(language: Language, stylesheet: string | null): string {
  return messagePage(language, TEXT[language].notFoundTitle, TEXT[language].notFound, stylesheet);
}

export function unavailablePage(language: Language, stylesheet: string | null): string {
  return messagePage(language, TEXT[language].unavailableTitle, TEXT[language].unavailable, stylesheet);
}

function messagePage(language: Language, title: string, text: string, stylesheet: string | null): string {
  const css = stylesheet ? `<link rel="stylesheet" href="${escapeHtml(stylesheet)}">` : '';
  return `<!doctype html>
<html lang="${language}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${escapeHtml(title)} · Roomlink</title>${css}</head>
<body><main class="page message-page"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p></main></body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The join link is a capability: no referrer may carry it elsewhere, and no other site's window keeps
 * a handle to the page. Scripts and styles come from this origin only; camera, microphone and screen
 * capture are allowed for this origin only.
 *
 * `socketOrigin` is the configured public origin as ws:/wss: (never the request's Host header, which
 * the client controls). 'self' covers same-origin WebSockets in CSP Level 3 (Chromium 71+, Firefox,
 * Safari 16+); older Safari needs the origin spelled out.
 */
export function pageHeaders(socketOrigin: string | null): Record<string, string> {
  const sockets = socketOrigin ? ` ${socketOrigin}` : '';
  return {
    'content-security-policy': [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "media-src 'self' blob: mediastream:",
      `connect-src 'self'${sockets}`,
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'referrer-policy': 'no-referrer',
    // A window of another site that opened the page (or that it opens) gets no handle to it: it can
    // neither navigate the call's tab elsewhere nor probe it (cross-site leaks).
    'cross-origin-opener-policy': 'same-origin',
    'x-content-type-options': 'nosniff',
    'permissions-policy': 'camera=(self), microphone=(self), display-capture=(self)',
    'cache-control': 'no-store',
  };
}
