/** The admin console's stylesheet, served at /admin/assets/console.css (embedded: tsc copies no CSS). */
export const CONSOLE_STYLE = `
:root { color-scheme: light; --ink: #1b1b1f; --muted: #5c5f66; --line: #d0d3d9; --accent: #2459d1;
  --danger: #b3261e; --ok: #1e7b34; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
body { margin: 0; color: var(--ink); background: #f7f8fa; line-height: 1.45; }
/* Buttons are display: inline-block below: without this, hidden ones ("Show more…") would show. */
[hidden] { display: none !important; }
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 8px; top: 8px; background: #fff; padding: 6px 10px; z-index: 10; }
.top { background: #fff; border-bottom: 1px solid var(--line); padding: 12px 24px; }
.top h1 { margin: 0; font-size: 1.4rem; }
.language-switch { float: right; margin-left: 16px; }
.top nav ul { list-style: none; display: flex; gap: 16px; padding: 0; margin: 8px 0 0; flex-wrap: wrap; }
main { max-width: 1100px; margin: 0 auto; padding: 16px 24px 48px; }
main.narrow { max-width: 560px; padding-top: 48px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px 20px; margin: 16px 0; }
h2 { margin-top: 0; font-size: 1.15rem; }
.muted, .hint { color: var(--muted); }
.hint { font-size: 0.9rem; margin: 4px 0; }
.field { margin: 12px 0; }
.field label { display: block; font-weight: 600; margin-bottom: 4px; }
.field.check { display: flex; gap: 8px; align-items: center; }
.field.check label { display: inline; font-weight: normal; margin: 0; }
input[type=number], select { padding: 6px 8px; border: 1px solid var(--line); border-radius: 4px; min-width: 8rem; }
textarea { width: 100%; min-height: 12rem; font-family: ui-monospace, Consolas, monospace; font-size: 0.85rem;
  border: 1px solid var(--line); border-radius: 4px; padding: 6px; box-sizing: border-box; }
[aria-invalid=true] { border-color: var(--danger); outline-color: var(--danger); }
.error { color: var(--danger); margin: 4px 0; font-size: 0.9rem; }
.error:empty, .warning:empty { display: none; }
.warning { color: #8a5a00; margin: 4px 0; font-size: 0.9rem; }
button, .button { background: var(--accent); color: #fff; border: 0; border-radius: 4px; padding: 8px 16px;
  font-size: 0.95rem; cursor: pointer; text-decoration: none; display: inline-block; }
button.secondary { background: #fff; color: var(--accent); border: 1px solid var(--accent); }
button.danger { background: var(--danger); }
/* The focus ring: 3:1 or more against the page and the sections (WCAG 1.4.11); the light blue it was had 2:1. */
button:focus-visible, a:focus-visible, input:focus-visible, textarea:focus-visible, select:focus-visible,
summary:focus-visible { outline: 3px solid #1a3f8a; outline-offset: 2px; }
.status { min-height: 1.5em; font-weight: 600; }
.session { margin: 8px 0 0; display: flex; gap: 8px; align-items: center; flex-wrap: wrap; }
#users-more { margin-top: 8px; }
.status.ok { color: var(--ok); }
.status.fail { color: var(--danger); }
.language { border: 1px solid var(--line); border-radius: 6px; padding: 12px; margin: 12px 0; }
.language legend { font-weight: 700; padding: 0 6px; }
.editor-grid { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
@media (max-width: 800px) { .editor-grid { grid-template-columns: 1fr; } }
.preview iframe { width: 100%; height: 22rem; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
.preview pre { white-space: pre-wrap; background: #f3f4f6; padding: 8px; border-radius: 4px; font-size: 0.85rem;
  max-height: 16rem; overflow: auto; }
table { border-collapse: collapse; width: 100%; font-size: 0.92rem; }
caption { text-align: left; color: var(--muted); padding-bottom: 6px; }
th, td { text-align: left; border-bottom: 1px solid var(--line); padding: 6px 8px; vertical-align: top; }
td.actions { white-space: nowrap; }
td.actions a, td.actions button { margin-right: 6px; font-size: 0.85rem; padding: 4px 10px; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 0.8rem; background: #eef1f6; }
.badge.signed_in { background: #e3f4e8; color: var(--ok); }
.badge.needs_sign_in { background: #fff2d6; color: #8a5a00; }
.badge.signed_out { background: #eceef1; color: var(--muted); }
code { background: #f1f3f6; padding: 0 3px; border-radius: 3px; }
`;
