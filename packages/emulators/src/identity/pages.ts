/** The emulator's HTML: the account picker, error pages, the form_post answer and the signed-out page. */
import { escapeHtml } from '../html.js';
import type { TestTenant, TestUser } from './types.js';

const STYLE = `
  body { font-family: system-ui, sans-serif; margin: 0; background: #f3f2f1; color: #1b1a19; }
  main { max-width: 30rem; margin: 3rem auto; background: #fff; padding: 2rem; border-radius: 4px;
    box-shadow: 0 2px 6px rgba(0,0,0,.2); }
  h1 { font-size: 1.5rem; margin-top: 0; }
  h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
  .notice { font-size: .875rem; background: #fff4ce; padding: .5rem .75rem; border-radius: 2px; }
  ul { list-style: none; padding: 0; margin: 0; }
  li + li { margin-top: .5rem; }
  button { width: 100%; text-align: left; padding: .75rem 1rem; border: 1px solid #8a8886; background: #fff;
    border-radius: 2px; font: inherit; cursor: pointer; }
  button:hover, button:focus-visible { background: #edebe9; outline: 2px solid #0067b8; }
  .upn { display: block; font-size: .875rem; color: #484644; }
  .role { display: block; font-size: .8rem; color: #0067b8; }
  code { word-break: break-all; }`;

function document(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}

export interface AccountPickerPage {
  readonly title: string;
  readonly intro: string;
  /** Where the chosen account is POSTed, with `hidden` fields and `login_hint` = the user's UPN. */
  readonly action: string;
  readonly hidden: Readonly<Record<string, string>>;
  readonly tenants: readonly TestTenant[];
  readonly users: readonly TestUser[];
  readonly notice?: string;
}

/** One button per test user, grouped by tenant; each button's accessible name says whom it signs in. */
export function accountPicker(page: AccountPickerPage): string {
  const hidden = Object.entries(page.hidden)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
  const groups = page.tenants
    .map((tenant, index) => {
      const members = page.users.filter((u) => u.tenantId === tenant.id);
      if (members.length === 0) return '';
      const headingId = `tenant-${index}`;
      const items = members
        .map((user) => {
          // The button shows its accessible name less "Sign in as": same words, same order, the
          // UPN in the same parentheses (WCAG 2.5.3 Label in Name: speech users say what they see).
          // A checker may read a parenthesised part as an aside and drop it from both; a UPN shown
          // bare would then be text missing from the name. The spaces keep the words apart.
          const role = user.admin ? ' <span class="role">Global Administrator</span>' : '';
          const label = `Sign in as ${user.name} (${user.upn})${user.admin ? ', Global Administrator' : ''}`;
          return `<li><button type="submit" name="login_hint" value="${escapeHtml(user.upn)}" aria-label="${escapeHtml(label)}">${escapeHtml(user.name)} <span class="upn">(${escapeHtml(user.upn)})</span>${role}</button></li>`;
        })
        .join('\n');
      return `<section aria-labelledby="${headingId}">
<h2 id="${headingId}">${escapeHtml(tenant.name)}</h2>
<ul>
${items}
</ul>
</section>`;
    })
    .join('\n');
  const notice = page.notice ? `<p class="notice" role="status">${escapeHtml(page.notice)}</p>` : '';
  return document(
    page.title,
    `<h1>${escapeHtml(page.title)}</h1>
<p>${escapeHtml(page.intro)}</p>
<p class="notice">Local identity emulator for tests and demos. This is not Microsoft, and no password is needed.</p>
${notice}
<form method="post" action="${escapeHtml(page.action)}">
${hidden}
${groups}
</form>`,
  );
}

/** An error shown on the emulator's own page (never sent to an unverified redirect URI). */
export function errorPage(code: number, message: string): string {
  return document(
    'Sign in error',
    `<h1>Sorry, but we're having trouble signing you in.</h1>
<p role="alert"><strong>AADSTS${code}</strong>: ${escapeHtml(message)}</p>`,
  );
}

/** response_mode=form_post: the answer is POSTed to the redirect URI by an auto-submitting form. */
export function formPostPage(action: string, fields: Readonly<Record<string, string>>): string {
  const inputs = Object.entries(fields)
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Working...</title></head>
<body onload="document.forms[0].submit()">
<form method="post" action="${escapeHtml(action)}">
${inputs}
<noscript><p>Script is disabled. Click Submit to continue.</p><button type="submit">Submit</button></noscript>
</form>
</body>
</html>`;
}

export function messagePage(title: string, message: string): string {
  return document(title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>`);
}
