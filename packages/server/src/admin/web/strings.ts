/**
 * The admin console's words in English and French: the pages shell.ts renders on the server and
 * everything the console script (console-script.ts) shows, which gets both tables embedded and
 * picks one by <html lang>. `{name}` marks a value filled in by `fill`. API problem details and
 * template errors come from the server and stay English (they are the API's contract).
 */
import type { Language } from '@roomlink/rooms';

const en = {
  /** The locale Intl formats times and numbers in; British, as the console writes "organisation". */
  intlLocale: 'en-GB',
  // The way to the other language is written in that language, for whoever cannot read this one.
  otherLanguage: 'Français',
  otherLanguageLabel: 'Afficher cette page en français',

  // ---- pages (shell.ts)
  consoleTitle: 'Roomlink administration',
  skipToContent: 'Skip to content',
  loading: 'Loading…',
  sectionsLabel: 'Sections',
  settings: 'Settings',
  instructions: 'Join instructions',
  users: 'Users',
  audit: 'Audit log',
  retention: 'Retention',
  signOut: 'Sign out of the console',
  signOutHint:
    'Ends this browser’s console session only: your Outlook add-in and calendar sync stay signed in.',
  defaultLanguageLabel: 'Default language of join instructions',
  pinLengthLabel: 'Digits in host and guest PINs (4 to 10)',
  guestPinDefaultLabel: 'Guest PIN on new meetings by default',
  lobbyDefaultLabel: 'Lobby on new meetings by default',
  addToEveryMeetingDefaultLabel: 'Add Roomlink to every meeting by default',
  retentionDaysLabel: 'Keep meeting details for this many days after a meeting ends',
  retentionHint:
    'Leave empty for the default and longest period, 3 months. You can shorten it (2 to 89 days), never lengthen it.',
  saveSettings: 'Save settings',
  // {variables} is a list of <code> examples, put in by shell.ts.
  instructionsHint:
    'The block Roomlink writes into invitations. Templates use Handlebars variables such as {variables}. The preview shows a sample meeting.',
  saveInstructions: 'Save join instructions',
  usersHint:
    'Users are listed in the order they first signed in. Names and sign-in names are held encrypted, so they cannot be searched here.',
  showMoreUsers: 'Show more users',
  exportTenant: 'Export all of the organisation’s data',
  exportTenantNote:
    '(every user’s export, meetings of users no longer known, settings and the audit log, as one JSON file; one such export runs at a time)',
  auditHint: 'Who did what, by ids and counts only: no titles, times or addresses.',
  showOlderEntries: 'Show older entries',
  signInPageTitle: 'Sign in — Roomlink administration',
  signInIntro: 'Sign in with your Microsoft 365 work account to manage Roomlink for your organisation.',
  signIn: 'Sign in',
  forbiddenPageTitle: 'Not allowed — Roomlink administration',
  forbiddenHeading: 'You are not a tenant admin',
  forbiddenText:
    "The Roomlink administration is for your organisation's Microsoft 365 administrators. Ask one of them if you need a setting changed.",
  signInOther: 'Sign in with another account',

  // ---- languages of join instructions: as a title (legend, list) and within a sentence
  languageTitleEn: 'English',
  languageTitleFr: 'Français',
  languageInTextEn: 'English',
  languageInTextFr: 'Français',

  // ---- badges
  statusSignedIn: 'Signed in',
  statusNeedsSignIn: 'Needs sign-in',
  statusSignedOut: 'Signed out',
  syncSyncing: 'Syncing',
  syncNeedsSignIn: 'Needs sign-in',
  syncStopped: 'Stopped',
  syncOff: 'Off',
  adminBadge: 'Admin',

  // ---- settings, as named in "changed there: …"
  settingDefaultLanguage: 'default language',
  settingPinLength: 'PIN digits',
  settingGuestPinDefault: 'guest PIN default',
  settingLobbyDefault: 'lobby default',
  settingAddToEveryMeetingDefault: 'add to every meeting',
  settingRetentionDays: 'days meeting details are kept',
  settingTemplates: '{language} join instructions',

  // ---- failures and outcomes
  sessionEnded: 'your console session has ended. ',
  signInAgain: 'Sign in again',
  sessionEndedThen: ' (opens a new tab), then try again here: what you entered is still on this page.',
  unreachable:
    'Roomlink could not be reached ({reason}): the action may or may not have completed; reload the page to see.',
  unreachableShort: 'Roomlink could not be reached ({reason}).',
  proxyAnswered:
    'HTTP {status} from a proxy or gateway, not from Roomlink: the action may have completed anyway; reload the page to see.',
  proxyStatus: 'HTTP {status} from a proxy or gateway, not from Roomlink',
  httpStatus: 'HTTP {status}',
  dayUtc: '{day} (UTC)',
  withNote: '{message} Note: {note}',
  settingsSaved: 'Settings saved.',
  instructionsSaved: 'Join instructions saved.',
  notSaved: 'Not saved: ',
  notSavedFields: 'Not saved: please correct the fields marked below.',
  staleSave:
    'Not saved: the settings were changed elsewhere (by another admin, or in another tab) since this page loaded them{changed}. What you entered is still on this page and was not saved: check it against the current settings (reload the page to see them), then save again to replace them.',
  staleChanged: ' — changed there: {names}',
  staleReloadFailed:
    'Not saved: the settings were changed elsewhere since this page loaded them, and could not be loaded again: ',
  couldNotLoadAudit: 'Could not load the audit log: ',
  couldNotLoadOverview: 'Could not load the overview: ',
  couldNotLoadMoreAudit: 'Could not load more of the audit log: ',
  couldNotLoadMoreUsers: 'Could not load more users: ',
  couldNotSignOut: 'Could not sign out: ',
  consoleLoadFailed: 'The console could not load: ',
  couldNotLoadParts: 'Could not load {parts}: ',
  partOverview: 'the overview',
  partUsers: 'the users',
  partAudit: 'the audit log',

  // ---- join instructions editors
  htmlTemplate: '{language} HTML template',
  textTemplate: '{language} plain-text template',
  restoreTemplates: 'Restore the built-in {language} templates',
  previewHeading: 'Preview ({language})',
  previewHtmlTitle: 'Preview of the {language} HTML instructions',
  previewTextLabel: 'Preview of the {language} plain-text instructions',
  previewFailed: 'Preview failed: ',

  // ---- exports
  exporting: 'Exporting {what}…',
  exportingProgress: 'Exporting {what}… {size} received',
  exported: 'Exported {what}: {file} ({size}).',
  couldNotExport: 'Could not export {what}: ',
  megabytes: '{size} MB',
  tenantData: "all of the organisation's data",
  dataOf: 'the data of {name}',

  // ---- users
  colName: 'Name',
  colUpn: 'Sign-in name',
  colStatus: 'Status',
  colLastSignIn: 'Last sign-in',
  colSync: 'Calendar sync',
  colMeetings: 'Meetings',
  colData: 'Data',
  unreadable: '(unreadable)',
  notKept: '(not kept after sign-out)',
  userFallback: 'user {id}',
  exportButton: 'Export',
  exportDataOf: 'Export the data of {name}',
  eraseButton: 'Erase',
  eraseLabel: 'Erase {name}',
  lastChangeSeen: ' last change seen {when}',
  noChangeSeen: ' last change seen never',
  showingOf: 'Showing {shown} of {total}, oldest first',
  eraseConfirm:
    'Erase {name}? Their rooms are cancelled (join links already sent stop working), and their meetings, tokens, sessions and user record are deleted. This cannot be undone.\n\nWhat stays: audit log entries about them, which hold only their user id and counts. If they sign in again later, Roomlink creates a new user for them.',
  erased: 'Erased {name}: {meetings} deleted.',
  // Two sentences rather than one with a word swapped: French agrees the verb with the count too.
  roomsNotEndedOne:
    ' Warning: {rooms} of theirs could not be ended (the server log names the meetings): its join link may still open a room, and people already in one may stay connected until they leave.',
  roomsNotEndedOther:
    ' Warning: {rooms} of theirs could not be ended (the server log names the meetings): their join links may still open a room, and people already in one may stay connected until they leave.',
  couldNotErase: 'Could not erase {name}: ',

  // ---- counted words ("1 user", "2 users"), chosen by Intl.PluralRules
  userOne: 'user',
  userOther: 'users',
  meetingOne: 'meeting',
  meetingOther: 'meetings',
  roomOne: 'room',
  roomOther: 'rooms',
  dayOne: 'day',
  dayOther: 'days',
  monthOne: 'month',
  monthOther: 'months',
  scheduledOne: 'scheduled meeting',
  scheduledOther: 'scheduled meetings',
  cancelledOne: 'cancelled meeting',
  cancelledOther: 'cancelled meetings',

  // ---- audit log
  newestFirst: 'Newest first',
  colTime: 'Time',
  colAction: 'Action',
  colBy: 'By',
  colAbout: 'About',
  colDetails: 'Details',

  // ---- overview and retention
  tenantLine: 'Organisation {tenant} · {users} · {scheduled} and {cancelled}',
  factDetails: 'Meeting details (subject, times, join details) are deleted {period} after each meeting ends.',
  factSignOut: 'A user who signs out keeps no Exchange id, tokens or sessions here.',
  factAccount:
    "Your organisation's data is deleted {period} after the contract ends, ending with its encryption key.",
  factMedia: 'Audio, video and chat are never stored.',
  factContract: 'Contract end recorded: {end}; data deletion on {purge}.',
};

export type StringKey = keyof typeof en;
export type Strings = Record<StringKey, string>;

/**
 * French puts a no-break space before ":", ";", "?" and "!" so that a line never starts with one.
 * The table below is written with plain spaces, which read better in source, and turned once.
 */
function frenchSpacing(table: Strings): Strings {
  return Object.fromEntries(
    Object.entries(table).map(([key, value]) => [key, value.replace(/ (?=[:;?!])/g, '\u00a0')]),
  ) as Strings;
}

const fr = frenchSpacing({
  intlLocale: 'fr-FR',
  otherLanguage: 'English',
  otherLanguageLabel: 'Show this page in English',

  consoleTitle: 'Administration de Roomlink',
  skipToContent: 'Aller au contenu',
  loading: 'Chargement…',
  sectionsLabel: 'Sections',
  settings: 'Paramètres',
  instructions: 'Informations pour rejoindre',
  users: 'Utilisateurs',
  audit: 'Journal d’audit',
  retention: 'Conservation des données',
  signOut: 'Se déconnecter de la console',
  signOutHint:
    'Ferme uniquement la session de la console dans ce navigateur : votre complément Outlook et la synchronisation du calendrier restent connectés.',
  defaultLanguageLabel: 'Langue par défaut des informations pour rejoindre',
  pinLengthLabel: 'Nombre de chiffres des codes PIN organisateur et invité (4 à 10)',
  guestPinDefaultLabel: 'Code PIN invité par défaut sur les nouvelles réunions',
  lobbyDefaultLabel: 'Salle d’attente par défaut sur les nouvelles réunions',
  addToEveryMeetingDefaultLabel: 'Ajouter Roomlink à chaque réunion par défaut',
  retentionDaysLabel: 'Nombre de jours de conservation des détails d’une réunion après sa fin',
  retentionHint:
    'Laissez vide pour la durée par défaut, qui est aussi la plus longue : 3 mois. Vous pouvez la raccourcir (2 à 89 jours), jamais l’allonger.',
  saveSettings: 'Enregistrer les paramètres',
  instructionsHint:
    'Le bloc que Roomlink insère dans les invitations. Les modèles utilisent des variables Handlebars telles que {variables}. L’aperçu montre une réunion fictive.',
  saveInstructions: 'Enregistrer les informations pour rejoindre',
  usersHint:
    'Les utilisateurs apparaissent dans l’ordre de leur première connexion. Les noms et identifiants de connexion sont stockés chiffrés : la recherche n’est donc pas possible ici.',
  showMoreUsers: 'Afficher plus d’utilisateurs',
  exportTenant: 'Exporter toutes les données de l’organisation',
  exportTenantNote:
    '(l’export de chaque utilisateur, les réunions d’utilisateurs qui ne sont plus connus, les paramètres et le journal d’audit, dans un seul fichier JSON ; un seul export de ce type à la fois)',
  auditHint:
    'Qui a fait quoi, uniquement par identifiants et par nombres : ni objets, ni horaires, ni adresses.',
  showOlderEntries: 'Afficher les entrées plus anciennes',
  signInPageTitle: 'Connexion — Administration de Roomlink',
  signInIntro:
    'Connectez-vous avec votre compte professionnel Microsoft 365 pour gérer Roomlink pour votre organisation.',
  signIn: 'Se connecter',
  forbiddenPageTitle: 'Accès refusé — Administration de Roomlink',
  forbiddenHeading: 'Vous n’êtes pas administrateur du locataire',
  forbiddenText:
    'L’administration de Roomlink est réservée aux administrateurs Microsoft 365 de votre organisation. Adressez-vous à l’un d’eux pour faire modifier un paramètre.',
  signInOther: 'Se connecter avec un autre compte',

  languageTitleEn: 'Anglais',
  languageTitleFr: 'Français',
  languageInTextEn: 'anglais',
  languageInTextFr: 'français',

  statusSignedIn: 'Connecté',
  statusNeedsSignIn: 'Connexion requise',
  statusSignedOut: 'Déconnecté',
  syncSyncing: 'Active',
  syncNeedsSignIn: 'Connexion requise',
  syncStopped: 'Arrêtée',
  syncOff: 'Désactivée',
  adminBadge: 'Admin',

  settingDefaultLanguage: 'langue par défaut',
  settingPinLength: 'chiffres des codes PIN',
  settingGuestPinDefault: 'code PIN invité par défaut',
  settingLobbyDefault: 'salle d’attente par défaut',
  settingAddToEveryMeetingDefault: 'ajout à chaque réunion',
  settingRetentionDays: 'durée de conservation des détails des réunions',
  settingTemplates: 'informations pour rejoindre en {language}',

  sessionEnded: 'votre session de console a pris fin. ',
  signInAgain: 'Reconnectez-vous',
  sessionEndedThen: ' (nouvel onglet), puis réessayez ici : votre saisie est toujours sur cette page.',
  unreachable:
    'Roomlink est injoignable ({reason}) : l’action a pu aboutir ou non ; rechargez la page pour le vérifier.',
  unreachableShort: 'Roomlink est injoignable ({reason}).',
  proxyAnswered:
    'HTTP {status} renvoyé par un proxy ou une passerelle, pas par Roomlink : l’action a peut-être abouti malgré tout ; rechargez la page pour le vérifier.',
  proxyStatus: 'HTTP {status} renvoyé par un proxy ou une passerelle, pas par Roomlink',
  httpStatus: 'HTTP {status}',
  dayUtc: '{day} (UTC)',
  withNote: '{message} Remarque : {note}',
  settingsSaved: 'Paramètres enregistrés.',
  instructionsSaved: 'Informations pour rejoindre enregistrées.',
  notSaved: 'Non enregistré : ',
  notSavedFields: 'Non enregistré : veuillez corriger les champs signalés ci-dessous.',
  staleSave:
    'Non enregistré : les paramètres ont été modifiés ailleurs (par un autre administrateur, ou dans un autre onglet) depuis le chargement de cette page{changed}. Votre saisie est toujours sur cette page et n’a pas été enregistrée : comparez-la aux paramètres actuels (rechargez la page pour les voir), puis enregistrez à nouveau pour les remplacer.',
  staleChanged: ' — modifié ailleurs : {names}',
  staleReloadFailed:
    'Non enregistré : les paramètres ont été modifiés ailleurs depuis le chargement de cette page, et n’ont pas pu être rechargés : ',
  couldNotLoadAudit: 'Impossible de charger le journal d’audit : ',
  couldNotLoadOverview: 'Impossible de charger la vue d’ensemble : ',
  couldNotLoadMoreAudit: 'Impossible de charger la suite du journal d’audit : ',
  couldNotLoadMoreUsers: 'Impossible de charger plus d’utilisateurs : ',
  couldNotSignOut: 'Impossible de se déconnecter : ',
  consoleLoadFailed: 'La console n’a pas pu se charger : ',
  couldNotLoadParts: 'Impossible de charger {parts} : ',
  partOverview: 'la vue d’ensemble',
  partUsers: 'les utilisateurs',
  partAudit: 'le journal d’audit',

  htmlTemplate: 'Modèle HTML en {language}',
  textTemplate: 'Modèle texte brut en {language}',
  restoreTemplates: 'Rétablir les modèles intégrés en {language}',
  previewHeading: 'Aperçu en {language}',
  previewHtmlTitle: 'Aperçu des informations HTML en {language}',
  previewTextLabel: 'Aperçu des informations en texte brut, en {language}',
  previewFailed: 'Échec de l’aperçu : ',

  exporting: 'Export en cours : {what}…',
  exportingProgress: 'Export en cours : {what}… {size} reçus',
  exported: 'Export terminé : {what}, {file} ({size}).',
  couldNotExport: 'Impossible d’exporter {what} : ',
  megabytes: '{size} Mo',
  tenantData: 'toutes les données de l’organisation',
  dataOf: 'les données de {name}',

  colName: 'Nom',
  colUpn: 'Identifiant de connexion',
  colStatus: 'État',
  colLastSignIn: 'Dernière connexion',
  colSync: 'Synchronisation du calendrier',
  colMeetings: 'Réunions',
  colData: 'Données',
  unreadable: '(illisible)',
  notKept: '(non conservé après la déconnexion)',
  userFallback: 'utilisateur {id}',
  exportButton: 'Exporter',
  exportDataOf: 'Exporter les données de {name}',
  eraseButton: 'Supprimer',
  eraseLabel: 'Supprimer {name}',
  lastChangeSeen: ' dernière modification vue le {when}',
  noChangeSeen: ' aucune modification vue',
  showingOf: '{shown} sur {total} affichés, les plus anciens en premier',
  eraseConfirm:
    'Supprimer {name} ? Ses salles sont annulées (les liens pour rejoindre déjà envoyés cessent de fonctionner), et ses réunions, jetons, sessions et sa fiche utilisateur sont supprimés. Cette action est irréversible.\n\nCe qui reste : les entrées du journal d’audit qui concernent cette personne, qui ne contiennent que son identifiant utilisateur et des nombres. Si elle se reconnecte plus tard, Roomlink lui crée un nouvel utilisateur.',
  erased: '{name} supprimé, ainsi que {meetings}.',
  roomsNotEndedOne:
    ' Attention : {rooms} de cette personne n’a pas pu être fermée (le journal du serveur indique les réunions concernées) : son lien pour rejoindre peut encore ouvrir une salle, et les personnes déjà présentes peuvent rester connectées jusqu’à leur départ.',
  roomsNotEndedOther:
    ' Attention : {rooms} de cette personne n’ont pas pu être fermées (le journal du serveur indique les réunions concernées) : leurs liens pour rejoindre peuvent encore ouvrir une salle, et les personnes déjà présentes peuvent rester connectées jusqu’à leur départ.',
  couldNotErase: 'Impossible de supprimer {name} : ',

  userOne: 'utilisateur',
  userOther: 'utilisateurs',
  meetingOne: 'réunion',
  meetingOther: 'réunions',
  roomOne: 'salle',
  roomOther: 'salles',
  dayOne: 'jour',
  dayOther: 'jours',
  monthOne: 'mois',
  monthOther: 'mois',
  scheduledOne: 'réunion planifiée',
  scheduledOther: 'réunions planifiées',
  cancelledOne: 'réunion annulée',
  cancelledOther: 'réunions annulées',

  newestFirst: 'Les plus récentes en premier',
  colTime: 'Date et heure',
  colAction: 'Action',
  colBy: 'Par',
  colAbout: 'Concerne',
  colDetails: 'Détails',

  tenantLine: 'Organisation {tenant} · {users} · {scheduled} et {cancelled}',
  factDetails:
    'Les détails des réunions (objet, horaires, informations pour rejoindre) sont supprimés {period} après la fin de chaque réunion.',
  factSignOut:
    'Un utilisateur qui se déconnecte ne conserve ici ni identifiant Exchange, ni jetons, ni sessions.',
  factAccount:
    'Les données de votre organisation sont supprimées {period} après la fin du contrat, en terminant par sa clé de chiffrement.',
  factMedia: 'L’audio, la vidéo et les messages de conversation ne sont jamais conservés.',
  factContract: 'Fin de contrat enregistrée : {end} ; suppression des données le {purge}.',
});

export const STRINGS: Readonly<Record<Language, Strings>> = { en, fr };

/**
 * A string with its `{name}` places filled; a place without a value stays as written, so that a
 * missing value shows rather than vanishes. Embedded in the console script through its source
 * text (see countOf there), so it must stay self-contained.
 */
export function fill(template: string, vars: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.hasOwn(vars, name) ? String(vars[name]) : whole,
  );
}

/** A string of the table for `language`, filled. */
export function text(language: Language, key: StringKey, vars?: Record<string, string | number>): string {
  return fill(STRINGS[language][key], vars);
}
