/**
 * The schema calendar sync's pg-boss keeps its tables in (docs/configuration.md, `DATABASE_URL`).
 * Deployments sharing one PostgreSQL database in different schemas must never share it: each would
 * run the other's jobs against its own schema.
 */
import { createHash } from 'node:crypto';

/** pg-boss 10 refuses longer schema names, and any with other characters than `[A-Za-z0-9_]`. */
const PGBOSS_NAME_MAX = 50;
const SUFFIX = '_pgboss';
/** PostgreSQL truncates longer identifiers (NAMEDATALEN - 1). */
const IDENTIFIER_MAX_BYTES = 63;

/**
 * pg-boss's schema: `pgboss`, or `<schema>_pgboss` when DATABASE_URL selects another schema through
 * its `options` (`-c search_path=<schema>`). A schema whose name is not lowercase letters, digits and
 * `_` (not starting with a digit), or is longer than 43 characters, also gets the first 8 hex digits
 * of its name's SHA-256: `roomlink-eu` and `roomlink-us` must not both become `roomlink_pgboss`.
 */
export function pgBossSchemaFor(databaseUrl: string): string {
  const schema = selectedSchema(databaseUrl);
  return schema === undefined ? 'pgboss' : pgBossSchemaOf(schema);
}

/** pg-boss's schema beside the PostgreSQL schema `schema` (see pgBossSchemaFor). */
export function pgBossSchemaOf(schema: string): string {
  if (schema === 'public') return 'pgboss';
  // What earlier versions named, kept: their queue (and its jobs) stays where it is.
  if (/^[a-z_][a-z0-9_]*$/.test(schema) && schema.length + SUFFIX.length <= PGBOSS_NAME_MAX)
    return `${schema}${SUFFIX}`;
  const hash = createHash('sha256').update(schema, 'utf8').digest('hex').slice(0, 8);
  let readable = schema.toLowerCase().replace(/[^a-z0-9_]+/g, '_');
  if (!/^[a-z_]/.test(readable)) readable = `_${readable}`;
  return `${readable.slice(0, PGBOSS_NAME_MAX - SUFFIX.length - hash.length - 1)}_${hash}${SUFFIX}`;
}

/**
 * The schema the URL's `options` put first in PostgreSQL's search_path, read as PostgreSQL reads
 * it (the last `-c search_path=…` or `--search_path=…` wins; an unquoted name is lowercased, a
 * quoted one kept); undefined without one, or for `$user`.
 */
export function selectedSchema(databaseUrl: string): string | undefined {
  let options: string;
  try {
    options = new URL(databaseUrl).searchParams.get('options') ?? '';
  } catch {
    return undefined;
  }
  const words = splitOptions(options);
  let searchPath: string | undefined;
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    let setting: string | undefined;
    if (word === '-c') setting = words[++i];
    else if (word.startsWith('--')) setting = word.slice(2);
    else if (word.startsWith('-c')) setting = word.slice(2);
    const equals = setting?.indexOf('=') ?? -1;
    if (setting === undefined || equals < 0) continue;
    if (setting.slice(0, equals).replaceAll('-', '_').toLowerCase() === 'search_path')
      searchPath = setting.slice(equals + 1);
  }
  const first = searchPath === undefined ? undefined : firstIdentifier(searchPath);
  return first === undefined || first === '$user' ? undefined : first;
}

/** PostgreSQL's split of the startup `options`: at whitespace, `\` escaping the next character. */
function splitOptions(options: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < options.length; i++) {
    let ch = options[i] as string;
    if (/\s/.test(ch)) {
      if (word !== undefined) words.push(word);
      word = undefined;
      continue;
    }
    if (ch === '\\' && i + 1 < options.length) ch = options[++i] as string;
    word = (word ?? '') + ch;
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** The first name of a search_path list, as PostgreSQL's SplitIdentifierString reads it. */
function firstIdentifier(list: string): string | undefined {
  const rest = list.trimStart();
  let name: string;
  if (rest.startsWith('"')) {
    const quoted = /^"((?:[^"]|"")*)"/.exec(rest);
    if (!quoted) return undefined;
    name = (quoted[1] as string).replaceAll('""', '"');
  } else {
    // Unquoted: up to whitespace or a comma, ASCII letters lowercased (as in a UTF-8 database).
    name = (/^[^\s,]*/.exec(rest)?.[0] ?? '').replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
  }
  return name === '' ? undefined : truncateIdentifier(name);
}

function truncateIdentifier(name: string): string {
  let bytes = 0;
  let end = 0;
  for (const ch of name) {
    bytes += Buffer.byteLength(ch, 'utf8');
    if (bytes > IDENTIFIER_MAX_BYTES) break;
    end += ch.length;
  }
  return name.slice(0, end);
}
