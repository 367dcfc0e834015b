/**
 * The small XML bbb-web answers with (its FreeMarker templates): a `<response>` element whose
 * children are text elements or nested lists, everything escaped. No XML declaration, as bbb-web.
 */

/** A child element: its name and text, or its own children. `undefined` leaves the element out. */
export type XmlChild = readonly [name: string, value: XmlValue];
export type XmlValue = string | number | boolean | undefined | readonly XmlChild[];

export function escapeXml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

function renderChildren(children: readonly XmlChild[]): string {
  let out = '';
  for (const [name, value] of children) {
    if (value === undefined) continue;
    if (typeof value === 'object') {
      out += value.length === 0 ? `<${name}/>` : `<${name}>${renderChildren(value)}</${name}>`;
    } else {
      out += `<${name}>${escapeXml(String(value))}</${name}>`;
    }
  }
  return out;
}

export function xmlResponse(children: readonly XmlChild[]): string {
  return `<response>${renderChildren(children)}</response>`;
}

export function successResponse(children: readonly XmlChild[]): string {
  return xmlResponse([['returncode', 'SUCCESS'], ...children]);
}

/** bbb-web's api-error template: returncode FAILED, messageKey, message. */
export function errorResponse(messageKey: string, message: string): string {
  return xmlResponse([
    ['returncode', 'FAILED'],
    ['messageKey', messageKey],
    ['message', message],
  ]);
}
