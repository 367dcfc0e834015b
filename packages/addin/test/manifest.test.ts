import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { FUNCTION_NAMES, LAUNCH_EVENT_HANDLERS } from '../src/files.js';
import { addinIdFor, uuidV5 } from '../src/manifest/addin-id.js';
import { generateManifest, manifestVersion } from '../src/manifest/generate.js';
import { LONG_STRING_MAX, SHORT_STRING_MAX } from '../src/manifest/strings.js';
import { assertWellFormed } from '../src/manifest/validate.js';
import { readPng } from './support/png.js';
import { all, child, type Node, named, parseXml, typed } from './support/xml-tree.js';

const BASE = 'https://roomlink.example.org/';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const xml = generateManifest({ baseUrl: BASE, version: '1.4.2' });
const root = parseXml(xml);
const vo10 = child(root, 'VersionOverrides');
const vo11 = child(vo10, 'VersionOverrides');

describe('manifest', () => {
  it('is well-formed XML (xmllint)', async () => {
    await expect(assertWellFormed(xml)).resolves.toBeUndefined();
    await expect(assertWellFormed('<OfficeApp><Id></OfficeApp>')).rejects.toThrow(/not well-formed/);
  });

  it('is a MailApp with the base elements in schema order', () => {
    expect(root.name).toBe('OfficeApp');
    expect(root.attrs['xsi:type']).toBe('MailApp');
    expect(root.attrs.xmlns).toBe('http://schemas.microsoft.com/office/appforoffice/1.1');
    expect(root.children.map((c) => c.name)).toEqual([
      'Id',
      'Version',
      'ProviderName',
      'DefaultLocale',
      'DisplayName',
      'Description',
      'IconUrl',
      'HighResolutionIconUrl',
      'SupportUrl',
      'AppDomains',
      'Hosts',
      'Requirements',
      'FormSettings',
      'Permissions',
      'Rule',
      'VersionOverrides',
    ]);
    expect(child(root, 'Version').text).toBe('1.4.2.0');
    expect(child(root, 'DefaultLocale').text).toBe('en-US');
    expect(child(root, 'Permissions').text).toBe('ReadWriteItem');
    expect(child(root, 'Rule').attrs).toMatchObject({
      'xsi:type': 'ItemIs',
      ItemType: 'Appointment',
      FormType: 'Edit',
    });
    expect(child(child(root, 'Hosts'), 'Host').attrs.Name).toBe('Mailbox');
  });

  it('has a stable id per base URL (name-based UUID v5), or the configured one', () => {
    const id = child(root, 'Id').text;
    expect(id).toBe(addinIdFor(BASE));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(addinIdFor('https://roomlink.example.org')).toBe(id);
    expect(addinIdFor('https://other.example.org/')).not.toBe(id);
    // RFC 9562 appendix A test vector: v5 of "www.example.com" in the DNS namespace.
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '2ed6657d-e927-568b-95e1-2665a8aea6a2',
    );
    const configured = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';
    expect(generateManifest({ baseUrl: BASE, version: '1.0.0', addinId: configured })).toContain(
      `<Id>${configured}</Id>`,
    );
    expect(() => generateManifest({ baseUrl: BASE, version: '1.0.0', addinId: 'nope' })).toThrow();
  });

  it('turns versions into the four-part manifest form', () => {
    expect(manifestVersion('0.1.0')).toBe('0.1.0.0');
    expect(manifestVersion('2.3.4.5')).toBe('2.3.4.5');
    expect(manifestVersion('1.2.3-beta.1')).toBe('1.2.3.0');
    expect(() => manifestVersion('1.2')).toThrow();
  });

  it('asks for the lowest requirement sets: 1.1 base, 1.3 for commands, V1_1 not above mobile’s reach', () => {
    expect(child(child(child(root, 'Requirements'), 'Sets'), 'Set').attrs).toEqual({
      Name: 'Mailbox',
      MinVersion: '1.1',
    });
    const min = (vo: Node) => child(child(vo, 'Requirements'), 'bt:Sets').attrs.DefaultMinVersion;
    expect(min(vo10)).toBe('1.3');
    expect(min(vo11)).toBe('1.3');
  });

  it('nests VersionOverrides V1_1 as the last child of V1_0, each in schema order', () => {
    expect(vo10.attrs).toMatchObject({
      xmlns: 'http://schemas.microsoft.com/office/mailappversionoverrides',
      'xsi:type': 'VersionOverridesV1_0',
    });
    expect(vo11.attrs).toMatchObject({
      xmlns: 'http://schemas.microsoft.com/office/mailappversionoverrides/1.1',
      'xsi:type': 'VersionOverridesV1_1',
    });
    expect(vo10.children.map((c) => c.name)).toEqual([
      'Description',
      'Requirements',
      'Hosts',
      'Resources',
      'VersionOverrides',
    ]);
    expect(vo11.children.map((c) => c.name)).toEqual(['Description', 'Requirements', 'Hosts', 'Resources']);
    expect(child(child(vo11, 'Hosts'), 'Host').children.map((c) => c.name)).toEqual([
      'Runtimes',
      'DesktopFormFactor',
      'MobileFormFactor',
    ]);
    for (const formFactor of all(
      vo10,
      (n) => n.name === 'DesktopFormFactor' || n.name === 'MobileFormFactor',
    )) {
      expect(formFactor.children[0]?.name).toBe('FunctionFile');
    }
    const resources = child(vo11, 'Resources').children.map((c) => c.name);
    expect(resources).toEqual(['bt:Images', 'bt:Urls', 'bt:ShortStrings', 'bt:LongStrings']);
  });

  it('resolves every resid within its own VersionOverrides, with ids of at most 32 characters', () => {
    for (const vo of [vo10, vo11]) {
      const own = { ...vo, children: vo.children.filter((c) => c.name !== 'VersionOverrides') };
      const defined = new Set(all(child(vo, 'Resources'), (n) => 'id' in n.attrs).map((n) => n.attrs.id));
      const used = all(own, (n) => 'resid' in n.attrs).map((n) => n.attrs.resid as string);
      expect(used.length).toBeGreaterThan(5);
      for (const resid of used) {
        expect(defined, resid).toContain(resid);
        expect(resid.length).toBeLessThanOrEqual(32);
      }
    }
  });

  it('puts exactly one ExecuteFunction and one task pane button on the appointment organizer surface', () => {
    for (const vo of [vo10, vo11]) {
      const surfaces = all(vo, typed('AppointmentOrganizerCommandSurface')).filter(
        (s) => !isInsideNested(vo, s),
      );
      expect(surfaces).toHaveLength(1);
      const surface = surfaces[0] as Node;
      const actions = all(surface, named('Action'));
      expect(actions.map((a) => a.attrs['xsi:type']).sort()).toEqual(['ExecuteFunction', 'ShowTaskpane']);
      const execute = actions.find((a) => a.attrs['xsi:type'] === 'ExecuteFunction') as Node;
      expect(child(execute, 'FunctionName').text).toBe(FUNCTION_NAMES.addMeeting);
      const labels = all(surface, (n) => n.name === 'Label' && n.attrs.resid === 'AddMeeting.Label');
      expect(labels).toHaveLength(1);
    }
    expect(shortString(vo10, 'AddMeeting.Label')).toEqual({
      en: 'Add Roomlink meeting',
      fr: 'Ajouter une réunion Roomlink',
    });
  });

  it('declares the mobile online-meeting button: one MobileButton, ExecuteFunction, nine grey icons', () => {
    const mobile = child(child(child(vo11, 'Hosts'), 'Host'), 'MobileFormFactor');
    const surfaces = all(mobile, typed('MobileOnlineMeetingCommandSurface'));
    expect(surfaces).toHaveLength(1);
    const controls = (surfaces[0] as Node).children.filter((c) => c.name === 'Control');
    expect(controls).toHaveLength(1);
    const control = controls[0] as Node;
    expect(control.attrs['xsi:type']).toBe('MobileButton');
    expect(child(child(control, 'Action'), 'FunctionName').text).toBe(FUNCTION_NAMES.addMeeting);
    expect(child(control, 'Action').attrs['xsi:type']).toBe('ExecuteFunction');
    const icon = child(control, 'Icon');
    expect(icon.attrs['xsi:type']).toBe('bt:MobileIconList');
    const images = icon.children.map((i) => `${i.attrs.size}@${i.attrs.scale}`);
    expect(images.sort()).toEqual(['25@1', '25@2', '25@3', '32@1', '32@2', '32@3', '48@1', '48@2', '48@3']);
    const urls = new Set<string>();
    for (const image of icon.children) {
      const url = imageUrl(vo11, image.attrs.resid as string);
      urls.add(url);
      const png = readPng(readFileSync(localFile(url)));
      const pixels = Number(image.attrs.size) * Number(image.attrs.scale);
      expect([png.width, png.height]).toEqual([pixels, pixels]);
      expect(coloursOf(png)).toEqual(['919191']);
    }
    expect(urls.size).toBe(9);
  });

  it('activates on new appointments and on send (SoftBlock), in the runtime that loads launchevent.js', () => {
    const desktop = child(child(child(vo11, 'Hosts'), 'Host'), 'DesktopFormFactor');
    const launch = all(desktop, typed('LaunchEvent'));
    expect(launch).toHaveLength(1);
    const events = child(launch[0] as Node, 'LaunchEvents').children.map((e) => e.attrs);
    expect(events).toEqual([
      { Type: 'OnNewAppointmentOrganizer', FunctionName: LAUNCH_EVENT_HANDLERS.OnNewAppointmentOrganizer },
      {
        Type: 'OnAppointmentSend',
        FunctionName: LAUNCH_EVENT_HANDLERS.OnAppointmentSend,
        SendMode: 'SoftBlock',
      },
    ]);
    const runtime = child(child(child(child(vo11, 'Hosts'), 'Host'), 'Runtimes'), 'Runtime');
    expect(child(launch[0] as Node, 'SourceLocation').attrs.resid).toBe(runtime.attrs.resid);
    expect(url(vo11, runtime.attrs.resid as string)).toBe(`${BASE}addin/launchevent.html`);
    const override = child(runtime, 'Override');
    expect(override.attrs.type).toBe('javascript');
    expect(url(vo11, override.attrs.resid as string)).toBe(`${BASE}addin/launchevent.js`);
    expect(all(vo10, typed('LaunchEvent')).filter((n) => !isInsideNested(vo10, n))).toHaveLength(0);
  });

  it('has every string in en-US (default) and fr-FR, within Outlook’s length limits', () => {
    const localized = [
      child(root, 'DisplayName'),
      child(root, 'Description'),
      ...all(root, (n) => n.name === 'bt:String'),
    ];
    expect(localized.length).toBeGreaterThan(10);
    for (const node of localized) {
      expect(node.attrs.DefaultValue?.length).toBeGreaterThan(0);
      const fr = node.children.filter((c) => c.name.endsWith('Override') && c.attrs.Locale === 'fr-FR');
      expect(fr, node.attrs.id ?? node.name).toHaveLength(1);
      expect(fr[0]?.attrs.Value?.length).toBeGreaterThan(0);
    }
    for (const s of all(root, named('bt:ShortStrings')).flatMap((n) => n.children)) {
      expect(s.attrs.DefaultValue?.length).toBeLessThanOrEqual(SHORT_STRING_MAX);
      expect(s.children[0]?.attrs.Value?.length).toBeLessThanOrEqual(SHORT_STRING_MAX);
    }
    for (const s of all(root, named('bt:LongStrings')).flatMap((n) => n.children)) {
      expect(s.attrs.DefaultValue?.length).toBeLessThanOrEqual(LONG_STRING_MAX);
      expect(s.children[0]?.attrs.Value?.length).toBeLessThanOrEqual(LONG_STRING_MAX);
    }
  });

  it('uses only https URLs under the base URL, each naming a file the add-in ships', () => {
    const urls = allUrls(root);
    expect(urls.length).toBeGreaterThan(15);
    for (const u of urls) {
      expect(u.startsWith('https://'), u).toBe(true);
      expect(u === BASE.slice(0, -1) || u.startsWith(BASE), u).toBe(true);
      if (u.startsWith(`${BASE}addin/`)) expect(existsSync(localFile(u)), u).toBe(true);
    }
  });

  it('writes what the base URL says, including a path and a localhost development base', () => {
    const dev = generateManifest({ baseUrl: 'http://localhost:3000', version: '0.1.0' });
    const devUrls = allUrls(parseXml(dev));
    expect(devUrls.every((u) => u.startsWith('http://localhost:3000'))).toBe(true);
    const prefixed = allUrls(
      parseXml(generateManifest({ baseUrl: 'https://h.example/rl', version: '0.1.0' })),
    );
    expect(
      prefixed
        .filter((u) => u !== 'https://h.example')
        .every((u) => u.startsWith('https://h.example/rl/addin/')),
    ).toBe(true);
  });
});

function isInsideNested(vo: Node, target: Node): boolean {
  const nested = vo.children.find((c) => c.name === 'VersionOverrides');
  return nested ? all(nested, (n) => n === target).length > 0 : false;
}

function resource(vo: Node, id: string): Node {
  const found = all(child(vo, 'Resources'), (n) => n.attrs.id === id);
  if (found.length !== 1) throw new Error(`resource ${id}: ${found.length}`);
  return found[0] as Node;
}

const url = (vo: Node, id: string) => resource(vo, id).attrs.DefaultValue as string;
const imageUrl = url;

function shortString(vo: Node, id: string) {
  const node = resource(vo, id);
  return { en: node.attrs.DefaultValue, fr: node.children[0]?.attrs.Value };
}

function allUrls(tree: Node): string[] {
  const values = all(tree, () => true).flatMap((n) => [
    ...Object.values(n.attrs).filter(
      (v) => /^https?:/.test(v) && !v.startsWith('http://schemas.') && !v.startsWith('http://www.w3.org'),
    ),
    ...(n.name === 'AppDomain' ? [n.text] : []),
  ]);
  return [...new Set(values)];
}

/** Where a manifest URL's file comes from in this package (the build copies them to dist/web). */
function localFile(u: string): string {
  const rest = u.slice(u.indexOf('/addin/') + '/addin/'.length);
  if (rest.startsWith('assets/')) return path.join(ROOT, rest);
  if (rest === 'launchevent.js') return path.join(ROOT, 'web', 'launchevent.ts');
  return path.join(ROOT, 'web', rest);
}

function coloursOf(png: { rgba: Buffer }): string[] {
  const colours = new Set<string>();
  for (let i = 0; i < png.rgba.length; i += 4) {
    if (png.rgba[i + 3] === 0) continue;
    colours.add(png.rgba.subarray(i, i + 3).toString('hex'));
  }
  return [...colours];
}
