// French is the reference language: every key exists here first, and `en.ts` must
// translate exactly these keys (the compiler checks it).
// `{name}` marks a value filled in by `t(key, { name })`.
export const fr = {
  'app.name': 'Relais',
  'app.tagline': 'messagerie sécurisée de santé',
  'app.version': 'Version {version}',

  'signin.title': 'Relais — messagerie sécurisée de santé',
  'signin.intro': 'Connectez-vous à votre messagerie MSSanté avec vos propres identifiants.',
  'signin.operator.legend': 'Opérateur',
  'signin.operator.demo': 'Opérateur de démonstration (local)',
  'signin.operator.other': 'Autre opérateur : fichier de profil ou adresse',
  'signin.operator.otherPlaceholder': 'ex. messagerie.mon-operateur.fr',
  'signin.ecps.button': 'Se connecter avec e-CPS',
  'signin.ecps.hint': "Votre carte e-CPS s'ouvre dans le navigateur du système (Pro Santé Connect).",
  'signin.password.separator': 'ou avec un identifiant',
  'signin.password.login': 'Identifiant',
  'signin.password.password': 'Mot de passe',
  'signin.password.button': 'Se connecter',
  'signin.pending': 'Connexion en cours…',

  'demo.title': 'Comptes de démonstration',
  'demo.intro': 'Choisissez une personne : son identifiant sera rempli.',
  'demo.boxes': 'Boîtes : {boxes}',
  'demo.ownBox': 'personnelle',

  'mailbox.title': 'Boîte de réception',
  'mailbox.placeholder': "Vos messages s'afficheront ici.",

  // Errors, by the stable `code` the back end (or the UI itself) reports.
  'error.engine_not_connected': "Le moteur de messagerie n'est pas encore branché.",
  'error.missing_credentials': 'Saisissez votre identifiant et votre mot de passe.',
  'error.missing_operator': "Indiquez le fichier de profil ou l'adresse de votre opérateur.",

  'language.label': 'Langue',

  'help.mssante': 'En savoir plus sur MSSanté',
} as const satisfies Record<string, string>;

export type MessageKey = keyof typeof fr;
export type Messages = Record<MessageKey, string>;
