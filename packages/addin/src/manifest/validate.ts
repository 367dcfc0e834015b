/**
 * Checks a manifest with xmllint: well-formedness always, and the XSDs of [MS-OWEMXML] when they are
 * present on disk. No package ships those schemas and Microsoft's validator is an online service, so
 * without them the schema check reports that it was skipped rather than passing.
 */
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export type XsdValidation =
  | { readonly status: 'valid'; readonly schema: string }
  | { readonly status: 'invalid'; readonly schema: string; readonly errors: string }
  | { readonly status: 'skipped'; readonly reason: string };

const OFFICE_APP_NAMESPACE = 'http://schemas.microsoft.com/office/appforoffice/1.1';

interface XmllintResult {
  readonly code: number | null;
  readonly stderr: string;
}

export function runXmllint(args: readonly string[], input: string): Promise<XmllintResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('xmllint', [...args, '-'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
    child.stdin.end(input);
  });
}

/** Throws when xmllint finds the document ill-formed (or is not installed). */
export async function assertWellFormed(xml: string): Promise<void> {
  const result = await runXmllint(['--noout', '--nonet'], xml);
  if (result.code !== 0) throw new Error(`manifest is not well-formed XML:\n${result.stderr}`);
}

/** Finds the schema whose targetNamespace is the OfficeApp 1.1 namespace; it imports the others. */
export async function findOfficeAppSchema(xsdDir: string): Promise<string | null> {
  let names: string[];
  try {
    names = await readdir(xsdDir);
  } catch {
    return null;
  }
  for (const name of names.filter((n) => n.toLowerCase().endsWith('.xsd')).sort()) {
    const file = path.join(xsdDir, name);
    const head = (await readFile(file, 'utf8')).slice(0, 4096);
    if (
      new RegExp(`targetNamespace\\s*=\\s*["']${OFFICE_APP_NAMESPACE.replaceAll('.', '\\.')}["']`).test(head)
    ) {
      return file;
    }
  }
  return null;
}

export async function validateManifestWithXsd(xml: string, xsdDir: string): Promise<XsdValidation> {
  const schema = await findOfficeAppSchema(xsdDir);
  if (!schema) return { status: 'skipped', reason: `no XSD for ${OFFICE_APP_NAMESPACE} in ${xsdDir}` };
  let result: XmllintResult;
  try {
    result = await runXmllint(['--noout', '--nonet', '--schema', schema], xml);
  } catch (error) {
    return { status: 'skipped', reason: `xmllint unavailable: ${(error as Error).message}` };
  }
  return result.code === 0
    ? { status: 'valid', schema }
    : { status: 'invalid', schema, errors: result.stderr };
}
