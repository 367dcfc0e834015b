/**
 * Reads what the sandbox needs from an add-in's XML manifest, as Outlook on the web does: the most
 * recent VersionOverrides the client supports (V1_1 nested in V1_0 wins), the appointment organizer
 * ribbon buttons, the function file, event-based activation and its runtime, and localized strings.
 */
import { XMLParser } from 'fast-xml-parser';

export interface Localized {
  readonly default: string;
  /** By locale, e.g. `fr-FR`. */
  readonly overrides: Readonly<Record<string, string>>;
}

export type ButtonAction =
  | { readonly type: 'ExecuteFunction'; readonly functionName: string }
  | { readonly type: 'ShowTaskpane'; readonly url: string };

export interface SandboxButton {
  readonly id: string;
  readonly label: Localized;
  readonly tooltip: Localized | null;
  readonly iconUrl: string | null;
  readonly action: ButtonAction;
}

export interface SandboxLaunchEvent {
  readonly type: string;
  readonly functionName: string;
  readonly sendMode: string | null;
}

export interface SandboxAddin {
  readonly id: string;
  readonly displayName: Localized;
  readonly groupLabel: Localized | null;
  readonly functionFileUrl: string | null;
  readonly buttons: readonly SandboxButton[];
  readonly launchEvents: readonly SandboxLaunchEvent[];
  /** The browser runtime page, and the JavaScript-only runtime's script (classic Outlook on Windows). */
  readonly runtime: { readonly pageUrl: string; readonly scriptUrl: string | null } | null;
  /** Mailbox requirement set the VersionOverrides in use asks for. */
  readonly versionOverrides: 'VersionOverridesV1_0' | 'VersionOverridesV1_1' | null;
}

interface Node {
  readonly name: string;
  readonly attrs: Record<string, string>;
  readonly children: Node[];
  readonly text: string;
}

type Raw = Record<string, unknown>;

function toNode(raw: Raw): Node {
  const name = Object.keys(raw).find((k) => k !== ':@') as string;
  const content = (raw[name] as Raw[] | undefined) ?? [];
  return {
    name,
    attrs: (raw[':@'] as Record<string, string>) ?? {},
    children: content.filter((c) => !('#text' in c)).map(toNode),
    text: content
      .filter((c) => '#text' in c)
      .map((c) => String(c['#text']))
      .join('')
      .trim(),
  };
}

const local = (name: string) => name.slice(name.indexOf(':') + 1);
const kids = (node: Node | undefined, name: string) =>
  (node?.children ?? []).filter((c) => local(c.name) === name);
const kid = (node: Node | undefined, name: string) => kids(node, name)[0];
const type = (node: Node) => node.attrs['xsi:type'] ?? '';

export function readManifest(xml: string): SandboxAddin {
  const parser = new XMLParser({
    preserveOrder: true,
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
    parseTagValue: false,
  });
  const root = (parser.parse(xml) as Raw[]).map(toNode).find((n) => local(n.name) === 'OfficeApp');
  if (!root) throw new Error('not an Office add-in manifest (no OfficeApp)');
  const id = kid(root, 'Id')?.text ?? '';
  const displayName = localizedValue(kid(root, 'DisplayName'));

  let overrides = kid(root, 'VersionOverrides');
  const nested = kid(overrides, 'VersionOverrides');
  if (nested) overrides = nested;
  const resources = resourceTable(kid(overrides, 'Resources'));
  const host = kids(kid(overrides, 'Hosts'), 'Host').find((h) => type(h) === 'MailHost');
  const desktop = kid(host, 'DesktopFormFactor');
  const url = (node: Node | undefined) =>
    node ? (resources.urls.get(node.attrs.resid ?? '') ?? null) : null;

  const surface = kids(desktop, 'ExtensionPoint').find(
    (e) => type(e) === 'AppointmentOrganizerCommandSurface',
  );
  const group = kid(kid(surface, 'OfficeTab'), 'Group') ?? kid(kid(surface, 'CustomTab'), 'Group');
  const buttons: SandboxButton[] = [];
  for (const control of kids(group, 'Control')) {
    const action = kid(control, 'Action');
    if (!action) continue;
    const actionType = type(action);
    let parsed: ButtonAction | null = null;
    if (actionType === 'ExecuteFunction') {
      parsed = { type: 'ExecuteFunction', functionName: kid(action, 'FunctionName')?.text ?? '' };
    } else if (actionType === 'ShowTaskpane') {
      const taskpaneUrl = url(kid(action, 'SourceLocation'));
      if (taskpaneUrl) parsed = { type: 'ShowTaskpane', url: taskpaneUrl };
    }
    if (!parsed) continue;
    const images = kids(kid(control, 'Icon'), 'Image');
    const icon = images.find((i) => i.attrs.size === '32') ?? images[0];
    buttons.push({
      id: control.attrs.id ?? '',
      label: resources.strings.get(kid(control, 'Label')?.attrs.resid ?? '') ?? {
        default: '',
        overrides: {},
      },
      tooltip: resources.strings.get(kid(kid(control, 'Supertip'), 'Description')?.attrs.resid ?? '') ?? null,
      iconUrl: icon ? (resources.images.get(icon.attrs.resid ?? '') ?? null) : null,
      action: parsed,
    });
  }

  const launch = kids(desktop, 'ExtensionPoint').find((e) => type(e) === 'LaunchEvent');
  const launchEvents = kids(kid(launch, 'LaunchEvents'), 'LaunchEvent').map((e) => ({
    type: e.attrs.Type ?? '',
    functionName: e.attrs.FunctionName ?? '',
    sendMode: e.attrs.SendMode ?? null,
  }));
  const runtimeResid = kid(launch, 'SourceLocation')?.attrs.resid;
  const runtimeNode = kids(kid(host, 'Runtimes'), 'Runtime').find((r) => r.attrs.resid === runtimeResid);
  const pageUrl = runtimeResid ? (resources.urls.get(runtimeResid) ?? null) : null;
  const scriptOverride = kids(runtimeNode, 'Override').find((o) => o.attrs.type === 'javascript');

  return {
    id,
    displayName,
    groupLabel: resources.strings.get(kid(group, 'Label')?.attrs.resid ?? '') ?? null,
    functionFileUrl: url(kid(desktop, 'FunctionFile')),
    buttons,
    launchEvents,
    runtime: pageUrl ? { pageUrl, scriptUrl: url(scriptOverride) } : null,
    versionOverrides: overrides ? (type(overrides) as SandboxAddin['versionOverrides']) : null,
  };
}

function localizedValue(node: Node | undefined): Localized {
  const overrides: Record<string, string> = {};
  for (const o of kids(node, 'Override'))
    if (o.attrs.Locale && o.attrs.Value) overrides[o.attrs.Locale] = o.attrs.Value;
  return { default: node?.attrs.DefaultValue ?? '', overrides };
}

function resourceTable(resources: Node | undefined) {
  const strings = new Map<string, Localized>();
  const urls = new Map<string, string>();
  const images = new Map<string, string>();
  for (const s of [
    ...kids(kid(resources, 'ShortStrings'), 'String'),
    ...kids(kid(resources, 'LongStrings'), 'String'),
  ]) {
    strings.set(s.attrs.id ?? '', localizedValue(s));
  }
  for (const u of kids(kid(resources, 'Urls'), 'Url')) urls.set(u.attrs.id ?? '', u.attrs.DefaultValue ?? '');
  for (const i of kids(kid(resources, 'Images'), 'Image'))
    images.set(i.attrs.id ?? '', i.attrs.DefaultValue ?? '');
  return { strings, urls, images };
}

/** The string for a display language: exact locale, then same language, then the default. */
export function localize(text: Localized, locale: string): string {
  const exact = text.overrides[locale];
  if (exact) return exact;
  const language = locale.split('-')[0]?.toLowerCase();
  const sameLanguage = Object.entries(text.overrides).find(
    ([l]) => l.split('-')[0]?.toLowerCase() === language,
  );
  return sameLanguage ? sameLanguage[1] : text.default;
}
