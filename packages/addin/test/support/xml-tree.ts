/** The manifest as an ordered element tree, for structural assertions. */
import { XMLParser } from 'fast-xml-parser';

export interface Node {
  readonly name: string;
  readonly attrs: Record<string, string>;
  readonly children: Node[];
  readonly text: string;
}

type Raw = Record<string, unknown>;

export function parseXml(xml: string): Node {
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
    parseTagValue: false,
  });
  const top = (parser.parse(xml) as Raw[]).map(toNode).filter((n) => !n.name.startsWith('?'));
  if (top.length !== 1) throw new Error('expected one root element');
  return top[0] as Node;
}

function toNode(raw: Raw): Node {
  const name = Object.keys(raw).find((k) => k !== ':@') as string;
  const content = (raw[name] as Raw[] | undefined) ?? [];
  const children = content.filter((c) => !('#text' in c)).map(toNode);
  const text = content
    .filter((c) => '#text' in c)
    .map((c) => String(c['#text']))
    .join('');
  return { name, attrs: (raw[':@'] as Record<string, string>) ?? {}, children, text };
}

export function child(node: Node, name: string): Node {
  const found = node.children.find((c) => c.name === name);
  if (!found) throw new Error(`${node.name} has no ${name}`);
  return found;
}

export function all(node: Node, predicate: (n: Node) => boolean): Node[] {
  const out: Node[] = [];
  const walk = (n: Node) => {
    if (predicate(n)) out.push(n);
    n.children.forEach(walk);
  };
  walk(node);
  return out;
}

export const named = (name: string) => (n: Node) => n.name === name;
export const typed = (type: string) => (n: Node) => n.attrs['xsi:type'] === type;
