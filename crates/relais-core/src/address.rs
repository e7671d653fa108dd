//! Mailbox addresses, and where they stand with respect to the MSSanté trust space.
//!
//! Health data may only go to addresses inside the *espace de confiance*, whose domains all end
//! in `mssante.fr`; a patient's address is `<matricule INS>@patient.mssante.fr`. Both checks are
//! made on a parsed, normalised [`BoxAddress`], never on raw text, so that tricks such as
//! `x@mssante.fr.evil.com`, `x@evilmssante.fr` or odd case cannot slip through.
//!
//! ## What is accepted
//!
//! A bare address `local@domain` (no display name, no angle brackets: splitting a `To:` header
//! into mailboxes is the engine's job), ASCII only:
//! - local part: 1–64 characters of the RFC 5322 *dot-atom* set (letters, digits and
//!   ``!#$%&'*+/=?^_`{|}~-``, dots between them), no quoted local parts;
//! - domain: at least two labels of letters, digits and `-` (not at either end of a label),
//!   63 characters per label, no IP literal;
//! - 254 characters at most in all.
//!
//! ## Normalisation
//!
//! Surrounding white space is removed and the whole address is lowercased, so that two
//! spellings of one box compare equal. One exception: on `patient.mssante.fr`, a local part
//! that is a matricule INS is written in the INS canonical form, i.e. a Corsican department is
//! `2A`/`2B` uppercase, as the ANS writes those addresses.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::ins::Ins;

/// The domain of the whole MSSanté trust space.
pub const TRUST_SPACE_DOMAIN: &str = "mssante.fr";

/// The domain of patients' boxes (Mon espace santé).
pub const PATIENT_DOMAIN: &str = "patient.mssante.fr";

const MAX_ADDRESS_LENGTH: usize = 254;
const MAX_LOCAL_LENGTH: usize = 64;
const MAX_DOMAIN_LENGTH: usize = 253;
const MAX_LABEL_LENGTH: usize = 63;

/// A validated, normalised e-mail address of a box (see the module doc for the rules).
/// Serialises as its string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BoxAddress {
    full: String,
    at: usize,
}

/// Why a text is not a valid box address. Display messages are French and quote the address.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AddressError {
    /// Nothing was given.
    #[error("L'adresse est vide.")]
    Empty,
    /// No `@`.
    #[error("L'adresse « {input} » est incomplète : il manque « @ » suivi du domaine.")]
    MissingAt {
        /// What was given.
        input: String,
    },
    /// The part before `@` is empty, too long or has characters not allowed there.
    #[error("La partie avant « @ » de l'adresse « {input} » est invalide.")]
    InvalidLocalPart {
        /// What was given.
        input: String,
    },
    /// The part after `@` is not a valid domain name.
    #[error("Le domaine de l'adresse « {input} » est invalide.")]
    InvalidDomain {
        /// What was given.
        input: String,
    },
    /// Longer than 254 characters.
    #[error("L'adresse « {input} » est trop longue ({length} caractères, 254 au plus).")]
    TooLong {
        /// What was given.
        input: String,
        /// Its length in characters.
        length: usize,
    },
}

impl BoxAddress {
    /// Parses and normalises an address.
    pub fn parse(input: &str) -> Result<BoxAddress, AddressError> {
        let text = input.trim();
        if text.is_empty() {
            return Err(AddressError::Empty);
        }
        let length = text.chars().count();
        if length > MAX_ADDRESS_LENGTH {
            return Err(AddressError::TooLong {
                input: text.to_owned(),
                length,
            });
        }
        let Some((local, domain)) = text.rsplit_once('@') else {
            return Err(AddressError::MissingAt {
                input: text.to_owned(),
            });
        };
        if !is_valid_local(local) {
            return Err(AddressError::InvalidLocalPart {
                input: text.to_owned(),
            });
        }
        if !is_valid_domain(domain) {
            return Err(AddressError::InvalidDomain {
                input: text.to_owned(),
            });
        }
        let domain = domain.to_ascii_lowercase();
        let mut local = local.to_ascii_lowercase();
        if domain == PATIENT_DOMAIN {
            if let Some(ins) = strict_ins(&local) {
                local = ins.as_str().to_owned();
            }
        }
        Ok(BoxAddress::from_parts(&local, &domain))
    }

    /// The patient address of a matricule INS; cannot fail.
    pub(crate) fn for_patient(ins: &Ins) -> BoxAddress {
        BoxAddress::from_parts(ins.as_str(), PATIENT_DOMAIN)
    }

    fn from_parts(local: &str, domain: &str) -> BoxAddress {
        BoxAddress {
            full: format!("{local}@{domain}"),
            at: local.len(),
        }
    }

    /// The whole address.
    pub fn as_str(&self) -> &str {
        &self.full
    }

    /// The part before `@`.
    pub fn local(&self) -> &str {
        &self.full[..self.at]
    }

    /// The domain, lowercase.
    pub fn domain(&self) -> &str {
        &self.full[self.at + 1..]
    }

    /// Inside the MSSanté trust space: the domain is `mssante.fr` or one of its subdomains.
    pub fn is_in_trust_space(&self) -> bool {
        let domain = self.domain();
        domain == TRUST_SPACE_DOMAIN
            || domain
                .strip_suffix(TRUST_SPACE_DOMAIN)
                .is_some_and(|head| head.ends_with('.'))
    }

    /// A patient's box: the domain is exactly `patient.mssante.fr`.
    pub fn is_patient(&self) -> bool {
        self.domain() == PATIENT_DOMAIN
    }

    /// The patient's matricule INS, when this is a patient address whose local part is one
    /// (exactly 15 characters, no separators, valid key).
    pub fn patient_ins(&self) -> Option<Ins> {
        if self.is_patient() {
            strict_ins(self.local())
        } else {
            None
        }
    }
}

/// A matricule INS written exactly as the 15 characters (any case), as in an address.
fn strict_ins(local: &str) -> Option<Ins> {
    Ins::parse(local)
        .ok()
        .filter(|ins| ins.as_str().eq_ignore_ascii_case(local))
}

fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-".contains(c)
}

fn is_valid_local(local: &str) -> bool {
    !local.is_empty()
        && local.len() <= MAX_LOCAL_LENGTH
        && local
            .split('.')
            .all(|atom| !atom.is_empty() && atom.chars().all(is_atext))
}

fn is_valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    domain.len() <= MAX_DOMAIN_LENGTH
        && labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= MAX_LABEL_LENGTH
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

impl fmt::Display for BoxAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full)
    }
}

impl FromStr for BoxAddress {
    type Err = AddressError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BoxAddress::parse(s)
    }
}

impl TryFrom<String> for BoxAddress {
    type Error = AddressError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        BoxAddress::parse(&value)
    }
}

impl TryFrom<&str> for BoxAddress {
    type Error = AddressError;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        BoxAddress::parse(value)
    }
}

impl From<BoxAddress> for String {
    fn from(address: BoxAddress) -> Self {
        address.full
    }
}

impl AsRef<str> for BoxAddress {
    fn as_ref(&self) -> &str {
        &self.full
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> BoxAddress {
        BoxAddress::parse(s).unwrap()
    }

    #[test]
    fn parses_and_normalises() {
        let a = addr("  Marie.Martin@CH-Demo.MSSante.fr ");
        assert_eq!(a.as_str(), "marie.martin@ch-demo.mssante.fr");
        assert_eq!(a.local(), "marie.martin");
        assert_eq!(a.domain(), "ch-demo.mssante.fr");
        assert_eq!(a, addr("marie.martin@ch-demo.mssante.fr"));
        assert_eq!(a.to_string(), "marie.martin@ch-demo.mssante.fr");
    }

    #[test]
    fn persona_boxes_parse() {
        for s in [
            "helene.roux@cabinet-vignes.mssante.fr",
            "secretariat.cardio@ch-demo.mssante.fr",
            "accueil@ehpad-tilleuls.mssante.fr",
            "noreply-biologie@ch-demo.mssante.fr",
            "jacques.leroy@cardio-pau.mssante.fr",
            "285036444512379@patient.mssante.fr",
        ] {
            let a = addr(s);
            assert_eq!(a.as_str(), s);
            assert!(a.is_in_trust_space(), "{s}");
        }
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(BoxAddress::parse("  ").unwrap_err(), AddressError::Empty);
        assert!(matches!(
            BoxAddress::parse("marie.martin").unwrap_err(),
            AddressError::MissingAt { .. }
        ));
        for local in [
            "@ch-demo.mssante.fr",
            ".marie@x.fr",
            "marie.@x.fr",
            "ma..rie@x.fr",
        ] {
            assert!(
                matches!(
                    BoxAddress::parse(local).unwrap_err(),
                    AddressError::InvalidLocalPart { .. }
                ),
                "{local}"
            );
        }
        assert!(matches!(
            BoxAddress::parse("a@b@ch-demo.mssante.fr").unwrap_err(),
            AddressError::InvalidLocalPart { .. }
        ));
        assert!(matches!(
            BoxAddress::parse("hélène@x.fr").unwrap_err(),
            AddressError::InvalidLocalPart { .. }
        ));
        assert!(matches!(
            BoxAddress::parse("Marie <marie@x.fr>").unwrap_err(),
            AddressError::InvalidLocalPart { .. }
        ));
        for domain in [
            "marie@",
            "marie@localhost",
            "marie@mssante.fr.",
            "marie@-x.mssante.fr",
            "marie@x-.mssante.fr",
            "marie@x..fr",
            "marie@[127.0.0.1]",
            "marie@exemple fr",
        ] {
            assert!(
                matches!(
                    BoxAddress::parse(domain),
                    Err(AddressError::InvalidDomain { .. })
                ),
                "{domain}"
            );
        }
        let long = format!("{}@x.fr", "a".repeat(250));
        assert!(matches!(
            BoxAddress::parse(&long).unwrap_err(),
            AddressError::TooLong { length: 255, .. }
        ));
    }

    #[test]
    fn french_messages_quote_the_address() {
        let err = BoxAddress::parse("marie.martin").unwrap_err();
        assert_eq!(
            err.to_string(),
            "L'adresse « marie.martin » est incomplète : il manque « @ » suivi du domaine."
        );
    }

    #[test]
    fn trust_space() {
        assert!(addr("a@mssante.fr").is_in_trust_space());
        assert!(addr("a@MSSANTE.FR").is_in_trust_space());
        assert!(addr("a@ch-pau.mssante.fr").is_in_trust_space());
        assert!(addr("a@deep.sub.mssante.fr").is_in_trust_space());
        assert!(!addr("a@mssante.fr.evil.com").is_in_trust_space());
        assert!(!addr("a@evilmssante.fr").is_in_trust_space());
        assert!(!addr("a@mssante.com").is_in_trust_space());
        assert!(!addr("mssante.fr@gmail.com").is_in_trust_space());
        assert!(!addr("a@xmssante.fr").is_in_trust_space());
    }

    #[test]
    fn patients() {
        let p = addr("285036444512379@Patient.MSSante.fr");
        assert!(p.is_patient());
        assert_eq!(p.patient_ins().unwrap().as_str(), "285036444512379");
        assert!(!addr("285036444512379@patient.mssante.fr.evil.com").is_patient());
        assert!(!addr("285036444512379@x.patient.mssante.fr").is_patient());
        assert!(!addr("marie@ch-demo.mssante.fr").is_patient());
        assert!(addr("marie@ch-demo.mssante.fr").patient_ins().is_none());
        // a patient-domain address whose local part is not a valid INS
        assert!(addr("285036444512378@patient.mssante.fr")
            .patient_ins()
            .is_none());
        // separators are not silently removed from an address
        let dotted = addr("2850364445.12379@patient.mssante.fr");
        assert_eq!(dotted.as_str(), "2850364445.12379@patient.mssante.fr");
        assert!(dotted.patient_ins().is_none());
    }

    #[test]
    fn corsican_patient_address_is_canonical() {
        let lower = addr("293112a00412992@patient.mssante.fr");
        assert_eq!(lower.as_str(), "293112A00412992@patient.mssante.fr");
        assert_eq!(lower, addr("293112A00412992@PATIENT.mssante.fr"));
        assert_eq!(
            lower.patient_ins().unwrap(),
            Ins::parse("293112A00412992").unwrap()
        );
        assert_eq!(
            Ins::parse("293112A00412992").unwrap().patient_address(),
            lower
        );
    }

    #[test]
    fn serde_as_string() {
        let a = addr("marie.martin@ch-demo.mssante.fr");
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, "\"marie.martin@ch-demo.mssante.fr\"");
        let back: BoxAddress = serde_json::from_str("\"Marie.Martin@ch-demo.mssante.fr\"").unwrap();
        assert_eq!(back, a);
        assert!(serde_json::from_str::<BoxAddress>("\"nope\"").is_err());
    }
}
