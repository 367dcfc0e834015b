/** The join page's words in English and French, apart from the DOM so that Node tests can read them. */
import type { Language } from '../shared/language.js';

const en = {
  appTitle: 'Roomlink meeting',
  loading: 'Loading the meeting…',
  otherLanguage: 'Français',
  otherLanguageLabel: 'Afficher cette page en français',
  joinHeading: 'Join the meeting',
  nameLabel: 'Your name',
  nameHint: 'Shown to the other participants.',
  pinLabel: 'Meeting PIN',
  // A guest-PIN room has one PIN field, for guests and hosts alike (the server tells them apart).
  pinHint: 'The PIN in your invitation. Hosts: enter your host PIN here.',
  hostPinLabel: 'Host PIN (hosts only)',
  hostPinHint: 'Guests leave this empty.',
  lobbyHint: 'A host lets guests in.',
  // Shown instead of the PIN field while the page holds a host link's ticket.
  hostLinkNote: 'You join as host with the host link from Outlook: no PIN needed.',
  hostLinkInvalid:
    'This host link has expired or was already used. Open a new one from the Roomlink pane in Outlook, or enter your host PIN.',
  // Shown instead of the PIN field while the page holds the rejoin token a host got when joining.
  rejoinNote: 'You join again as host: no PIN needed.',
  rejoinInvalid:
    'You can no longer join again as host without a PIN. Enter your host PIN, or open a new host link from the Roomlink pane in Outlook.',
  // Shown instead of the PIN field while the page (this tab) holds the rejoin ticket a guest got.
  guestRejoinNote: 'You join again: no PIN needed.',
  guestRejoinInvalid:
    'You can no longer join again without a PIN. Join as you did at first, with the PIN in your invitation if there is one.',
  devicesLegend: 'Camera and microphone',
  cameraLabel: 'Camera',
  microphoneLabel: 'Microphone',
  noDevice: 'None',
  // Selected in a device list while the device in use is not in it (it went away).
  currentDevice: 'Current device',
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
  // Labels of buttons start with the buttons' visible words, so that speech input can name them (WCAG 2.5.3).
  askMuteLabel: 'Ask to mute {name}',
  remove: 'Remove',
  removeLabel: 'Remove {name} from the meeting',
  lobbyHeading: 'Waiting to join',
  admit: 'Admit',
  admitLabel: 'Admit {name}',
  deny: 'Deny',
  denyLabel: 'Deny {name}',
  chatLabel: 'Message',
  chatSend: 'Send',
  chatNotice: 'Messages go to everyone in the meeting and are not saved.',
  chatFrom: '{name}',
  waitingHeading: 'Waiting to be let in',
  waiting: 'A host will let you in shortly. Keep this page open.',
  waitingNoHost:
    'No host is in the meeting at the moment: you will be let in once a host joins. Keep this page open.',
  cancelLeave: 'Leave',
  notFound: 'This meeting link does not exist. Check the link in your invitation.',
  cancelled: 'This meeting was cancelled. It cannot be joined.',
  closed: 'This meeting has ended; its room is closed.',
  notYetOpen: 'The room opens {time}. This page lets you in then.',
  notOpenNow: 'The room is not open at the moment. This page checks again every few minutes.',
  checkAgain: 'Check again',
  unavailable: 'The meeting service cannot be reached. Try again in a moment.',
  roomFull: 'The room is full: at most {max} people can take part. Try again when someone leaves.',
  roomFullNoMax: 'The room is full. Try again when someone leaves.',
  lobbyFull: 'Too many people are already waiting to be let in. Try again in a few minutes.',
  // The organizer need not wait: a host link from Outlook gets in whatever the PIN lockout.
  locked:
    'Too many wrong PINs. Try again in {minutes} min. Organizer? Use “Join as host” in Roomlink options in Outlook.',
  removedWait: 'A host removed you from this meeting. You can try again in {minutes} min.',
  deniedWait: 'A host did not let you in. You can ask again in {minutes} min.',
  wrongPin: {
    by: 'remaining',
    one: 'Wrong PIN. {remaining} attempt left.',
    other: 'Wrong PIN. {remaining} attempts left.',
  },
  // The server refused this address's signalling connection before it opened (many people behind
  // one shared internet address, or a page reconnecting in a loop); the page tries again by itself.
  tooManyConnections: {
    by: 'seconds',
    one: 'Too many connections from your network right now. This page tries again in {seconds} second.',
    other: 'Too many connections from your network right now. This page tries again in {seconds} seconds.',
  },
  connectingTooOften: {
    by: 'seconds',
    one: 'Connecting too often from your network. This page tries again in {seconds} second.',
    other: 'Connecting too often from your network. This page tries again in {seconds} seconds.',
  },
  pinRequired: 'Enter the meeting PIN from your invitation.',
  // The organizer changed the meeting while the form was open (see room-rules.ts).
  pinNowRequired: 'The organizer now asks for a PIN to join. Enter the meeting PIN from your invitation.',
  pinNoLongerAsked:
    'The organizer no longer asks guests for a PIN. Guests: leave the PIN empty. Hosts: enter your host PIN.',
  nameRequired: 'Enter your name.',
  nameInvalid: 'Enter a name of at most 60 letters, digits or spaces.',
  alreadyJoining: 'Joining is already under way. Wait a moment.',
  tooFast: 'Too many attempts at once. Wait a moment and try again.',
  mutedByHost: 'A host asked you to mute: your microphone is now off.',
  joinedNotice: '{name} joined.',
  leftNotice: '{name} left.',
  lobbyNotice: '{name} is waiting to join.',
  // Said (live region) when the call view opens: straight in, or let in from the lobby.
  joinedMeeting: 'You are in the meeting.',
  leftMeeting: 'You left the meeting.',
  removed: 'A host removed you from the meeting.',
  denied: 'A host did not let you in.',
  endedCancelled: 'The meeting was cancelled.',
  endedTime: 'The meeting has ended.',
  endedChanged: 'The organizer changed the meeting (its time, PIN or lobby). Join again to continue.',
  endedMoved: 'The organizer moved or cancelled the meeting: it is not taking place now.',
  connectionLost: 'The connection to the meeting was lost.',
  // This window's place in the call went to a join with its rejoin token (another window).
  replaced: 'You joined this meeting again from another window.',
  rejoin: 'Join again',
  endedHeading: 'Meeting',
  shareFailed: 'Screen sharing did not start.',
  cameraFailed: 'Your camera did not start. Another application may be using it.',
  microphoneFailed: 'Your microphone did not start. Another application may be using it.',
  // A microphone or camera that went away during the page (unplugged, a Bluetooth headset dropped).
  microphoneReplaced: 'Your microphone was disconnected. Your default microphone is used instead.',
  microphoneLost:
    'Your microphone was lost and no other microphone could be started. Check that one is connected.',
  cameraReplaced: 'Your camera was disconnected. Your default camera is used instead.',
  cameraLost: 'Your camera was lost and no other camera could be started. Check that one is connected.',
  roomFullAdmit: 'The room is full: nobody else can be admitted.',
  chatTooFast: 'You are sending messages too fast: this one was not sent. Send it again in a moment.',
  chatTooLong: 'This message is too long: at most {max} characters.',
  // The browser refused to play the others' sound before a click or key press on the page (autoplay).
  soundBlocked: 'Your browser keeps the sound of the meeting off until you click on this page.',
  soundOn: 'Click to turn on sound',
} as const;

/** A message whose words depend on a number: the form Intl.PluralRules picks for `vars[by]`. */
interface Plural {
  readonly by: string;
  readonly one: string;
  readonly other: string;
}

export type MessageKey = keyof typeof en;
/** French has the same keys; a message that is plural in English is plural in French too. */
type Dictionary = { readonly [K in MessageKey]: (typeof en)[K] extends string ? string : Plural };

export const MESSAGE_KEYS = Object.keys(en) as MessageKey[];

const fr: Dictionary = {
  appTitle: 'Réunion Roomlink',
  loading: 'Chargement de la réunion…',
  otherLanguage: 'English',
  otherLanguageLabel: 'Show this page in English',
  joinHeading: 'Rejoindre la réunion',
  nameLabel: 'Votre nom',
  nameHint: 'Visible par les autres participants.',
  pinLabel: 'Code PIN de la réunion',
  pinHint: 'Le code PIN de votre invitation. Organisateurs : saisissez ici votre code PIN organisateur.',
  hostPinLabel: 'Code PIN organisateur (organisateurs uniquement)',
  hostPinHint: 'Les invités laissent ce champ vide.',
  lobbyHint: 'Un organisateur fait entrer les invités.',
  hostLinkNote:
    'Vous rejoignez la réunion en tant qu’organisateur grâce au lien organisateur d’Outlook : aucun code PIN n’est nécessaire.',
  hostLinkInvalid:
    'Ce lien organisateur a expiré ou a déjà été utilisé. Ouvrez-en un nouveau depuis le volet Roomlink dans Outlook, ou saisissez votre code PIN organisateur.',
  rejoinNote:
    'Vous rejoignez à nouveau la réunion en tant qu’organisateur : aucun code PIN n’est nécessaire.',
  rejoinInvalid:
    'Vous ne pouvez plus rejoindre la réunion en tant qu’organisateur sans code PIN. Saisissez votre code PIN organisateur, ou ouvrez un nouveau lien organisateur depuis le volet Roomlink dans Outlook.',
  guestRejoinNote: 'Vous rejoignez à nouveau la réunion : aucun code PIN n’est nécessaire.',
  guestRejoinInvalid:
    'Vous ne pouvez plus rejoindre à nouveau la réunion sans code PIN. Rejoignez-la comme la première fois, avec le code PIN de votre invitation s’il y en a un.',
  devicesLegend: 'Caméra et micro',
  cameraLabel: 'Caméra',
  microphoneLabel: 'Micro',
  noDevice: 'Aucun',
  currentDevice: 'Appareil actuel',
  previewLabel: 'Aperçu de votre caméra',
  mediaUnavailable:
    'Votre caméra et votre micro ne sont pas disponibles (bloqués ou absents). Vous pouvez quand même rejoindre pour voir et entendre les autres.',
  joinButton: 'Rejoindre',
  joining: 'Connexion…',
  micOn: 'Couper le micro',
  micOff: 'Activer le micro',
  camOn: 'Couper la caméra',
  camOff: 'Activer la caméra',
  screenOff: 'Partager l’écran',
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
  sharing: 'partage d’écran',
  connecting: 'connexion…',
  connectionFailed: 'échec de la connexion',
  videoOf: 'Vidéo de {name}',
  yourVideo: 'Votre vidéo',
  askMute: 'Demander de couper le micro',
  askMuteLabel: 'Demander de couper le micro de {name}',
  remove: 'Retirer',
  removeLabel: 'Retirer {name} de la réunion',
  lobbyHeading: 'En attente d’entrer',
  admit: 'Faire entrer',
  admitLabel: 'Faire entrer {name}',
  deny: 'Refuser',
  denyLabel: 'Refuser {name}',
  chatLabel: 'Message',
  chatSend: 'Envoyer',
  chatNotice: 'Les messages vont à tous les participants et ne sont pas enregistrés.',
  chatFrom: '{name}',
  waitingHeading: 'En attente d’admission',
  waiting: 'Un organisateur va vous faire entrer. Gardez cette page ouverte.',
  waitingNoHost:
    'Aucun organisateur n’est dans la réunion pour le moment : vous entrerez dès qu’un organisateur l’aura rejointe. Gardez cette page ouverte.',
  cancelLeave: 'Quitter',
  notFound: 'Ce lien de réunion n’existe pas. Vérifiez le lien de votre invitation.',
  cancelled: 'Cette réunion a été annulée. Il est impossible de la rejoindre.',
  closed: 'Cette réunion est terminée ; sa salle est fermée.',
  notYetOpen: 'La salle ouvre {time}. Cette page vous laissera entrer à ce moment-là.',
  notOpenNow:
    'La salle n’est pas ouverte pour le moment. Cette page vérifie à nouveau toutes les quelques minutes.',
  checkAgain: 'Vérifier à nouveau',
  unavailable: 'Le service de réunion est injoignable. Réessayez dans un instant.',
  roomFull:
    'La salle est pleine : {max} personnes au maximum peuvent participer. Réessayez quand quelqu’un sera parti.',
  roomFullNoMax: 'La salle est pleine. Réessayez quand quelqu’un sera parti.',
  lobbyFull: 'Trop de personnes attendent déjà d’être admises. Réessayez dans quelques minutes.',
  locked:
    'Trop de codes PIN erronés. Réessayez dans {minutes} min. Organisateur ? Utilisez « Rejoindre en tant qu’organisateur » dans Options Roomlink d’Outlook.',
  removedWait: 'Un organisateur vous a retiré de cette réunion. Vous pourrez réessayer dans {minutes} min.',
  deniedWait: 'Un organisateur ne vous a pas fait entrer. Vous pourrez redemander dans {minutes} min.',
  wrongPin: {
    by: 'remaining',
    one: 'Code PIN erroné. Encore {remaining} essai.',
    other: 'Code PIN erroné. Encore {remaining} essais.',
  },
  tooManyConnections: {
    by: 'seconds',
    one: 'Trop de connexions depuis votre réseau en ce moment. Cette page réessaie dans {seconds} seconde.',
    other:
      'Trop de connexions depuis votre réseau en ce moment. Cette page réessaie dans {seconds} secondes.',
  },
  connectingTooOften: {
    by: 'seconds',
    one: 'Connexions trop fréquentes depuis votre réseau. Cette page réessaie dans {seconds} seconde.',
    other: 'Connexions trop fréquentes depuis votre réseau. Cette page réessaie dans {seconds} secondes.',
  },
  pinRequired: 'Saisissez le code PIN de votre invitation.',
  pinNowRequired:
    'L’organisateur demande désormais un code PIN pour rejoindre la réunion. Saisissez le code PIN de votre invitation.',
  pinNoLongerAsked:
    'L’organisateur ne demande plus de code PIN aux invités. Invités : laissez le code PIN vide. Organisateurs : saisissez votre code PIN organisateur.',
  nameRequired: 'Saisissez votre nom.',
  nameInvalid: 'Saisissez un nom d’au plus 60 lettres, chiffres ou espaces.',
  alreadyJoining: 'Connexion déjà en cours. Patientez un instant.',
  tooFast: 'Trop de tentatives à la fois. Patientez un instant, puis réessayez.',
  mutedByHost: 'Un organisateur vous a demandé de couper votre micro : il est maintenant coupé.',
  joinedNotice: '{name} a rejoint la réunion.',
  leftNotice: '{name} a quitté la réunion.',
  lobbyNotice: '{name} attend pour entrer.',
  joinedMeeting: 'Vous êtes dans la réunion.',
  leftMeeting: 'Vous avez quitté la réunion.',
  removed: 'Un organisateur vous a retiré de la réunion.',
  denied: 'Un organisateur ne vous a pas fait entrer.',
  endedCancelled: 'La réunion a été annulée.',
  endedTime: 'La réunion est terminée.',
  endedChanged:
    'L’organisateur a modifié la réunion (horaire, code PIN ou salle d’attente). Rejoignez-la à nouveau pour continuer.',
  endedMoved: 'L’organisateur a déplacé ou annulé la réunion : elle n’a pas lieu maintenant.',
  connectionLost: 'La connexion à la réunion a été perdue.',
  replaced: 'Vous avez rejoint à nouveau cette réunion depuis une autre fenêtre.',
  rejoin: 'Rejoindre à nouveau',
  endedHeading: 'Réunion',
  shareFailed: 'Le partage d’écran n’a pas démarré.',
  cameraFailed: 'Votre caméra n’a pas démarré. Une autre application l’utilise peut-être.',
  microphoneFailed: 'Votre micro n’a pas démarré. Une autre application l’utilise peut-être.',
  microphoneReplaced: 'Votre micro a été déconnecté. Votre micro par défaut est utilisé à la place.',
  microphoneLost:
    'Votre micro a été perdu et aucun autre micro n’a pu démarrer. Vérifiez qu’un micro est branché.',
  cameraReplaced: 'Votre caméra a été déconnectée. Votre caméra par défaut est utilisée à la place.',
  cameraLost:
    'Votre caméra a été perdue et aucune autre caméra n’a pu démarrer. Vérifiez qu’une caméra est branchée.',
  roomFullAdmit: 'La salle est pleine : personne d’autre ne peut entrer.',
  chatTooFast:
    'Vous envoyez des messages trop vite : celui-ci n’a pas été envoyé. Renvoyez-le dans un instant.',
  chatTooLong: 'Ce message est trop long : {max} caractères au maximum.',
  soundBlocked: 'Votre navigateur coupe le son de la réunion tant que vous n’avez pas cliqué sur cette page.',
  soundOn: 'Cliquez pour activer le son',
};

const dictionaries: Record<Language, Dictionary> = { en, fr };

/** The text of `key` in `language`, with {name} placeholders filled from `vars`. */
export function format(
  language: Language,
  key: MessageKey,
  vars: Record<string, string | number> = {},
): string {
  const entry: string | Plural = dictionaries[language][key];
  // Categories other than one/other (French "many": 1 000 000) take the `other` form.
  const text =
    typeof entry === 'string'
      ? entry
      : new Intl.PluralRules(language).select(Number(vars[entry.by] ?? 0)) === 'one'
        ? entry.one
        : entry.other;
  return text.replace(/\{(\w+)\}/g, (_, name: string) => String(vars[name] ?? ''));
}
