/**
 * Built-in join instructions, in the shape people know from Teams and Zoom: a heading, a prominent
 * join button, the meeting ID, the guest PIN when there is one, the SIP address for video room
 * systems, a dial-in line when one is configured, and a short footer.
 *
 * Why there is no host PIN here: the appointment body goes to every attendee (and to anyone they
 * forward it to), and the host PIN lets whoever types it take the organizer's role (admit from the
 * lobby, remove people, end the meeting). The organizer sees it in the add-in only. Templates can use
 * {{hostPin}} (e.g. a tenant whose hosts are shared meeting rooms), but validation warns about it.
 *
 * The meeting subject is never available: it is personal data, and Outlook shows it anyway.
 */
import type { Language } from '../domain/tenants/tenant.js';

export interface InstructionTemplates {
  readonly html: string;
  readonly text: string;
}

const LINK = 'color:#2459d1';
const BUTTON =
  'display:inline-block;padding:10px 24px;border-radius:4px;background-color:#2459d1;color:#ffffff;' +
  'font-size:16px;font-weight:600;text-decoration:none';
const HEADING = 'font-size:24px;font-weight:600;line-height:32px;margin:0 0 12px 0';
const LINE = 'margin:0 0 4px 0';
const MUTED = 'font-size:12px;color:#616161;margin:12px 0 0 0';

interface Words {
  readonly heading: string;
  readonly join: string;
  readonly joinText: string;
  readonly copy: string;
  readonly meetingId: string;
  readonly guestPin: string;
  readonly device: string;
  readonly phone: string;
  readonly phoneThen: string;
  readonly phonePin: string;
  readonly browser: string;
  readonly help: string;
  readonly helpLink: string;
}

/** `:` and `?` in French take a no-break space before them; HTML writes it as &nbsp;. */
const WORDS: Readonly<Record<Language, Words>> = {
  en: {
    heading: 'Roomlink meeting',
    join: 'Join the meeting now',
    joinText: 'Join the meeting:',
    copy: 'Or open this link in your browser:',
    meetingId: 'Meeting ID:',
    guestPin: 'Guest PIN:',
    device: 'Join from a video conferencing device:',
    phone: 'Join by phone:',
    phoneThen: 'then enter the meeting ID followed by #',
    phonePin: 'and the guest PIN when asked',
    browser: 'Roomlink runs in your web browser: there is nothing to install.',
    help: 'Need help?',
    helpLink: 'Get help joining',
  },
  fr: {
    heading: 'Réunion Roomlink',
    join: 'Rejoindre la réunion maintenant',
    joinText: 'Rejoindre la réunion\u00a0:',
    copy: 'Ou ouvrez ce lien dans votre navigateur\u00a0:',
    meetingId: 'ID de réunion\u00a0:',
    guestPin: 'Code PIN invité\u00a0:',
    device: 'Participer depuis un système de visioconférence\u00a0:',
    phone: 'Participer par téléphone\u00a0:',
    phoneThen: 'puis saisissez l’ID de réunion suivi de #',
    phonePin: 'et le code PIN invité quand il est demandé',
    browser: 'Roomlink fonctionne dans votre navigateur web\u00a0: il n’y a rien à installer.',
    help: 'Besoin d’aide\u00a0?',
    helpLink: 'Obtenir de l’aide pour rejoindre',
  },
};

function html(w: Words): string {
  const h = (text: string) => text.replaceAll('\u00a0', '&nbsp;');
  return `<div style="${HEADING}">${h(w.heading)}</div>
<div style="margin:0 0 12px 0"><a href="{{joinUrl}}" style="${BUTTON}">${h(w.join)}</a></div>
<div style="font-size:13px;color:#616161;margin:0 0 12px 0">${h(w.copy)} <a href="{{joinUrl}}" style="${LINK}">{{joinUrl}}</a></div>
<div style="${LINE}">${h(w.meetingId)} <span style="font-weight:600">{{formatConferenceId conferenceId}}</span></div>
{{#if guestPin}}
<div style="${LINE}">${h(w.guestPin)} <span style="font-weight:600">{{guestPin}}</span></div>
{{/if}}
{{#if sipUri}}
<div style="margin:12px 0 4px 0">${h(w.device)} <a href="sip:{{sipUri}}" style="${LINK}">{{sipUri}}</a></div>
{{/if}}
{{#if dialIn}}
<div style="{{#if sipUri}}${LINE}{{else}}margin:12px 0 4px 0{{/if}}">${h(w.phone)} <a href="{{telHref dialIn.number conferenceId}}" style="${LINK}">{{dialIn.number}}</a>, ${h(w.phoneThen)}{{#if guestPin}}, ${h(w.phonePin)}{{/if}}</div>
{{/if}}
<div style="${MUTED}">${h(w.browser)}{{#if helpUrl}} ${h(w.help)} <a href="{{helpUrl}}" style="${LINK}">${h(w.helpLink)}</a>{{/if}}</div>
`;
}

function text(w: Words): string {
  return `${w.heading}
${w.joinText} {{joinUrl}}

${w.meetingId} {{formatConferenceId conferenceId}}
{{#if guestPin}}
${w.guestPin} {{guestPin}}
{{/if}}
{{#if sipUri}}

${w.device} {{sipUri}}
{{else}}
{{#if dialIn}}

{{/if}}
{{/if}}
{{#if dialIn}}
${w.phone} {{dialIn.number}}, ${w.phoneThen}{{#if guestPin}}, ${w.phonePin}{{/if}}
{{/if}}

${w.browser}
{{#if helpUrl}}
${w.help} {{helpUrl}}
{{/if}}
`;
}

export const DEFAULT_TEMPLATES: Readonly<Record<Language, InstructionTemplates>> = Object.freeze({
  en: Object.freeze({ html: html(WORDS.en), text: text(WORDS.en) }),
  fr: Object.freeze({ html: html(WORDS.fr), text: text(WORDS.fr) }),
});
