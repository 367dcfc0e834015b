/** The add-in's strings in English and French, and how the language is chosen. */

export type Lang = 'en' | 'fr';

const en = {
  addProgress: 'Adding a Roomlink meeting…',
  added: 'Roomlink meeting added.',
  already: 'This appointment already has a Roomlink meeting.',
  // No properties, and the body's block names a meeting that is not this item's (block-owner.ts).
  foreignBlock:
    'The description holds another Roomlink meeting’s joining details. Remove them (their meeting is kept) or delete them, then add a meeting.',
  restored: 'The Roomlink joining details were added back to this appointment.',
  // Outlook refused the body with the joining details (DataExceedsMaximumSize: over 1,000,000
  // characters). At most 150 characters, as every notification (notify.ts): the command shows it too.
  bodyTooLong:
    'The description is too long for the Roomlink joining details to be added. Shorten it, then try again. Nothing was changed.',
  removePartial:
    'Roomlink couldn’t finish removing the meeting ({detail}). Some joining details may already be gone from the appointment: try Remove again.',
  removeServerFailed:
    'The joining details were removed from the appointment, but Roomlink couldn’t delete the meeting ({detail}). Try Remove again.',
  optionsNotInBody:
    'Meeting options saved, but the joining details in this appointment couldn’t be found to update them. Add the meeting again to write them back.',
  optionsNotWritten:
    'Meeting options saved, but Outlook didn’t let Roomlink update the joining details in this appointment ({detail}). Change the option again to retry.',
  // The options made the joining details longer than Outlook lets the body be (DataExceedsMaximumSize)
  // and were put back on the server as they were (meeting-options.ts): nothing changed anywhere.
  optionsTooLong:
    'The description is too long for the joining details with this option. Shorten it, then change the option again. Nothing was changed: the meeting keeps its previous options.',
  // The same, but the options could not be put back (Roomlink unreachable, or a guest PIN that would
  // come back as a new one): they are saved, and the appointment still shows the previous details.
  optionsTooLongSaved:
    'Meeting options saved, but the description is too long for the joining details with them: this appointment still has the previous ones. Shorten it, then change the option again.',
  optionsUnknownMeeting:
    'Outlook didn’t keep which Roomlink meeting this is, so its options can’t be changed here. Open the appointment where you added it, or remove the meeting and add a new one.',
  restoreMeeting: 'Add the joining details back',
  blockMissing: 'The joining details were deleted from this appointment.',
  signInNeeded: 'Open Roomlink options and sign in to add meetings automatically.',
  signInCancelled: 'Sign-in was cancelled. Nothing was changed.',
  signInFailed: 'Sign-in failed: {detail}. Nothing was changed.',
  // At most 150 characters, as every notification (notify.ts): the function command shows it too.
  signInServiceUnavailable:
    'Roomlink can’t reach Microsoft’s sign-in service right now. Try again in a few minutes; if it keeps happening, tell your IT administrator.',
  popupBlocked: 'The sign-in window was blocked. Allow it and try again.',
  offline: 'Can’t reach Roomlink. Check your connection and try again. Nothing was changed.',
  sessionExpired: 'Your Roomlink session has expired. Sign in again.',
  // GET /api/v1/me says needs_sign_in: the session still works, calendar access is what was lost.
  calendarSignIn:
    'Roomlink can no longer follow your calendar (Microsoft asks you to sign in again). Sign in again so that your meetings keep up with your appointments.',
  otherAccount:
    'You are signed in to Roomlink as {upn}, but this mailbox is {mailbox}: meetings you add will be {name}’s and won’t follow this calendar. Sign out and sign in as {mailbox}.',
  claimsRequired: 'Your organisation requires you to sign in again (Conditional Access policy).',
  apiError: 'Roomlink couldn’t complete this: {detail}. Nothing was changed.',
  outlookError: 'Outlook couldn’t update the appointment: {detail}. Nothing was changed.',
  unreachable: 'Roomlink can’t be reached',
  removeProgress: 'Removing the Roomlink meeting…',
  removed: 'The Roomlink meeting was removed from this appointment.',
  // DELETE answered 404 although the item's key was sent: the room may still exist. At most 150
  // characters, as every notification (notify.ts).
  removeNotFound:
    'Joining details removed, but Roomlink couldn’t find this meeting for your account: its room may stay open until the meeting ends.',
  nothingToRemove: 'This appointment has no Roomlink meeting.',
  // Only the body named the meeting, and its times are not this appointment's (a pasted block).
  removedKeptMeeting:
    'Joining details removed. Their meeting was kept: its times differ from this appointment’s, so it belongs to another one.',
  removedFromOccurrence:
    'Joining details removed from this occurrence. The series keeps its Roomlink meeting for its other occurrences.',
  optionsSaved: 'Meeting options saved.',
  sendBlocked:
    'The Roomlink joining details were deleted from this invitation. Add the meeting again, or remove it in Roomlink options, before sending.',
  // Task pane
  title: 'Roomlink',
  account: 'Account',
  signIn: 'Sign in',
  signOut: 'Sign out',
  signedInAs: 'Signed in as {name} ({upn})',
  notSignedIn: 'You are not signed in.',
  meeting: 'This appointment',
  noMeeting: 'No Roomlink meeting yet.',
  addMeeting: 'Add Roomlink meeting',
  removeMeeting: 'Remove the meeting from this appointment',
  joinLink: 'Join the meeting',
  hostPinLabel: 'Your host PIN (keep it to yourself):',
  hostPinHelp: 'Enter it on the join page to join as host and let guests in from the lobby.',
  joinAsHost: 'Join as host',
  hostLinkOpened: 'The meeting is opening in your browser. You join as host, without the PIN.',
  // The browser opened no window for the host link: the pane shows it to click instead.
  hostLinkNotOpened: 'Your browser didn’t open the meeting. Use this link to join as host:',
  hostLinkUntil: 'It works once, until {time}.',
  // The expiry could not be read: the server issues host links for 15 minutes.
  hostLinkSoon: 'It works once, within 15 minutes.',
  hostLinkSecret:
    'Don’t share it: anyone who opens it joins as host. You can get a new one here at any time.',
  options: 'Meeting options',
  guestPin: 'Guests need a PIN',
  lobby: 'Guests wait in a lobby until admitted',
  settings: 'Settings',
  addToEvery: 'Add a Roomlink meeting to every new appointment',
  language: 'Language',
  languageAuto: 'Same as Outlook',
  settingsSaved: 'Settings saved.',
  // The language changed: the join block already in the appointment is rewritten in it.
  languageApplied: 'The joining details in this appointment are now in English.',
  languageNotApplied:
    'The joining details in this appointment couldn’t be rewritten in English ({detail}). The appointment was left unchanged.',
  // Outlook refused the body with the block in the new language (DataExceedsMaximumSize: French reads
  // longer). Only the pane shows it; "rewrite them" is its retry button (retryLanguage).
  languageTooLong:
    'The description is too long for the joining details in English to fit in this appointment. Shorten it, then rewrite them in English. The appointment was left unchanged.',
  meetingNotFound: 'Roomlink couldn’t find this meeting for your account',
  retryLanguage: 'Rewrite the joining details in English',
  working: 'Working…',
};

export type MessageKey = keyof typeof en;

const fr: Record<MessageKey, string> = {
  addProgress: 'Ajout d’une réunion Roomlink…',
  added: 'Réunion Roomlink ajoutée.',
  already: 'Ce rendez-vous a déjà une réunion Roomlink.',
  foreignBlock:
    'La description contient les informations d’une autre réunion Roomlink. Retirez-les (leur réunion est conservée) ou effacez-les, puis ajoutez la vôtre.',
  restored: 'Les informations pour rejoindre la réunion Roomlink ont été remises dans ce rendez-vous.',
  bodyTooLong:
    'La description est trop longue pour y ajouter les informations de la réunion Roomlink. Raccourcissez-la, puis réessayez. Rien n’a été modifié.',
  removePartial:
    'Roomlink n’a pas pu terminer le retrait de la réunion ({detail}). Une partie des informations a peut-être déjà été retirée du rendez-vous : réessayez.',
  removeServerFailed:
    'Les informations ont été retirées du rendez-vous, mais Roomlink n’a pas pu supprimer la réunion ({detail}). Réessayez de la retirer.',
  optionsNotInBody:
    'Options enregistrées, mais les informations pour rejoindre la réunion sont introuvables dans ce rendez-vous. Ajoutez de nouveau la réunion pour les rétablir.',
  optionsNotWritten:
    'Options enregistrées, mais Outlook n’a pas laissé Roomlink mettre à jour les informations pour rejoindre dans ce rendez-vous ({detail}). Modifiez de nouveau l’option pour réessayer.',
  optionsTooLong:
    'La description est trop longue pour les informations pour rejoindre avec cette option. Raccourcissez-la, puis modifiez de nouveau l’option. Rien n’a été modifié : la réunion garde ses options précédentes.',
  optionsTooLongSaved:
    'Options enregistrées, mais la description est trop longue pour les informations pour rejoindre avec ces options : ce rendez-vous garde les précédentes. Raccourcissez-la, puis modifiez de nouveau l’option.',
  optionsUnknownMeeting:
    'Outlook n’a pas conservé de quelle réunion Roomlink il s’agit : ses options ne peuvent pas être modifiées ici. Ouvrez le rendez-vous où vous l’avez ajoutée, ou retirez la réunion et ajoutez-en une nouvelle.',
  restoreMeeting: 'Remettre les informations pour rejoindre',
  blockMissing: 'Les informations pour rejoindre ont été supprimées de ce rendez-vous.',
  signInNeeded: 'Ouvrez les options Roomlink et connectez-vous pour ajouter les réunions automatiquement.',
  signInCancelled: 'Connexion annulée. Rien n’a été modifié.',
  signInFailed: 'Échec de la connexion : {detail}. Rien n’a été modifié.',
  signInServiceUnavailable:
    'Roomlink ne joint pas le service de connexion de Microsoft. Réessayez dans quelques minutes ; si cela persiste, prévenez votre service informatique.',
  popupBlocked: 'La fenêtre de connexion a été bloquée. Autorisez-la et réessayez.',
  offline: 'Roomlink est injoignable. Vérifiez votre connexion et réessayez. Rien n’a été modifié.',
  sessionExpired: 'Votre session Roomlink a expiré. Reconnectez-vous.',
  calendarSignIn:
    'Roomlink ne peut plus suivre votre calendrier (Microsoft demande une nouvelle connexion). Reconnectez-vous pour que vos réunions suivent vos rendez-vous.',
  otherAccount:
    'Vous êtes connecté à Roomlink en tant que {upn}, mais cette boîte aux lettres est celle de {mailbox} : les réunions que vous ajoutez seront celles de {name} et ne suivront pas ce calendrier. Déconnectez-vous et connectez-vous en tant que {mailbox}.',
  claimsRequired: 'Votre organisation exige une nouvelle connexion (stratégie d’accès conditionnel).',
  apiError: 'Roomlink n’a pas pu terminer : {detail}. Rien n’a été modifié.',
  outlookError: 'Outlook n’a pas pu modifier le rendez-vous : {detail}. Rien n’a été modifié.',
  unreachable: 'Roomlink est injoignable',
  removeProgress: 'Suppression de la réunion Roomlink…',
  removed: 'La réunion Roomlink a été retirée de ce rendez-vous.',
  removeNotFound:
    'Informations retirées, mais Roomlink n’a pas trouvé cette réunion pour votre compte : sa salle peut rester ouverte jusqu’à la fin de la réunion.',
  nothingToRemove: 'Ce rendez-vous n’a pas de réunion Roomlink.',
  removedKeptMeeting:
    'Informations retirées. Leur réunion est conservée : ses horaires diffèrent de ce rendez-vous, elle en suit un autre.',
  removedFromOccurrence:
    'Informations retirées de cette occurrence. La série garde sa réunion Roomlink pour ses autres occurrences.',
  optionsSaved: 'Options de la réunion enregistrées.',
  sendBlocked:
    'Les informations pour rejoindre la réunion Roomlink ont été supprimées de l’invitation. Ajoutez de nouveau la réunion, ou retirez-la dans les options Roomlink, avant d’envoyer.',
  title: 'Roomlink',
  account: 'Compte',
  signIn: 'Se connecter',
  signOut: 'Se déconnecter',
  signedInAs: 'Connecté en tant que {name} ({upn})',
  notSignedIn: 'Vous n’êtes pas connecté.',
  meeting: 'Ce rendez-vous',
  noMeeting: 'Pas encore de réunion Roomlink.',
  addMeeting: 'Ajouter une réunion Roomlink',
  removeMeeting: 'Retirer la réunion de ce rendez-vous',
  joinLink: 'Rejoindre la réunion',
  hostPinLabel: 'Votre code PIN organisateur (gardez-le pour vous) :',
  hostPinHelp:
    'Saisissez-le sur la page de la réunion pour la rejoindre en tant qu’organisateur et faire entrer les invités de la salle d’attente.',
  joinAsHost: 'Rejoindre en tant qu’organisateur',
  hostLinkOpened:
    'La réunion s’ouvre dans votre navigateur. Vous la rejoignez en tant qu’organisateur, sans code PIN.',
  hostLinkNotOpened:
    'Votre navigateur n’a pas ouvert la réunion. Rejoignez-la en tant qu’organisateur avec ce lien :',
  hostLinkUntil: 'Il ne sert qu’une fois, jusqu’à {time}.',
  hostLinkSoon: 'Il ne sert qu’une fois, dans les 15 minutes.',
  hostLinkSecret:
    'Ne le partagez pas : quiconque l’ouvre rejoint la réunion en tant qu’organisateur. Vous pouvez en obtenir un nouveau ici à tout moment.',
  options: 'Options de la réunion',
  guestPin: 'Les invités doivent saisir un code',
  lobby: 'Les invités attendent dans une salle d’attente',
  settings: 'Paramètres',
  addToEvery: 'Ajouter une réunion Roomlink à chaque nouveau rendez-vous',
  language: 'Langue',
  languageAuto: 'Comme Outlook',
  settingsSaved: 'Paramètres enregistrés.',
  languageApplied:
    'Les informations pour rejoindre la réunion sont maintenant en français dans ce rendez-vous.',
  languageNotApplied:
    'Les informations pour rejoindre la réunion n’ont pas pu être réécrites en français dans ce rendez-vous ({detail}). Le rendez-vous n’a pas été modifié.',
  languageTooLong:
    'La description est trop longue pour que les informations pour rejoindre la réunion y tiennent en français. Raccourcissez-la, puis réécrivez-les en français. Le rendez-vous n’a pas été modifié.',
  meetingNotFound: 'Roomlink ne trouve pas cette réunion pour votre compte',
  retryLanguage: 'Réécrire en français les informations pour rejoindre',
  working: 'En cours…',
};

const MESSAGES: Record<Lang, Record<MessageKey, string>> = { en, fr };

/** The user's setting wins; otherwise Outlook's display language (`fr-FR`, `fr-CA` → fr); English else. */
export function pickLanguage(displayLanguage: string | undefined, setting: Lang | null | undefined): Lang {
  if (setting === 'en' || setting === 'fr') return setting;
  return (displayLanguage ?? '').toLowerCase().startsWith('fr') ? 'fr' : 'en';
}

export function t(lang: Lang, key: MessageKey, params: Record<string, string> = {}): string {
  return MESSAGES[lang][key].replace(/\{(\w+)\}(\.?)/g, (whole, name: string, stop: string) => {
    const value = params[name];
    if (value === undefined) return whole;
    // A detail is often a sentence of its own (Outlook's "The data is too large.", a server's
    // problem detail): the message's full stop after it would make it end twice.
    return stop && /[.!?…]$/.test(value) ? value : value + stop;
  });
}
