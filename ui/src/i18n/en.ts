import type { Messages } from './fr';

export const en: Messages = {
  'app.name': 'Relais',
  'app.tagline': 'secure health messaging',
  'app.version': 'Version {version}',

  'signin.title': 'Relais — secure health messaging',
  'signin.intro': 'Sign in to your MSSanté mail with your own credentials.',
  'signin.operator.legend': 'Operator',
  'signin.operator.demo': 'Demo operator (local)',
  'signin.operator.other': 'Other operator: profile file or address',
  'signin.operator.otherPlaceholder': 'e.g. mail.my-operator.fr',
  'signin.ecps.button': 'Sign in with e-CPS',
  'signin.ecps.hint': 'Your e-CPS opens in the system browser (Pro Santé Connect).',
  'signin.password.separator': 'or with an identifier',
  'signin.password.login': 'Identifier',
  'signin.password.password': 'Password',
  'signin.password.button': 'Sign in',
  'signin.pending': 'Signing in…',

  'demo.title': 'Demo accounts',
  'demo.intro': 'Pick a person: their identifier will be filled in.',
  'demo.boxes': 'Boxes: {boxes}',
  'demo.ownBox': 'personal',

  'mailbox.title': 'Inbox',
  'mailbox.placeholder': 'Your messages will appear here.',

  'error.engine_not_connected': 'The mail engine is not connected yet.',
  'error.missing_credentials': 'Enter your identifier and your password.',
  'error.missing_operator': "Enter your operator's profile file or address.",

  'language.label': 'Language',

  'help.mssante': 'Learn more about MSSanté',
};
