/**
 * Generates Roomlink's XML add-in manifest for one deployment.
 *
 * Requirement sets are the lowest each part allows: the base manifest asks for Mailbox 1.1 (custom
 * properties, ItemEdit form); VersionOverrides V1_0 carries the desktop commands, which Outlook ties
 * to Mailbox 1.3; V1_1 (nested as V1_0's last child) repeats them and adds what only V1_1 can hold:
 * the mobile online-meeting button (Mailbox 1.3 per Microsoft's online-meeting guide) and event-based
 * activation. A client that does not know an event (OnNewAppointmentOrganizer is 1.10,
 * OnAppointmentSend 1.12) does not raise it, so V1_1 is not raised to 1.10: that would hide the
 * mobile button from Outlook mobile, which stops at 1.5.
 */
import {
  ADDIN_FILES,
  ADDIN_PATH,
  DESKTOP_ICON_SIZES,
  desktopIconFile,
  FUNCTION_NAMES,
  LAUNCH_EVENT_HANDLERS,
  MOBILE_ICON_SCALES,
  MOBILE_ICON_SIZES,
  mobileIconFile,
} from '../files.js';
import { addinIdFor, isUuid, normalizeBaseUrl } from './addin-id.js';
import { DESCRIPTION, DISPLAY_NAME, LONG_STRINGS, type LocalizedString, SHORT_STRINGS } from './strings.js';
import { el, serializeXml, type XmlElement } from './xml.js';

export interface ManifestOptions {
  /** The Roomlink server's public base URL; every URL in the manifest is under it. */
  readonly baseUrl: string | URL;
  /** Defaults to addinIdFor(baseUrl). */
  readonly addinId?: string;
  /** Semantic version (`1.2.3`) or manifest version (`1.2.3.4`). */
  readonly version: string;
  readonly providerName?: string;
}

export const NS = Object.freeze({
  officeApp: 'http://schemas.microsoft.com/office/appforoffice/1.1',
  xsi: 'http://www.w3.org/2001/XMLSchema-instance',
  bt: 'http://schemas.microsoft.com/office/officeappbasictypes/1.0',
  mailappor: 'http://schemas.microsoft.com/office/mailappversionoverrides/1.0',
  vo10: 'http://schemas.microsoft.com/office/mailappversionoverrides',
  vo11: 'http://schemas.microsoft.com/office/mailappversionoverrides/1.1',
});

export const REQUIREMENTS = Object.freeze({ base: '1.1', commands: '1.3', v1_1: '1.3' });

/** Control ids, also read by the Outlook sandbox. */
export const CONTROL_IDS = Object.freeze({
  addMeeting: 'roomlinkAddMeeting',
  taskpane: 'roomlinkTaskpane',
  mobileAddMeeting: 'roomlinkMobileAddMeeting',
});

const RES = Object.freeze({
  commandsUrl: 'Commands.Url',
  taskpaneUrl: 'Taskpane.Url',
  webViewRuntimeUrl: 'WebViewRuntime.Url',
  jsRuntimeUrl: 'JSRuntime.Url',
});

export function manifestVersion(version: string): string {
  const core = /^(\d+)\.(\d+)\.(\d+)(?:\.(\d+))?(?:[-+].*)?$/.exec(version);
  if (!core) throw new TypeError(`version must look like 1.2.3 or 1.2.3.4, got ${version}`);
  return `${core[1]}.${core[2]}.${core[3]}.${core[4] ?? '0'}`;
}

export function generateManifest(options: ManifestOptions): string {
  const base = normalizeBaseUrl(options.baseUrl);
  const addinId = options.addinId ?? addinIdFor(base);
  if (!isUuid(addinId)) throw new TypeError('addinId must be a GUID');
  const file = (path: string) => new URL(ADDIN_PATH + path, base).href;

  const root = el(
    'OfficeApp',
    {
      xmlns: NS.officeApp,
      'xmlns:xsi': NS.xsi,
      'xmlns:bt': NS.bt,
      'xmlns:mailappor': NS.mailappor,
      'xsi:type': 'MailApp',
    },
    el('Id', {}, addinId),
    el('Version', {}, manifestVersion(options.version)),
    el('ProviderName', {}, options.providerName ?? 'Roomlink'),
    el('DefaultLocale', {}, 'en-US'),
    localizedValue('DisplayName', DISPLAY_NAME),
    localizedValue('Description', DESCRIPTION),
    el('IconUrl', { DefaultValue: file(desktopIconFile(64)) }),
    el('HighResolutionIconUrl', { DefaultValue: file(desktopIconFile(128)) }),
    el('SupportUrl', { DefaultValue: file(ADDIN_FILES.support) }),
    el('AppDomains', {}, el('AppDomain', {}, base.origin)),
    el('Hosts', {}, el('Host', { Name: 'Mailbox' })),
    el('Requirements', {}, el('Sets', {}, el('Set', { Name: 'Mailbox', MinVersion: REQUIREMENTS.base }))),
    el(
      'FormSettings',
      {},
      el(
        'Form',
        { 'xsi:type': 'ItemEdit' },
        el('DesktopSettings', {}, el('SourceLocation', { DefaultValue: file(ADDIN_FILES.taskpane) })),
      ),
    ),
    el('Permissions', {}, 'ReadWriteItem'),
    el('Rule', { 'xsi:type': 'ItemIs', ItemType: 'Appointment', FormType: 'Edit' }),
    versionOverrides10(file),
  );
  return serializeXml(root);
}

function localizedValue(name: string, text: LocalizedString): XmlElement {
  return el(name, { DefaultValue: text['en-US'] }, el('Override', { Locale: 'fr-FR', Value: text['fr-FR'] }));
}

function mailboxRequirement(version: string): XmlElement {
  return el(
    'Requirements',
    {},
    el('bt:Sets', { DefaultMinVersion: version }, el('bt:Set', { Name: 'Mailbox' })),
  );
}

function versionOverrides10(file: (path: string) => string): XmlElement {
  return el(
    'VersionOverrides',
    { xmlns: NS.vo10, 'xsi:type': 'VersionOverridesV1_0' },
    el('Description', { resid: 'Addin.Description' }),
    mailboxRequirement(REQUIREMENTS.commands),
    el(
      'Hosts',
      {},
      el(
        'Host',
        { 'xsi:type': 'MailHost' },
        el(
          'DesktopFormFactor',
          {},
          el('FunctionFile', { resid: RES.commandsUrl }),
          appointmentOrganizerSurface(),
        ),
      ),
    ),
    resources(file, { mobile: false, runtimes: false }),
    versionOverrides11(file),
  );
}

function versionOverrides11(file: (path: string) => string): XmlElement {
  return el(
    'VersionOverrides',
    { xmlns: NS.vo11, 'xsi:type': 'VersionOverridesV1_1' },
    el('Description', { resid: 'Addin.Description' }),
    mailboxRequirement(REQUIREMENTS.v1_1),
    el(
      'Hosts',
      {},
      el(
        'Host',
        { 'xsi:type': 'MailHost' },
        el(
          'Runtimes',
          {},
          el(
            'Runtime',
            { resid: RES.webViewRuntimeUrl },
            el('Override', { type: 'javascript', resid: RES.jsRuntimeUrl }),
          ),
        ),
        el(
          'DesktopFormFactor',
          {},
          el('FunctionFile', { resid: RES.commandsUrl }),
          appointmentOrganizerSurface(),
          launchEvents(),
        ),
        el(
          'MobileFormFactor',
          {},
          el('FunctionFile', { resid: RES.commandsUrl }),
          mobileOnlineMeetingSurface(),
        ),
      ),
    ),
    resources(file, { mobile: true, runtimes: true }),
  );
}

function desktopIcon(): XmlElement {
  return el(
    'Icon',
    {},
    ...[16, 32, 64, 80].map((size) => el('bt:Image', { size: String(size), resid: `Icon.${size}` })),
  );
}

function appointmentOrganizerSurface(): XmlElement {
  return el(
    'ExtensionPoint',
    { 'xsi:type': 'AppointmentOrganizerCommandSurface' },
    el(
      'OfficeTab',
      { id: 'TabDefault' },
      el(
        'Group',
        { id: 'roomlinkGroup' },
        el('Label', { resid: 'Group.Label' }),
        el(
          'Control',
          { 'xsi:type': 'Button', id: CONTROL_IDS.addMeeting },
          el('Label', { resid: 'AddMeeting.Label' }),
          el(
            'Supertip',
            {},
            el('Title', { resid: 'AddMeeting.Label' }),
            el('Description', { resid: 'AddMeeting.Tooltip' }),
          ),
          desktopIcon(),
          el('Action', { 'xsi:type': 'ExecuteFunction' }, el('FunctionName', {}, FUNCTION_NAMES.addMeeting)),
        ),
        el(
          'Control',
          { 'xsi:type': 'Button', id: CONTROL_IDS.taskpane },
          el('Label', { resid: 'Taskpane.Label' }),
          el(
            'Supertip',
            {},
            el('Title', { resid: 'Taskpane.Label' }),
            el('Description', { resid: 'Taskpane.Tooltip' }),
          ),
          desktopIcon(),
          el('Action', { 'xsi:type': 'ShowTaskpane' }, el('SourceLocation', { resid: RES.taskpaneUrl })),
        ),
      ),
    ),
  );
}

function launchEvents(): XmlElement {
  return el(
    'ExtensionPoint',
    { 'xsi:type': 'LaunchEvent' },
    el(
      'LaunchEvents',
      {},
      el('LaunchEvent', {
        Type: 'OnNewAppointmentOrganizer',
        FunctionName: LAUNCH_EVENT_HANDLERS.OnNewAppointmentOrganizer,
      }),
      el('LaunchEvent', {
        Type: 'OnAppointmentSend',
        FunctionName: LAUNCH_EVENT_HANDLERS.OnAppointmentSend,
        SendMode: 'SoftBlock',
      }),
    ),
    el('SourceLocation', { resid: RES.webViewRuntimeUrl }),
  );
}

function mobileOnlineMeetingSurface(): XmlElement {
  const images = MOBILE_ICON_SIZES.flatMap((size) =>
    MOBILE_ICON_SCALES.map((scale) =>
      el('bt:Image', { size: String(size), scale: String(scale), resid: `Mobile.${size}x${scale}` }),
    ),
  );
  return el(
    'ExtensionPoint',
    { 'xsi:type': 'MobileOnlineMeetingCommandSurface' },
    el(
      'Control',
      { 'xsi:type': 'MobileButton', id: CONTROL_IDS.mobileAddMeeting },
      el('Label', { resid: 'AddMeeting.Label' }),
      el('Icon', { 'xsi:type': 'bt:MobileIconList' }, ...images),
      el('Action', { 'xsi:type': 'ExecuteFunction' }, el('FunctionName', {}, FUNCTION_NAMES.addMeeting)),
    ),
  );
}

function resources(
  file: (path: string) => string,
  include: { readonly mobile: boolean; readonly runtimes: boolean },
): XmlElement {
  const images = DESKTOP_ICON_SIZES.filter((s) => s !== 128).map((size) =>
    el('bt:Image', { id: `Icon.${size}`, DefaultValue: file(desktopIconFile(size)) }),
  );
  if (include.mobile) {
    for (const size of MOBILE_ICON_SIZES) {
      for (const scale of MOBILE_ICON_SCALES) {
        images.push(
          el('bt:Image', { id: `Mobile.${size}x${scale}`, DefaultValue: file(mobileIconFile(size, scale)) }),
        );
      }
    }
  }
  const urls = [
    el('bt:Url', { id: RES.commandsUrl, DefaultValue: file(ADDIN_FILES.commands) }),
    el('bt:Url', { id: RES.taskpaneUrl, DefaultValue: file(ADDIN_FILES.taskpane) }),
  ];
  if (include.runtimes) {
    urls.push(
      el('bt:Url', { id: RES.webViewRuntimeUrl, DefaultValue: file(ADDIN_FILES.launchEventPage) }),
      el('bt:Url', { id: RES.jsRuntimeUrl, DefaultValue: file(ADDIN_FILES.launchEventScript) }),
    );
  }
  const strings = (tag: string, table: Record<string, LocalizedString>) =>
    Object.entries(table).map(([id, text]) =>
      el(
        tag,
        { id, DefaultValue: text['en-US'] },
        el('bt:Override', { Locale: 'fr-FR', Value: text['fr-FR'] }),
      ),
    );
  return el(
    'Resources',
    {},
    el('bt:Images', {}, ...images),
    el('bt:Urls', {}, ...urls),
    el('bt:ShortStrings', {}, ...strings('bt:String', SHORT_STRINGS)),
    el('bt:LongStrings', {}, ...strings('bt:String', LONG_STRINGS)),
  );
}
