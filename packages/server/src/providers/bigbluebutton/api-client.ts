/**
 * BigBlueButton's server API: every call is a GET of `<server>/api/<call>?<query>&checksum=<hash>`,
 * where the hash (hex) is taken of the call's name, the query string as sent and the shared secret,
 * and every answer is XML under <response> with a <returncode> of SUCCESS or FAILED.
 */
import { createHash, createHmac } from 'node:crypto';
import { XMLParser } from 'fast-xml-parser';
import type { BigBlueButtonChecksum } from '../../config/config.js';

export interface BigBlueButtonApiOptions {
  /** The server URL (`bbb-conf --secret`), ending with `/`. */
  readonly url: URL;
  readonly secret: string;
  readonly checksum: BigBlueButtonChecksum;
  readonly fetch?: typeof fetch;
  readonly timeoutMs?: number;
}

export type ApiParams = Readonly<Record<string, string>>;

/**
 * A FAILED answer. `code` is BigBlueButton's messageKey (checksumError, notFound, …): logs show it,
 * never the call's address, which carries the checksum.
 */
export class BigBlueButtonError extends Error {
  constructor(
    readonly call: string,
    readonly code: string,
  ) {
    super(`BigBlueButton ${call} failed: ${code}`);
    this.name = 'BigBlueButtonError';
  }
}

const xml = new XMLParser({ parseTagValue: false, ignoreAttributes: true });

export class BigBlueButtonApi {
  readonly #fetch: typeof fetch;

  constructor(private readonly options: BigBlueButtonApiOptions) {
    this.#fetch = options.fetch ?? fetch;
  }

  /** The signed address of a call; `join`'s is handed to the participant's browser as it is. */
  signedUrl(call: string, params: ApiParams): string {
    // Percent-encoding (not URLSearchParams' `+` for spaces): the hash covers the string exactly as
    // sent, and every BigBlueButton version decodes %20.
    const query = Object.entries(params)
      .map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`)
      .join('&');
    const checksum = createHash(this.options.checksum)
      .update(call + query + this.options.secret)
      .digest('hex');
    const url = new URL(`api/${call}`, this.options.url);
    return `${url.toString()}?${query}${query ? '&' : ''}checksum=${checksum}`;
  }

  /**
   * A value only holders of the shared secret can compute (HMAC-SHA-256, base64url), for what must
   * match across calls and processes without being stored: the meeting passwords.
   */
  keyedDigest(text: string): string {
    return createHmac('sha256', this.options.secret).update(text).digest('base64url');
  }

  /** The <response> element's children as strings; a FAILED answer throws BigBlueButtonError. */
  async call(call: string, params: ApiParams): Promise<Readonly<Record<string, unknown>>> {
    const response = await this.#fetch(this.signedUrl(call, params), {
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 10_000),
      redirect: 'manual',
    });
    if (!response.ok) throw new Error(`BigBlueButton ${call} answered HTTP ${response.status}`);
    const parsed: unknown = xml.parse(await response.text());
    const body =
      typeof parsed === 'object' && parsed !== null && 'response' in parsed
        ? (parsed as { response: unknown }).response
        : undefined;
    if (typeof body !== 'object' || body === null)
      throw new Error(`BigBlueButton ${call} answered without a <response>`);
    const fields = body as Record<string, unknown>;
    if (fields.returncode !== 'SUCCESS')
      throw new BigBlueButtonError(
        call,
        typeof fields.messageKey === 'string' ? fields.messageKey : 'unknown',
      );
    return fields;
  }
}
