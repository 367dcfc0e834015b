/**
 * Default join instructions, modelled on what Teams and Zoom insert: a heading, a join button, the
 * meeting id and guest PIN, the SIP address for video room systems, and a dial-in line when one is
 * configured. The host PIN is deliberately absent: the body goes to every attendee, and the host
 * PIN is shown to the organizer in the add-in only.
 */
import type { Language } from '../domain/tenants/tenant.js';

export interface InstructionTemplates {
  readonly html: string;
  readonly text: string;
}

const button =
  'display:inline-block;padding:8px 16px;background:#0f6cbd;color:#ffffff;border-radius:4px;' +
  'text-decoration:none;font-weight:600';
const muted = 'color:#605e5c;font-size:13px';

export const DEFAULT_TEMPLATES: Readonly<Record<Language, InstructionTemplates>> = {
  en: {
    html: `<div style="font-family:'Segoe UI',Arial,sans-serif;font-size:14px;color:#242424">
<p style="font-size:20px;font-weight:600;margin:8px 0">Roomlink meeting</p>
<p style="margin:8px 0"><a href="{{joinUrl}}" style="${button}">Join the meeting</a></p>
<p style="margin:8px 0">Meeting ID: <b>{{formatConferenceId conferenceId}}</b>{{#if guestPin}}<br>Guest PIN: <b>{{guestPin}}</b>{{/if}}</p>
{{#if dialIn}}<p style="margin:8px 0">Dial in by phone: {{dialIn.number}}, then enter {{conferenceId}}#</p>{{/if}}
<p style="${muted};margin:8px 0">Video room system: <a href="sip:{{sipUri}}">{{sipUri}}</a><br>Join from a browser: nothing to install.</p>
</div>`,
    text: `Roomlink meeting
Join the meeting: {{joinUrl}}
Meeting ID: {{formatConferenceId conferenceId}}{{#if guestPin}}
Guest PIN: {{guestPin}}{{/if}}{{#if dialIn}}
Dial in by phone: {{dialIn.number}}, then enter {{conferenceId}}#{{/if}}
Video room system: {{sipUri}}`,
  },
  fr: {
    html: `<div style="font-family:'Segoe UI',Arial,sans-serif;font-size:14px;color:#242424">
<p style="font-size:20px;font-weight:600;margin:8px 0">Réunion Roomlink</p>
<p style="margin:8px 0"><a href="{{joinUrl}}" style="${button}">Rejoindre la réunion</a></p>
<p style="margin:8px 0">ID de réunion : <b>{{formatConferenceId conferenceId}}</b>{{#if guestPin}}<br>Code invité : <b>{{guestPin}}</b>{{/if}}</p>
{{#if dialIn}}<p style="margin:8px 0">Par téléphone : {{dialIn.number}}, puis saisissez {{conferenceId}}#</p>{{/if}}
<p style="${muted};margin:8px 0">Système de visioconférence : <a href="sip:{{sipUri}}">{{sipUri}}</a><br>Rejoindre depuis un navigateur : rien à installer.</p>
</div>`,
    text: `Réunion Roomlink
Rejoindre la réunion : {{joinUrl}}
ID de réunion : {{formatConferenceId conferenceId}}{{#if guestPin}}
Code invité : {{guestPin}}{{/if}}{{#if dialIn}}
Par téléphone : {{dialIn.number}}, puis saisissez {{conferenceId}}#{{/if}}
Système de visioconférence : {{sipUri}}`,
  },
};
