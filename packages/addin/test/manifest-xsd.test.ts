import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateManifest } from '../src/manifest/generate.js';
import { validateManifestWithXsd } from '../src/manifest/validate.js';

// [MS-OWEMXML]'s schemas go here when someone brings them (no package ships them).
const XSD_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/office');
const xml = generateManifest({ baseUrl: 'https://roomlink.example.org/', version: '1.0.0' });

describe('manifest against the Office XSDs', () => {
  it('validates with xmllint --schema when the XSDs are present, and says so when they are not', async (context) => {
    const result = await validateManifestWithXsd(xml, XSD_DIR);
    if (result.status === 'skipped') {
      console.warn(`manifest XSD validation skipped: ${result.reason}`);
      context.skip();
    }
    expect(result).toMatchObject({ status: 'valid' });
  });
});

describe('validateManifestWithXsd', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'roomlink-xsd-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reports "skipped" without a schema for the OfficeApp namespace', async () => {
    expect(await validateManifestWithXsd(xml, dir)).toMatchObject({ status: 'skipped' });
    expect(await validateManifestWithXsd(xml, path.join(dir, 'missing'))).toMatchObject({
      status: 'skipped',
    });
  });

  it('runs xmllint --schema with the OfficeApp schema it finds, and reports violations', async () => {
    // A deliberately tiny schema in the OfficeApp namespace: the manifest's real content violates it.
    await writeFile(
      path.join(dir, 'tiny.xsd'),
      `<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://schemas.microsoft.com/office/appforoffice/1.1" elementFormDefault="qualified">
  <xs:element name="OfficeApp"><xs:complexType><xs:sequence><xs:element name="Id" type="xs:string"/></xs:sequence></xs:complexType></xs:element>
</xs:schema>`,
    );
    const invalid = await validateManifestWithXsd(xml, dir);
    expect(invalid.status).toBe('invalid');
    const valid = await validateManifestWithXsd(
      '<OfficeApp xmlns="http://schemas.microsoft.com/office/appforoffice/1.1"><Id>x</Id></OfficeApp>',
      dir,
    );
    expect(valid.status).toBe('valid');
  });
});
