/** The join page's words in English and French. Static markup names keys in data-i18n attributes. */
import { type Language, pickLanguage } from '../shared/language.js';

const en = {
  appTitle: 'Roomlink meeting',
  loading: 'Loading the meeting…',
  otherLanguage: 'Français',
  otherLanguageLabel: 'Afficher cette page en français',
  joinHeading: 'Join the meeting',
  nameLabel: 'Your name',
  nameHint: 'Shown to the other participants.',
  pinLabel: 'Meeting PIN',
  pinHint: 'The PIN in your invitation.',
  hostPinLabel: 'Host PIN (hosts only)',
  hostPinHint: 'Guests leave this empty.',
  lobbyHint: 'A host lets guests in.',
  devicesLegend: 'Camera and microphone',
  cameraLabel: 'Camera',
  microphoneLabel: 'Microphone',
  noDevice: 'None',
  previewLabel: 'Your camera preview',
  mediaUnavailable:
    'Your camera and microphone are not available (blocked or missing). You can still join to see and hear the others.',
  joinButton: 'Join',
  joining: 'Joining…',
  micOn: 'Mute microphone',
  micOff: 'Unmute microphone',
  camOn: 'Turn camera off',
  camOff: 'Turn camera on',
  screenOff: 'Share screen',
  screenOn: 'Stop sharing',
  leave: 'Leave',
  participants: 'Participants',
  participantsCount: 'Participants ({count})',
  chat: 'Chat',
  settings: 'Devices',
  controls: 'Meeting controls',
  stage: 'Video of the participants',
  you: '{name} (you)',
  host: 'host',
  muted: 'microphone off',
  cameraOff: 'camera off',
  sharing: 'sharing screen',
  connecting: 'connecting…',
  connectionFailed: 'connection failed',
  videoOf: 'Video of {name}',
  yourVideo: 'Your video',
  askMute: 'Ask to mute',
  askMuteLabel: 'Ask {name} to mute',
  remove: 'Remove',
  removeLabel: 'Remove {name} from the meeting',
  lobbyHeading: 'Waiting to join',
  admit: 'Admit',
  admitLabel: 'Admit {name}',
  deny: 'Deny',
  denyLabel: 'Do not admit {name}',
  chatLabel: 'Message',
  chatSend: 'Send',
  chatNotice: 'Messages go to everyone in the meeting and are not saved.',
  chatFrom: '{name}',
  waitingHeading: 'Waiting to be let in',
  waiting: 'A host will let you in shortly. Keep this page open.',
  cancelLeave: 'Leave',
  notFound: 'This meeting link does not exist. Check the link in your invitation.',
  cancelled: 'This meeting was cancelled. It cannot be joined.',
  closed: 'This meeting has ended; its room is closed.',
  notYetOpen: 'The room opens {time}. This page lets you in then.',
  checkAgain: 'Check again',
  unavailable: 'The meeting service cannot be reached. Try again in a moment.',
  roomFull: 'The room is full: at most {max} people can take part. Try again when someone leaves.',
  roomFullNoMax: 'The room is full. Try again when someone leaves.',
  locked: 'Too many wrong PINs. Try again in {minutes} min.',
  wrongPin: 'Wrong PIN. {remaining} attempt(s) left.',
  pinRequired: 'Enter the meeting PIN from your invitation.',
  nameRequired: 'Enter your name.',
  mutedByHost: 'A host asked you to mute: your microphone is now off.',
  joinedNotice: '{name} joined.',
  leftNotice: '{name} left.',
  lobbyNotice: '{name} is waiting to join.',
  leftMeeting: 'You left the meeting.',
  removed: 'A host removed you from the meeting.',
  denied: 'A host did not let you in.',
  endedCancelled: 'The meeting was cancelled.',
  endedTime: 'The meeting has ended.',
  connectionLost: 'The connection to the meeting was lost.',
  rejoin: 'Join again',
  endedHeading: 'Meeting',
  shareFailed: 'Screen sharing did not start.',
  roomFullAdmit: 'The room is full: nobody else can be admitted.',
} as const;

export type MessageKey = keyof typeof en;
type Dictionary = Record<MessageKey, string>;

const fr: Dictionary = {
  appTitle: 'Réunion Roomlink',
  loading: 'Chargement de la réunion…',
  otherLanguage: 'English',
  otherLanguageLabel: 'Show this page in English',
  joinHeading: 'Rejoindre la réunion',
  nameLabel: 'Votre nom',
  nameHint: 'Visible par les autres participants.',
  pinLabel: 'Code PIN de la réunion',
  pinHint: 'Le code PIN de votre invitation.',
  hostPinLabel: 'Code PIN organisateur (organisateurs uniquement)',
  hostPinHint: 'Les invités laissent ce champ vide.',
  lobbyHint: 'Un organisateur fait entrer les invités.',
  devicesLegend: 'Caméra et micro',
  cameraLabel: 'Caméra',
  microphoneLabel: 'Micro',
  noDevice: 'Aucun',
  previewLabel: 'Aperçu de votre caméra',
  mediaUnavailable:
    'Votre caméra et votre micro ne sont pas disponibles (bloqués ou absents). Vous pouvez quand même rejoindre pour voir et entendre les autres.',
  joinButton: 'Rejoindre',
  joining: 'Connexion…',
  micOn: 'Couper le micro',
  micOff: 'Activer le micro',
  camOn: 'Couper la caméra',
  camOff: 'Activer la caméra',
  screenOff: "Partager l'écran",
  screenOn: 'Arrêter le partage',
  leave: 'Quitter',
  participants: 'Participants',
  participantsCount: 'Participants ({count})',
  chat: 'Discussion',
  settings: 'Appareils',
  controls: 'Commandes de la réunion',
  stage: 'Vidéo des participants',
  you: '{name} (vous)',
  host: 'organisateur',
  muted: 'micro coupé',
  cameraOff: 'caméra coupée',
  sharing: "partage d'écran",
  connecting: 'connexion…',
  connectionFailed: 'échec de la connexion',
  videoOf: 'Vidéo de {name}',
  yourVideo: 'Votre vidéo',
  askMute: 'Demander de couper le micro',
  askMuteLabel: 'Demander à {name} de couper son micro',
  remove: 'Retirer',
  removeLabel: 'Retirer {name} de la réunion',
  lobbyHeading: "En attente d'entrer",
  admit: 'Faire entrer',
  admitLabel: 'Faire entrer {name}',
  deny: 'Refuser',
  denyLabel: 'Ne pas faire entrer {name}',
  chatLabel: 'Message',
  chatSend: 'Envoyer',
  chatNotice: 'Les messages vont à tous les participants et ne sont pas enregistrés.',
  chatFrom: '{name}',
  waitingHeading: "En attente d'admission",
  waiting: 'Un organisateur va vous faire entrer. Gardez cette page ouverte.',
  cancelLeave: 'Quitter',
  notFound: "Ce lien de réunion n'existe pas. Vérifiez le lien de votre invitation.",
  cancelled: 'Cette réunion a été annulée. Il est impossible de la rejoindre.',
  closed: 'Cette réunion est terminée ; sa salle est fermée.',
  notYetOpen: 'La salle ouvre {time}. Cette page vous laissera entrer à ce moment-là.',
  checkAgain: 'Vérifier à nouveau',
  unavailable: 'Le service de réunion est injoignable. Réessayez dans un instant.',
  roomFull:
    'La salle est pleine : {max} personnes au maximum peuvent participer. Réessayez quand quelqu’un sera parti.',
  roomFullNoMax: 'La salle est pleine. Réessayez quand quelqu’un sera parti.',
  locked: 'Trop de codes PIN erronés. Réessayez dans {minutes} min.',
  wrongPin: 'Code PIN erroné. Encore {remaining} essai(s).',
  pinRequired: 'Saisissez le code PIN de votre invitation.',
  nameRequired: 'Saisissez votre nom.',
  mutedByHost: 'Un organisateur vous a demandé de couper votre micro : il est maintenant coupé.',
  joinedNotice: '{name} a rejoint la réunion.',
  leftNotice: '{name} a quitté la réunion.',
  lobbyNotice: '{name} attend pour entrer.',
  leftMeeting: 'Vous avez quitté la réunion.',
  removed: 'Un organisateur vous a retiré de la réunion.',
  denied: 'Un organisateur ne vous a pas fait entrer.',
  endedCancelled: 'La réunion a été annulée.',
  endedTime: 'La réunion est terminée.',
  connectionLost: 'La connexion à la réunion a été perdue.',
  rejoin: 'Rejoindre à nouveau',
  endedHeading: 'Réunion',
  shareFailed: "Le partage d'écran n'a pas démarré.",
  roomFullAdmit: 'La salle est pleine : personne d’autre ne peut entrer.',
};

const dictionaries: Record<Language, Dictionary> = { en, fr };

let current: Language = 'en';

/** ?lang= first, then the language the server chose for <html lang> (Accept-Language), then the browser's. */
export function detectLanguage(): Language {
  const query = new URLSearchParams(location.search).get('lang');
  return pickLanguage(
    [query, document.documentElement.lang, ...navigator.languages, navigator.language],
    'en',
  );
}

export function setLanguage(language: Language): void {
  current = language;
  document.documentElement.lang = language;
}

export function language(): Language {
  return current;
}

export function t(key: MessageKey, vars: Record<string, string | number> = {}): string {
  return dictionaries[current][key].replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? ''));
}

/** Fills data-i18n (text), data-i18n-label (aria-label) and data-i18n-placeholder attributes. */
export function translate(root: ParentNode): void {
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n]'))
    el.textContent = t(el.dataset.i18n as MessageKey);
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n-label]'))
    el.setAttribute('aria-label', t(el.dataset.i18nLabel as MessageKey));
  for (const el of root.querySelectorAll<HTMLElement>('[data-i18n-placeholder]'))
    el.setAttribute('placeholder', t(el.dataset.i18nPlaceholder as MessageKey));
}
