/** Small DOM helpers: typed lookups and element creation without innerHTML (names and chat are text). */

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el as T;
}

type Attrs = Record<string, string | boolean | undefined>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (name === 'text') el.textContent = String(value);
    else el.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children) if (child !== null && child !== undefined) el.append(child);
  return el;
}

/** Shows exactly one of the page's views (sections with class "view"). */
export function showView(id: string): void {
  for (const view of document.querySelectorAll<HTMLElement>('.view')) view.hidden = view.id !== id;
}

/**
 * A media toggle's label says what pressing it does next ("Unmute microphone"); no aria-pressed on
 * top, since a changing label and a pressed state together read as a double negative. data-on styles it.
 */
export function setToggle(button: HTMLButtonElement, on: boolean, label: string): void {
  button.dataset.on = String(on);
  button.textContent = label;
}

/** Announces a short message to screen readers through the page's polite live region. */
export function announce(text: string): void {
  const region = byId('announcer');
  region.textContent = '';
  // A new text node in a separate task is what makes screen readers repeat identical messages.
  requestAnimationFrame(() => {
    region.textContent = text;
  });
}
