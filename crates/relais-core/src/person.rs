//! The person using Relais, and the identifier that ties every action to them.
//!
//! MSSanté requires each exchange to be tied to the individual who made it, even from a
//! shared box. That individual is named by their **national identifier**: `8` + RPPS number,
//! or `0` + ADELI number (the `IdNat_PS` that Pro Santé Connect returns). Some staff of shared
//! boxes (care assistants, reception) have neither: the operator then knows them by their
//! login, which Relais writes `login:<login>`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::address::BoxAddress;

/// Prefix of a national identifier that is an operator login.
pub const LOGIN_PREFIX: &str = "login:";

const RPPS_DIGITS: usize = 11;
const ADELI_DIGITS: usize = 9;
const MAX_LOGIN_LENGTH: usize = 256;

/// A person's national identifier.
///
/// The variants hold the bare number (or login); build them with [`NationalId::parse`] or the
/// checked constructors ([`NationalId::rpps`], [`NationalId::adeli`],
/// [`NationalId::operator_login`]) so that they are valid. Displays and serialises in its
/// national form: `810100000041` (RPPS), `0640000012` (ADELI), `login:julien.lemaire`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum NationalId {
    /// The 11 digits of the RPPS number (national form `8` + those digits).
    Rpps(String),
    /// The 9 digits of the ADELI number (national form `0` + those digits).
    Adeli(String),
    /// The operator login of someone with neither RPPS nor ADELI (printable ASCII, no space).
    OperatorLogin(String),
}

/// Why a national identifier is invalid. Display messages are French and quote the input.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NationalIdError {
    /// Nothing was given.
    #[error("L'identifiant national est vide.")]
    Empty,
    /// Neither `8`+11 digits, nor `0`+9 digits, nor `login:…`.
    #[error(
        "Identifiant national « {input} » invalide : 8 suivi des 11 chiffres du RPPS, \
         0 suivi des 9 chiffres ADELI, ou « login: » suivi de l'identifiant de connexion."
    )]
    Unrecognised {
        /// What was given.
        input: String,
    },
    /// An RPPS number that is not 11 digits.
    #[error("Numéro RPPS « {input} » invalide : 11 chiffres attendus.")]
    InvalidRpps {
        /// What was given.
        input: String,
    },
    /// An ADELI number that is not 9 digits.
    #[error("Numéro ADELI « {input} » invalide : 9 chiffres attendus.")]
    InvalidAdeli {
        /// What was given.
        input: String,
    },
    /// An empty login, or one with spaces, control or non-ASCII characters.
    #[error(
        "Identifiant de connexion « {input} » invalide : il doit être non vide, sans espace \
         ni caractère accentué (256 caractères au plus)."
    )]
    InvalidLogin {
        /// What was given.
        input: String,
    },
}

fn all_digits(s: &str, count: usize) -> bool {
    s.len() == count && s.bytes().all(|b| b.is_ascii_digit())
}

impl NationalId {
    /// Parses the national form: `8`+11 digits, `0`+9 digits, or `login:<login>`
    /// (surrounding white space ignored).
    pub fn parse(input: &str) -> Result<NationalId, NationalIdError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(NationalIdError::Empty);
        }
        if let Some(login) = text.strip_prefix(LOGIN_PREFIX) {
            return NationalId::operator_login(login);
        }
        if let Some(rpps) = text
            .strip_prefix('8')
            .filter(|d| all_digits(d, RPPS_DIGITS))
        {
            return Ok(NationalId::Rpps(rpps.to_owned()));
        }
        if let Some(adeli) = text
            .strip_prefix('0')
            .filter(|d| all_digits(d, ADELI_DIGITS))
        {
            return Ok(NationalId::Adeli(adeli.to_owned()));
        }
        Err(NationalIdError::Unrecognised {
            input: text.to_owned(),
        })
    }

    /// From the 11-digit RPPS number.
    pub fn rpps(digits: &str) -> Result<NationalId, NationalIdError> {
        let digits = digits.trim();
        if all_digits(digits, RPPS_DIGITS) {
            Ok(NationalId::Rpps(digits.to_owned()))
        } else {
            Err(NationalIdError::InvalidRpps {
                input: digits.to_owned(),
            })
        }
    }

    /// From the 9-digit ADELI number.
    pub fn adeli(digits: &str) -> Result<NationalId, NationalIdError> {
        let digits = digits.trim();
        if all_digits(digits, ADELI_DIGITS) {
            Ok(NationalId::Adeli(digits.to_owned()))
        } else {
            Err(NationalIdError::InvalidAdeli {
                input: digits.to_owned(),
            })
        }
    }

    /// From an operator login, for someone with neither RPPS nor ADELI.
    pub fn operator_login(login: &str) -> Result<NationalId, NationalIdError> {
        let valid = !login.is_empty()
            && login.len() <= MAX_LOGIN_LENGTH
            && login.bytes().all(|b| b.is_ascii_graphic());
        if valid {
            Ok(NationalId::OperatorLogin(login.to_owned()))
        } else {
            Err(NationalIdError::InvalidLogin {
                input: login.to_owned(),
            })
        }
    }

    /// The national form: `810100000041`, `0640000012` or `login:julien.lemaire`.
    pub fn to_national_string(&self) -> String {
        self.to_string()
    }

    /// For display to a person, in French: « RPPS 10100000041 », « ADELI 640000012 »,
    /// « identifiant julien.lemaire ».
    pub fn describe_fr(&self) -> String {
        match self {
            NationalId::Rpps(digits) => format!("RPPS {digits}"),
            NationalId::Adeli(digits) => format!("ADELI {digits}"),
            NationalId::OperatorLogin(login) => format!("identifiant {login}"),
        }
    }
}

impl fmt::Display for NationalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NationalId::Rpps(digits) => write!(f, "8{digits}"),
            NationalId::Adeli(digits) => write!(f, "0{digits}"),
            NationalId::OperatorLogin(login) => write!(f, "{LOGIN_PREFIX}{login}"),
        }
    }
}

impl FromStr for NationalId {
    type Err = NationalIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        NationalId::parse(s)
    }
}

impl TryFrom<String> for NationalId {
    type Error = NationalIdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        NationalId::parse(&value)
    }
}

impl From<NationalId> for String {
    fn from(id: NationalId) -> Self {
        id.to_string()
    }
}

/// Where the names and national identifier of a [`Person`] come from: what a message's
/// author rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum IdentitySource {
    /// Pro Santé Connect's verified ID token (e-CPS).
    ProSanteConnect,
    /// The Annuaire Santé: the extraction the operator profile names, or the operator's
    /// directory imported into the profile, by the person's own box.
    Annuaire,
    /// Declared by the person at their first sign-in (nobody else knew them): shown
    /// « déclaré » wherever the author is shown.
    Declared,
    /// Not known yet: a password sign-in that no directory knows, before the person declares
    /// their names. Nothing can be sent until they do.
    #[default]
    Unknown,
}

impl IdentitySource {
    /// Whether the person's names are only what they declared (or not even that).
    pub fn is_declared(self) -> bool {
        matches!(self, IdentitySource::Declared | IdentitySource::Unknown)
    }
}

/// A professional who uses Relais.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// RPPS, ADELI or operator login.
    pub national_id: NationalId,
    /// Prénom d'exercice: `Marie`.
    pub given_name: String,
    /// Nom d'exercice: `MARTIN`.
    pub family_name: String,
    /// What the person signs in with at their operator.
    pub login: String,
    /// Their nominative box, if they have one (many secretaries and care staff do not).
    pub own_box: Option<BoxAddress>,
    /// Their profession (« Médecin », « Infirmier »), empty when unknown.
    #[serde(default)]
    pub profession: String,
    /// Where the names and identifier come from.
    #[serde(default)]
    pub identity: IdentitySource,
}

impl Person {
    /// « Marie MARTIN »: given name as written, family name uppercase (French usage).
    pub fn display_name(&self) -> String {
        let given = self.given_name.trim();
        let family = self.family_name.trim().to_uppercase();
        match (given.is_empty(), family.is_empty()) {
            (false, false) => format!("{given} {family}"),
            (false, true) => given.to_owned(),
            (true, _) => family,
        }
    }

    /// The sender's display name in the MSSanté format of ECO.2.2.7,
    /// `<Titre>_<Prénom>_<NOM>_<Entité>`: « Dr_Marie_MARTIN_CH de Démo ». Family name
    /// uppercase; white space inside a part kept as one space; an `_` inside a part becomes a
    /// space (it would shift the fields); a part that is missing or blank is left out with its
    /// separator.
    pub fn mssante_display_name(&self, title: Option<&str>, entity: Option<&str>) -> String {
        let family = self.family_name.to_uppercase();
        [
            title.unwrap_or_default(),
            self.given_name.as_str(),
            family.as_str(),
            entity.unwrap_or_default(),
        ]
        .iter()
        .map(|part| {
            part.replace('_', " ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("_")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eco_2_2_7_display_name_is_title_first_name_family_name_entity() {
        let marie = Person {
            national_id: NationalId::parse("810100000041").unwrap(),
            given_name: "Marie".into(),
            family_name: "Martin".into(),
            login: "marie.martin@ch-demo.mssante.fr".into(),
            own_box: None,
            profession: "Médecin".into(),
            identity: IdentitySource::Annuaire,
        };
        assert_eq!(
            marie.mssante_display_name(Some("Dr"), Some("CH de Démo")),
            "Dr_Marie_MARTIN_CH de Démo"
        );
        // Missing parts are left out with their separator; `_` and spaces are tidied.
        assert_eq!(marie.mssante_display_name(None, None), "Marie_MARTIN");
        assert_eq!(
            marie.mssante_display_name(Some("  "), Some(" Service_de  cardiologie ")),
            "Marie_MARTIN_Service de cardiologie"
        );
        let jean = Person {
            given_name: "Jean Pierre".into(),
            family_name: "de la Tour".into(),
            ..marie
        };
        assert_eq!(
            jean.mssante_display_name(Some("Pr"), Some("CHU")),
            "Pr_Jean Pierre_DE LA TOUR_CHU"
        );
    }

    #[test]
    fn national_forms() {
        let rpps = NationalId::parse("810100000041").unwrap();
        assert_eq!(rpps, NationalId::Rpps("10100000041".into()));
        assert_eq!(rpps.to_string(), "810100000041");
        assert_eq!(rpps.describe_fr(), "RPPS 10100000041");

        let adeli = NationalId::parse("0640000012").unwrap();
        assert_eq!(adeli, NationalId::Adeli("640000012".into()));
        assert_eq!(adeli.to_string(), "0640000012");

        let login = NationalId::parse("login:julien.lemaire").unwrap();
        assert_eq!(login, NationalId::OperatorLogin("julien.lemaire".into()));
        assert_eq!(login.to_string(), "login:julien.lemaire");
    }

    #[test]
    fn checked_constructors_match_parse() {
        assert_eq!(
            NationalId::rpps("10100000041").unwrap(),
            NationalId::parse("810100000041").unwrap()
        );
        assert_eq!(
            NationalId::adeli("640000012").unwrap(),
            NationalId::parse("0640000012").unwrap()
        );
        assert!(matches!(
            NationalId::rpps("1010000004").unwrap_err(),
            NationalIdError::InvalidRpps { .. }
        ));
        assert!(matches!(
            NationalId::adeli("64000001X").unwrap_err(),
            NationalIdError::InvalidAdeli { .. }
        ));
    }

    #[test]
    fn rejects() {
        assert_eq!(NationalId::parse(" ").unwrap_err(), NationalIdError::Empty);
        for bad in [
            "10100000041",   // RPPS without its 8
            "8101000000411", // 12 digits after 8
            "640000012",     // ADELI without its 0
            "8640000012",    // 8 + 9 digits
            "0101000000411", // 0 + 12 digits
            "81010000004A",
        ] {
            assert!(
                matches!(
                    NationalId::parse(bad).unwrap_err(),
                    NationalIdError::Unrecognised { .. }
                ),
                "{bad}"
            );
        }
        for bad in ["login:", "login:julien lemaire", "login:hélène"] {
            assert!(
                matches!(
                    NationalId::parse(bad).unwrap_err(),
                    NationalIdError::InvalidLogin { .. }
                ),
                "{bad}"
            );
        }
        assert_eq!(
            NationalId::parse("1234").unwrap_err().to_string(),
            "Identifiant national « 1234 » invalide : 8 suivi des 11 chiffres du RPPS, \
             0 suivi des 9 chiffres ADELI, ou « login: » suivi de l'identifiant de connexion."
        );
    }

    #[test]
    fn serde_as_national_string() {
        let id = NationalId::Adeli("640000012".into());
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"0640000012\"");
        let back: NationalId = serde_json::from_str("\"login:julien.lemaire\"").unwrap();
        assert_eq!(back, NationalId::OperatorLogin("julien.lemaire".into()));
        assert!(serde_json::from_str::<NationalId>("\"42\"").is_err());
    }

    #[test]
    fn display_names() {
        let marie = Person {
            national_id: NationalId::parse("810100000041").unwrap(),
            given_name: "Marie".into(),
            family_name: "MARTIN".into(),
            login: "marie.martin@ch-demo.mssante.fr".into(),
            own_box: Some(BoxAddress::parse("marie.martin@ch-demo.mssante.fr").unwrap()),
            profession: "Infirmier".into(),
            identity: IdentitySource::Annuaire,
        };
        assert_eq!(marie.display_name(), "Marie MARTIN");
        let helene = Person {
            given_name: " Hélène ".into(),
            family_name: "Roux".into(),
            ..marie.clone()
        };
        assert_eq!(helene.display_name(), "Hélène ROUX");
        let only_family = Person {
            given_name: String::new(),
            ..marie
        };
        assert_eq!(only_family.display_name(), "MARTIN");
    }
}
