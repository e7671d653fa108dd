//! The engine's errors: what went wrong, in plain French, and what to do next. They never
//! carry a password, a token or message content.

use relais_core::BoxAddress;

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Net(#[from] relais_net::NetError),
    #[error(transparent)]
    Store(#[from] relais_store::StoreError),
    #[error(transparent)]
    Psc(#[from] relais_net::PscError),
    #[error(transparent)]
    Secret(#[from] relais_net::SecretError),
    #[error(transparent)]
    Profile(#[from] relais_net::ProfileError),
    #[error(transparent)]
    Tls(#[from] relais_net::TlsError),
    #[error(
        "Aucun compte n'est configuré dans ce profil : connectez-vous d'abord (relais login)."
    )]
    NotSignedIn,
    #[error("Identifiant ou mot de passe incorrect, ou aucune boîte ne vous est ouverte chez cet opérateur. Vérifiez la saisie ; si le problème persiste, contactez le support de votre opérateur.")]
    NoBoxOpened,
    #[error("Votre session Pro Santé Connect a pris fin : reconnectez-vous avec votre e-CPS.")]
    SessionEnded,
    #[error("Cet opérateur ne propose pas la connexion Pro Santé Connect (e-CPS).")]
    NoProSanteConnect,
    #[error("La boîte {0} ne fait pas partie de vos boîtes.")]
    UnknownBox(BoxAddress),
    #[error("Le dossier « {folder} » n'existe pas dans la boîte {address}.")]
    UnknownFolder { address: BoxAddress, folder: String },
    #[error("Message introuvable dans le cache local : synchronisez la boîte.")]
    UnknownMessage,
    #[error(
        "Ces messages ne sont pas tous dans le même dossier : déplacez-les dossier par dossier."
    )]
    MixedSelection,
    #[error("Vos droits sur la boîte {address} ne permettent pas de {action}.")]
    NotAllowed { address: BoxAddress, action: String },
    #[error(
        "Le serveur a refusé l'opération sur la boîte {address} : {detail}. Rien n'a été modifié."
    )]
    ServerRefused { address: BoxAddress, detail: String },
    #[error("Erreur de fichier dans le profil ({what}) : {detail}")]
    Io { what: String, detail: String },
    #[error(
        "Le cache local est chiffré et sa clé est introuvable dans le trousseau : \
         reconnectez-vous ; le cache sera reconstruit depuis le serveur. L'ancien cache, \
         illisible sans sa clé, est conservé à part (relais.db.illisible) : les messages qui \
         attendaient encore dans sa boîte d'envoi n'ont pas pu être relus, vérifiez dans vos \
         Envoyés et renvoyez ceux qui manquent."
    )]
    StoreKeyLost,
    #[error("Opération annulée.")]
    Cancelled,
    #[error("La session est verrouillée : identifiez-vous à nouveau pour accéder au courrier.")]
    Locked,
    #[error("Seule la personne connectée peut déverrouiller sa session ; les autres personnes se déconnectent d'abord.")]
    WrongPerson,
    #[error("Identité incomplète : {0}.")]
    InvalidIdentity(String),
    #[error("Le nom de dossier « {name} » ne convient pas : {why}.")]
    InvalidFolderName { name: String, why: String },
    #[error(
        "Le dossier « {folder} » est un dossier spécial de la boîte : on ne peut pas le {action}."
    )]
    SpecialFolder { folder: String, action: String },
    #[error("{}", pending_message(*queued, *drafts))]
    PendingOutgoing { queued: u32, drafts: u32 },
}

impl EngineError {
    pub(crate) fn io(what: &str, e: impl std::fmt::Display) -> EngineError {
        EngineError::Io {
            what: what.to_string(),
            detail: e.to_string(),
        }
    }
}

fn pending_message(queued: u32, drafts: u32) -> String {
    let mut parts = Vec::new();
    match queued {
        0 => {}
        1 => parts.push("1 message attend encore dans la boîte d'envoi".to_string()),
        n => parts.push(format!(
            "{n} messages attendent encore dans la boîte d'envoi"
        )),
    }
    match drafts {
        0 => {}
        1 => parts.push("1 brouillon n'existe que sur ce poste".to_string()),
        n => parts.push(format!("{n} brouillons n'existent que sur ce poste")),
    }
    format!(
        "Déconnexion refusée : {}. Rien n'a été effacé. Envoyez-les (ou attendez le retour de la \
         connexion), ou confirmez leur suppression pour vous déconnecter quand même.",
        parts.join(" et ")
    )
}

pub type Result<T> = std::result::Result<T, EngineError>;
