/**
 * BigBlueButton's API security model: `checksum` is the hex digest of
 * `callName + queryStringWithoutChecksum + sharedSecret`. bbb-web (GetChecksumValidator, 2.5+) picks
 * the algorithm by the length of the checksum it receives (40 sha1, 64 sha256, 96 sha384, 128 sha512;
 * all four are in `supportedChecksumAlgorithms` by default) and compares case-insensitively. The
 * query string is the one received, with the checksum parameter cut out as bbb-web does it (string
 * replacement of `&checksum=<value>`, `checksum=<value>&`, `checksum=<value>`), so the other
 * parameters keep their order and encoding.
 */
import { createHash } from 'node:crypto';

export type BigBlueButtonChecksumAlgorithm = 'sha1' | 'sha256' | 'sha384' | 'sha512';

/** Hex length of each digest: how bbb-web tells which algorithm the caller used. */
export const CHECKSUM_ALGORITHM_BY_LENGTH: Readonly<Record<number, BigBlueButtonChecksumAlgorithm>> = {
  40: 'sha1',
  64: 'sha256',
  96: 'sha384',
  128: 'sha512',
};

/** The digest a caller sends: hex(algorithm(callName + queryString + secret)). */
export function bigBlueButtonChecksum(
  callName: string,
  queryString: string,
  secret: string,
  algorithm: BigBlueButtonChecksumAlgorithm = 'sha256',
): string {
  return createHash(algorithm).update(`${callName}${queryString}${secret}`, 'utf8').digest('hex');
}

/** The raw (still URL-encoded) value of the first `checksum` parameter of a query string, if any. */
export function rawChecksumParameter(rawQuery: string): string | undefined {
  for (const pair of rawQuery.split('&')) {
    if (pair.startsWith('checksum=')) return pair.slice('checksum='.length);
  }
  return undefined;
}

/** The query string as bbb-web hashes it: the received one with the checksum parameter removed. */
export function queryStringWithoutChecksum(rawQuery: string, checksum: string): string {
  return rawQuery
    .split(`&checksum=${checksum}`)
    .join('')
    .split(`checksum=${checksum}&`)
    .join('')
    .split(`checksum=${checksum}`)
    .join('');
}

export type ChecksumVerdict =
  | { readonly valid: true; readonly algorithm: BigBlueButtonChecksumAlgorithm }
  | { readonly valid: false; readonly reason: 'missing' | 'unknownLength' | 'mismatch' };

/** Verifies the checksum of an API call the way bbb-web does. */
export function verifyChecksum(
  callName: string,
  rawQuery: string,
  secret: string,
  supported: readonly BigBlueButtonChecksumAlgorithm[] = ['sha1', 'sha256', 'sha384', 'sha512'],
): ChecksumVerdict {
  const provided = rawChecksumParameter(rawQuery);
  if (provided === undefined || provided === '') return { valid: false, reason: 'missing' };
  const algorithm = CHECKSUM_ALGORITHM_BY_LENGTH[provided.length];
  if (!algorithm || !supported.includes(algorithm)) return { valid: false, reason: 'unknownLength' };
  const expected = bigBlueButtonChecksum(
    callName,
    queryStringWithoutChecksum(rawQuery, provided),
    secret,
    algorithm,
  );
  return expected === provided.toLowerCase()
    ? { valid: true, algorithm }
    : { valid: false, reason: 'mismatch' };
}
