/**
 * A stable add-in id per deployment: a name-based UUID (RFC 9562 version 5, SHA-1) of the base URL,
 * so that regenerating the manifest for the same server never yields a "new" add-in to re-deploy.
 */
import { createHash } from 'node:crypto';

/** RFC 9562 namespace for URLs. */
export const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

export function uuidV5(name: string, namespace: string): string {
  if (!isUuid(namespace)) throw new TypeError('namespace must be a UUID');
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replaceAll('-', ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The base URL as the manifest uses it: no query or fragment, always ending with `/`. */
export function normalizeBaseUrl(baseUrl: string | URL): URL {
  const url = new URL(baseUrl.toString());
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('baseUrl must be http(s)');
  url.search = '';
  url.hash = '';
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

export function addinIdFor(baseUrl: string | URL): string {
  return uuidV5(normalizeBaseUrl(baseUrl).href, URL_NAMESPACE);
}
