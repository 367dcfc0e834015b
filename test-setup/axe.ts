/**
 * axe-core in a real page or frame, for the accessibility tests of every workspace (the join page,
 * the admin console, the add-in's task pane): the WCAG 2.1 A and AA rules only, and what they find as
 * one line per element, so that a failing test says which rule, where and why; and the focus ring,
 * which axe does not judge.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Frame, Page } from 'playwright-core';

/** The rules run: WCAG 2.0 and 2.1, levels A and AA. */
export const WCAG_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] as const;

let source: Promise<string> | undefined;

interface AxeResults {
  readonly violations: readonly {
    readonly id: string;
    readonly nodes: readonly { readonly target: readonly unknown[]; readonly failureSummary?: string }[];
  }[];
}

/**
 * Runs axe on the document of `target` as it is now (a task pane is a frame of the sandbox page) and
 * returns its violations, one line each ("rule: element: why"); [] when there is none. Injected with
 * evaluate (not a script tag): the pages' Content Security Policy allows no inline script, and the
 * test should not have to loosen it.
 */
export async function axeViolations(target: Page | Frame): Promise<string[]> {
  source ??= readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
  if (!(await target.evaluate('typeof window.axe === "object"'))) await target.evaluate(await source);
  const options = JSON.stringify({
    runOnly: { type: 'tag', values: WCAG_TAGS },
    resultTypes: ['violations'],
  });
  const results = (await target.evaluate(`window.axe.run(document, ${options})`)) as AxeResults;
  return results.violations.flatMap((rule) =>
    rule.nodes.map(
      (node) =>
        `${rule.id}: ${node.target.map(String).join(' ')}: ${(node.failureSummary ?? '').replace(/\s+/g, ' ')}`,
    ),
  );
}

/**
 * The focused element's focus ring: its outline style and width, and the contrast of its colour
 * against the background behind it (the nearest ancestor's that is not transparent).
 */
export function focusRing(page: Page): Promise<{ style: string; width: number; contrast: number }> {
  return page.evaluate(`(() => {
    const focused = document.activeElement;
    const style = getComputedStyle(focused);
    const rgba = (color) => color.match(/[\\d.]+/g).map(Number);
    const luminance = ([r, g, b]) => {
      const linear = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
    };
    let behind = [255, 255, 255];
    for (let node = focused.parentElement; node; node = node.parentElement) {
      const color = rgba(getComputedStyle(node).backgroundColor);
      if (color.length < 4 || color[3] > 0) { behind = color; break; }
    }
    const a = luminance(rgba(style.outlineColor));
    const b = luminance(behind);
    return {
      style: style.outlineStyle,
      width: parseFloat(style.outlineWidth),
      contrast: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05),
    };
  })()`) as Promise<{ style: string; width: number; contrast: number }>;
}
