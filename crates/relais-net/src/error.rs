//! The errors of connections, with French messages for the user. They never contain a
//! password or a token.

use crate::profile::ProfileError;
use crate::tls::TlsError;

/// What went wrong while talking to the operator's IMAP or submission server.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error("Le serveur {server} est injoignable : {detail}")]
    Unreachable { server: String, detail: String },
    #[error(transparent)]
    Tls(#[from] TlsError),
    #[error("Le serveur {server} ne propose pas de connexion chiffrée (STARTTLS) : Relais n'envoie jamais vos identifiants en clair, la connexion est abandonnée.")]
    StartTlsMissing { server: String },
    #[error("Le serveur {server} a refusé de chiffrer la connexion (STARTTLS) : {reply}")]
    StartTlsRefused { server: String, reply: String },
    #[error("Le serveur {server} ne propose pas la méthode d'authentification {mechanism} après le chiffrement.")]
    MechanismUnavailable { server: String, mechanism: String },
    #[error("Identifiant ou mot de passe refusé pour la boîte {mailbox} (ou vous n'êtes pas habilité(e) à l'ouvrir). Réponse du serveur : {reply}")]
    AuthenticationFailed { mailbox: String, reply: String },
    #[error(
        "Vous n'êtes pas habilité(e) à ouvrir la boîte {mailbox}. Réponse du serveur : {reply}"
    )]
    AuthorizationFailed { mailbox: String, reply: String },
    #[error("Votre session Pro Santé Connect a expiré ou ne permet pas d'ouvrir la boîte {mailbox} : reconnectez-vous avec votre e-CPS. Réponse du serveur : {reply}")]
    TokenRefused { mailbox: String, reply: String },
    #[error("Le message contient un en-tête Bcc : les destinataires en copie cachée ne doivent figurer que dans l'enveloppe.")]
    BccHeader,
    #[error("Le message pèse {size} octets, au-delà de la limite de {limit} octets du serveur.")]
    TooLarge { size: u64, limit: u64 },
    #[error("Le serveur d'envoi a refusé {what} : {code} {text}")]
    Refused {
        what: String,
        code: u16,
        text: String,
    },
    #[error("Erreur de protocole avec le serveur {server} : {detail}")]
    Protocol { server: String, detail: String },
    #[error("Le serveur {server} a refusé la commande : {text}")]
    ImapRefused {
        server: String,
        refusal: crate::imap_ops::Refusal,
        text: String,
    },
}

/// How a person proves who they are to the operator. `Debug` hides the secrets.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// The person's operator login and password: SASL PLAIN, with authzid = the box when the
    /// box is not the login's own.
    Password { login: String, password: String },
    /// A Pro Santé Connect access token: SASL XOAUTH2 with `user=` the box.
    Bearer { token: String },
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Password { login, .. } => f
                .debug_struct("Password")
                .field("login", login)
                .field("password", &"***")
                .finish(),
            Credentials::Bearer { .. } => f.debug_struct("Bearer").field("token", &"***").finish(),
        }
    }
}

impl Credentials {
    /// The SASL PLAIN authorisation identity for opening `mailbox`: empty when the login
    /// is the box itself, else the box.
    pub(crate) fn plain_authzid<'a>(login: &str, mailbox: &'a str) -> &'a str {
        if login.eq_ignore_ascii_case(mailbox) {
            ""
        } else {
            mailbox
        }
    }

    /// SASL PLAIN message (RFC 4616): authzid NUL authcid NUL password.
    pub(crate) fn sasl_plain(login: &str, password: &str, mailbox: &str) -> Vec<u8> {
        let authzid = Self::plain_authzid(login, mailbox);
        format!("{authzid}\0{login}\0{password}").into_bytes()
    }

    /// SASL XOAUTH2 message, `user=` naming the box to open.
    pub(crate) fn sasl_xoauth2(mailbox: &str, token: &str) -> Vec<u8> {
        format!("user={mailbox}\x01auth=Bearer {token}\x01\x01").into_bytes()
    }

    /// SASL OAUTHBEARER message (RFC 7628), authzid naming the box.
    pub(crate) fn sasl_oauthbearer(mailbox: &str, token: &str) -> Vec<u8> {
        format!("n,a={mailbox},\x01auth=Bearer {token}\x01\x01").into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_not_debug_printed() {
        let c = Credentials::Password {
            login: "marie".into(),
            password: "secret".into(),
        };
        assert!(!format!("{c:?}").contains("secret"));
        let t = Credentials::Bearer {
            token: "eyJtoken".into(),
        };
        assert!(!format!("{t:?}").contains("eyJ"));
    }

    #[test]
    fn plain_authzid() {
        assert_eq!(Credentials::sasl_plain("a@x", "p", "A@X"), b"\0a@x\0p");
        assert_eq!(
            Credentials::sasl_plain("sophie", "p", "b@x"),
            b"b@x\0sophie\0p"
        );
    }
}
