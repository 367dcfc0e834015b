/** A minimal XML element tree and serializer: enough to write a manifest with stable formatting. */

export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, string>>;
  readonly children: readonly XmlNode[];
}

export type XmlNode = XmlElement | string;

export function el(name: string, attrs: Record<string, string> = {}, ...children: XmlNode[]): XmlElement {
  return { name, attrs, children };
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

export function escapeXml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c] as string);
}

/** Serialises with two-space indentation; an element holding only text stays on one line. */
export function serializeXml(root: XmlElement): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${render(root, 0)}\n`;
}

function render(node: XmlElement, depth: number): string {
  const pad = '  '.repeat(depth);
  const attrs = Object.entries(node.attrs)
    .map(([k, v]) => ` ${k}="${escapeXml(v)}"`)
    .join('');
  if (node.children.length === 0) return `${pad}<${node.name}${attrs}/>`;
  if (node.children.every((c) => typeof c === 'string')) {
    return `${pad}<${node.name}${attrs}>${node.children.map((c) => escapeXml(c as string)).join('')}</${node.name}>`;
  }
  const inner = node.children
    .map((c) => (typeof c === 'string' ? `${'  '.repeat(depth + 1)}${escapeXml(c)}` : render(c, depth + 1)))
    .join('\n');
  return `${pad}<${node.name}${attrs}>\n${inner}\n${pad}</${node.name}>`;
}
