/**
 * Every user-visible manifest string, in the default locale (en-US) and in fr-FR. The generator writes
 * the English text as DefaultValue and French as an Override, so each string exists in both.
 */

export const MANIFEST_LOCALES = ['en-US', 'fr-FR'] as const;
export type ManifestLocale = (typeof MANIFEST_LOCALES)[number];

export interface LocalizedString {
  readonly 'en-US': string;
  readonly 'fr-FR': string;
}

export const DISPLAY_NAME: LocalizedString = { 'en-US': 'Roomlink', 'fr-FR': 'Roomlink' };

export const DESCRIPTION: LocalizedString = {
  'en-US': 'Add a Roomlink video meeting to your Outlook appointments in one click.',
  'fr-FR': 'Ajoutez une réunion vidéo Roomlink à vos rendez-vous Outlook en un clic.',
};

/** bt:ShortStrings (at most 125 characters each). */
export const SHORT_STRINGS = {
  'Group.Label': { 'en-US': 'Roomlink', 'fr-FR': 'Roomlink' },
  'AddMeeting.Label': { 'en-US': 'Add Roomlink meeting', 'fr-FR': 'Ajouter une réunion Roomlink' },
  'Taskpane.Label': { 'en-US': 'Roomlink options', 'fr-FR': 'Options Roomlink' },
} as const satisfies Record<string, LocalizedString>;

/** bt:LongStrings (at most 250 characters each). */
export const LONG_STRINGS = {
  'Addin.Description': DESCRIPTION,
  'AddMeeting.Tooltip': {
    'en-US': 'Add a Roomlink video meeting link and joining details to this appointment.',
    'fr-FR':
      'Ajoute à ce rendez-vous un lien de réunion vidéo Roomlink et les informations pour la rejoindre.',
  },
  'Taskpane.Tooltip': {
    'en-US': 'Sign in, change the meeting options or remove the Roomlink meeting from this appointment.',
    'fr-FR':
      'Connectez-vous, modifiez les options de la réunion ou retirez la réunion Roomlink de ce rendez-vous.',
  },
} as const satisfies Record<string, LocalizedString>;

export const SHORT_STRING_MAX = 125;
export const LONG_STRING_MAX = 250;
