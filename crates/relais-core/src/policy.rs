//! Checks made before a message leaves: pure functions over domain types, each returning a
//! [`PolicyError`] whose French message names what is wrong, ready to show to the person.
//!
//! - [`check_trust_space`]: health data must not go outside the MSSanté trust space; the client
//!   warns before it does, and sends only if the person confirms (`allow_outside`).
//! - [`check_patients`] (ECO.2.2.6), the one home of the patient rule, whatever way the
//!   address was entered (typed, pasted, reply, reply-all, forward, draft, CLI): every address
//!   at `patient.mssante.fr` must be a matricule INS with its key ([`check_patient_address`]),
//!   and one message goes to at most one patient ([`check_one_patient`]), so that a patient
//!   never sees another patient's address or data; a patient plus professionals is fine.
//! - [`SizeLimits`]: per attachment, per message, and the ≈ 25 Mo limit of patients' boxes,
//!   checked before sending rather than learnt from a bounce.
//!
//! Sizes are in bytes; "Mo" means 1024 × 1024 bytes, as mail servers count.

use thiserror::Error;

use crate::address::BoxAddress;
use crate::ins::{Ins, InsError};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * 1024;

/// A sending rule that a message breaks. Display messages are French.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PolicyError {
    /// Recipients outside `*.mssante.fr` (each listed once, in the order given).
    #[error("{}", outside_message(.addresses))]
    OutsideTrustSpace {
        /// The outside addresses.
        addresses: Vec<BoxAddress>,
    },
    /// Two or more distinct patients among To, Cc and Bcc.
    #[error(
        "Un message ne peut être adressé qu'à un seul patient ; celui-ci en vise {} : {}.",
        .addresses.len(),
        join(.addresses)
    )]
    SeveralPatients {
        /// The distinct patient addresses, in the order given.
        addresses: Vec<BoxAddress>,
    },
    /// A recipient at `patient.mssante.fr` whose part before `@` is not a matricule INS
    /// written as its 15 characters with a valid key (ECO.2.2.6).
    #[error(
        "L'adresse patient {address} n'est pas valide : {}",
        patient_reason(.reason)
    )]
    InvalidPatientAddress {
        /// The address as given (normalised).
        address: BoxAddress,
        /// What is wrong with the matricule; `None` when it is valid but written with
        /// separators (an address holds the 15 characters only).
        reason: Option<InsError>,
    },
    /// One attachment is over the per-attachment limit.
    #[error(
        "La pièce jointe « {name} » pèse {} : la limite est de {}.",
        size_over_limit(*.size),
        human_size(*.limit)
    )]
    AttachmentTooLarge {
        /// File name as shown to the person.
        name: String,
        /// Its size in bytes.
        size: u64,
        /// The limit in bytes.
        limit: u64,
    },
    /// The whole message is over the limit that applies.
    #[error(
        "Le message pèse {} : la limite est de {}{}.",
        size_over_limit(*.size),
        human_size(*.limit),
        if *.to_patient { " pour un message à un patient" } else { "" }
    )]
    MessageTooLarge {
        /// Size of the message in bytes.
        size: u64,
        /// The limit in bytes.
        limit: u64,
        /// Whether the binding limit is the one for messages to patients.
        to_patient: bool,
    },
}

fn join(addresses: &[BoxAddress]) -> String {
    addresses
        .iter()
        .map(BoxAddress::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

fn outside_message(addresses: &[BoxAddress]) -> String {
    match addresses {
        [one] => format!(
            "L'adresse {one} est hors de l'espace de confiance MSSanté : \
             des données de santé ne doivent pas y être envoyées."
        ),
        _ => format!(
            "Ces adresses sont hors de l'espace de confiance MSSanté : {}. \
             Des données de santé ne doivent pas y être envoyées.",
            join(addresses)
        ),
    }
}

/// Refuses recipients outside the trust space, unless the person chose to send anyway
/// (`allow_outside`, after the warning built from this very error).
pub fn check_trust_space(
    recipients: &[BoxAddress],
    allow_outside: bool,
) -> Result<(), PolicyError> {
    if allow_outside {
        return Ok(());
    }
    let mut outside: Vec<BoxAddress> = Vec::new();
    for address in recipients.iter().filter(|a| !a.is_in_trust_space()) {
        if !outside.contains(address) {
            outside.push(address.clone());
        }
    }
    if outside.is_empty() {
        Ok(())
    } else {
        Err(PolicyError::OutsideTrustSpace { addresses: outside })
    }
}

fn patient_reason(reason: &Option<InsError>) -> String {
    match reason {
        Some(e) => e.to_string(),
        None => "le matricule INS s'y écrit en 15 caractères, sans séparateur.".to_owned(),
    }
}

/// The matricule INS of a patient address (`<matricule>@patient.mssante.fr`), checked for
/// format and key; `Ok(None)` for an address that is not a patient's.
pub fn check_patient_address(address: &BoxAddress) -> Result<Option<Ins>, PolicyError> {
    if !address.is_patient() {
        return Ok(None);
    }
    if let Some(ins) = address.patient_ins() {
        return Ok(Some(ins));
    }
    let reason = Ins::parse(address.local()).err();
    Err(PolicyError::InvalidPatientAddress {
        address: address.clone(),
        reason,
    })
}

/// The patient rule of ECO.2.2.6 on all the recipients of a message (To, Cc and Bcc
/// together): every patient address is a valid matricule INS, and there is one patient at
/// most. Professionals beside the patient are fine.
pub fn check_patients(recipients: &[BoxAddress]) -> Result<(), PolicyError> {
    for address in recipients {
        check_patient_address(address)?;
    }
    check_one_patient(recipients)
}

/// Refuses a message addressed to two or more distinct patients (To, Cc and Bcc together).
pub fn check_one_patient(recipients: &[BoxAddress]) -> Result<(), PolicyError> {
    let mut patients: Vec<BoxAddress> = Vec::new();
    for address in recipients.iter().filter(|a| a.is_patient()) {
        if !patients.contains(address) {
            patients.push(address.clone());
        }
    }
    if patients.len() > 1 {
        Err(PolicyError::SeveralPatients {
            addresses: patients,
        })
    } else {
        Ok(())
    }
}

/// Size limits checked before sending. Limits are inclusive: a file of exactly the limit
/// passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SizeLimits {
    /// Largest attachment, in bytes. Default 10 Mo.
    pub per_attachment: u64,
    /// Largest message, in bytes, when the operator sets one. Default none.
    pub per_message: Option<u64>,
    /// Largest message to a patient, in bytes. Default 25 Mo.
    pub patient_message: u64,
}

impl Default for SizeLimits {
    fn default() -> Self {
        SizeLimits {
            per_attachment: 10 * MIB,
            per_message: None,
            patient_message: 25 * MIB,
        }
    }
}

impl SizeLimits {
    /// Checks one attachment; `name` is the file name shown in the error.
    pub fn check_attachment(&self, name: &str, size: u64) -> Result<(), PolicyError> {
        if size > self.per_attachment {
            Err(PolicyError::AttachmentTooLarge {
                name: name.to_owned(),
                size,
                limit: self.per_attachment,
            })
        } else {
            Ok(())
        }
    }

    /// Checks the whole message (`total` bytes, as it will be sent); `has_patient` when a
    /// patient is among the recipients, where the stricter of the two limits applies.
    pub fn check_message(&self, total: u64, has_patient: bool) -> Result<(), PolicyError> {
        let general = self.per_message.unwrap_or(u64::MAX);
        let (limit, to_patient) = if has_patient && self.patient_message <= general {
            (self.patient_message, true)
        } else {
            (general, false)
        };
        if total > limit {
            Err(PolicyError::MessageTooLarge {
                size: total,
                limit,
                to_patient,
            })
        } else {
            Ok(())
        }
    }
}

/// A size in French for display, one decimal with a comma, units of 1024:
/// « 850 octets », « 12,4 Mo », « 10 Mo », « 1,5 Go ».
pub fn human_size(bytes: u64) -> String {
    format_size(bytes, false)
}

/// A size over a limit, rounded up so that it never reads as equal to the limit
/// (10 Mo + 1 octet reads « 10,1 Mo », not « 10 Mo »).
fn size_over_limit(bytes: u64) -> String {
    format_size(bytes, true)
}

fn format_size(bytes: u64, round_up: bool) -> String {
    const UNITS: [(u64, &str); 4] = [
        (KIB * KIB * KIB * KIB, "To"),
        (KIB * KIB * KIB, "Go"),
        (MIB, "Mo"),
        (KIB, "Ko"),
    ];
    let Some((unit, name)) = UNITS.iter().find(|(unit, _)| bytes >= *unit) else {
        return if bytes < 2 {
            format!("{bytes} octet")
        } else {
            format!("{bytes} octets")
        };
    };
    let (scaled, unit) = (u128::from(bytes) * 10, u128::from(*unit));
    let tenths = if round_up {
        scaled.div_ceil(unit)
    } else {
        (scaled * 2 + unit) / (unit * 2)
    };
    if tenths % 10 == 0 {
        format!("{} {name}", tenths / 10)
    } else {
        format!("{},{} {name}", tenths / 10, tenths % 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addrs(list: &[&str]) -> Vec<BoxAddress> {
        list.iter().map(|s| BoxAddress::parse(s).unwrap()).collect()
    }

    #[test]
    fn trust_space_accepts_mssante_recipients() {
        let r = addrs(&[
            "pierre.durand@ch-demo.mssante.fr",
            "285036444512379@patient.mssante.fr",
            "x@mssante.fr",
        ]);
        assert_eq!(check_trust_space(&r, false), Ok(()));
    }

    #[test]
    fn trust_space_lists_outside_recipients_once() {
        let r = addrs(&[
            "pierre.durand@ch-demo.mssante.fr",
            "dr.durand@gmail.com",
            "x@mssante.fr.evil.com",
            "Dr.Durand@gmail.com",
        ]);
        let err = check_trust_space(&r, false).unwrap_err();
        assert_eq!(
            err,
            PolicyError::OutsideTrustSpace {
                addresses: addrs(&["dr.durand@gmail.com", "x@mssante.fr.evil.com"])
            }
        );
        assert_eq!(
            err.to_string(),
            "Ces adresses sont hors de l'espace de confiance MSSanté : dr.durand@gmail.com, \
             x@mssante.fr.evil.com. Des données de santé ne doivent pas y être envoyées."
        );
        let one = check_trust_space(&addrs(&["a@evilmssante.fr"]), false).unwrap_err();
        assert_eq!(
            one.to_string(),
            "L'adresse a@evilmssante.fr est hors de l'espace de confiance MSSanté : \
             des données de santé ne doivent pas y être envoyées."
        );
        // the person confirmed
        assert_eq!(check_trust_space(&r, true), Ok(()));
    }

    #[test]
    fn one_patient_plus_professionals_is_fine() {
        let r = addrs(&[
            "285036444512379@patient.mssante.fr",
            "pierre.durand@ch-demo.mssante.fr",
            "secretariat.cardio@ch-demo.mssante.fr",
            "285036444512379@PATIENT.mssante.fr", // same patient twice (To and Cc)
        ]);
        assert_eq!(check_one_patient(&r), Ok(()));
        assert_eq!(check_one_patient(&[]), Ok(()));
    }

    #[test]
    fn two_patients_are_refused() {
        let r = addrs(&[
            "285036444512379@patient.mssante.fr",
            "pierre.durand@ch-demo.mssante.fr",
            "162027505607848@patient.mssante.fr",
        ]);
        let err = check_one_patient(&r).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Un message ne peut être adressé qu'à un seul patient ; celui-ci en vise 2 : \
             285036444512379@patient.mssante.fr, 162027505607848@patient.mssante.fr."
        );
    }

    #[test]
    fn eco_2_2_6_every_patient_address_is_a_matricule_ins_with_its_key() {
        // A professional is not checked; a valid patient gives its INS.
        assert_eq!(
            check_patient_address(&addrs(&["pierre.durand@ch-demo.mssante.fr"])[0]),
            Ok(None)
        );
        let ins = check_patient_address(&addrs(&["285036444512379@patient.mssante.fr"])[0]);
        assert_eq!(ins.unwrap().unwrap().as_str(), "285036444512379");
        // Wrong key, wrong length, letters, separators: each refused with its reason.
        let cases = [
            (
                "285036444512378@patient.mssante.fr",
                "L'adresse patient 285036444512378@patient.mssante.fr n'est pas valide : \
                 La clé du matricule INS ne correspond pas : vérifiez la saisie.",
            ),
            (
                "28503644451237@patient.mssante.fr",
                "L'adresse patient 28503644451237@patient.mssante.fr n'est pas valide : \
                 Le matricule INS doit comporter 15 caractères (13 + clé de 2 chiffres) ; \
                 14 saisis.",
            ),
            (
                "camille.dubois@patient.mssante.fr",
                "L'adresse patient camille.dubois@patient.mssante.fr n'est pas valide : \
                 Caractère « c » invalide en position 1 du matricule INS : seuls des chiffres \
                 sont admis (et 2A ou 2B pour un département de naissance corse).",
            ),
            (
                "2850364-44512379@patient.mssante.fr",
                "L'adresse patient 2850364-44512379@patient.mssante.fr n'est pas valide : \
                 le matricule INS s'y écrit en 15 caractères, sans séparateur.",
            ),
        ];
        for (address, message) in cases {
            let r = addrs(&[address, "pierre.durand@ch-demo.mssante.fr"]);
            let err = check_patients(&r).unwrap_err();
            assert!(
                matches!(err, PolicyError::InvalidPatientAddress { .. }),
                "{err:?}"
            );
            assert_eq!(err.to_string(), message);
        }
        // Two valid patients: the one-patient rule; one patient and professionals: fine.
        let two = addrs(&[
            "285036444512379@patient.mssante.fr",
            "162027505607848@patient.mssante.fr",
        ]);
        assert!(matches!(
            check_patients(&two),
            Err(PolicyError::SeveralPatients { .. })
        ));
        let fine = addrs(&[
            "pierre.durand@ch-demo.mssante.fr",
            "285036444512379@patient.mssante.fr",
        ]);
        assert_eq!(check_patients(&fine), Ok(()));
    }

    #[test]
    fn attachment_limit() {
        let limits = SizeLimits::default();
        assert_eq!(limits.per_attachment, 10 * 1024 * 1024);
        assert_eq!(limits.patient_message, 25 * 1024 * 1024);
        assert_eq!(limits.check_attachment("ok.pdf", 10 * MIB), Ok(()));
        let err = limits
            .check_attachment("compte-rendu.pdf", 13_002_342)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "La pièce jointe « compte-rendu.pdf » pèse 12,4 Mo : la limite est de 10 Mo."
        );
        let just_over = limits
            .check_attachment("scan.tiff", 10 * MIB + 1)
            .unwrap_err();
        assert_eq!(
            just_over.to_string(),
            "La pièce jointe « scan.tiff » pèse 10,1 Mo : la limite est de 10 Mo."
        );
    }

    #[test]
    fn message_limits() {
        let limits = SizeLimits::default();
        // no general limit by default
        assert_eq!(limits.check_message(200 * MIB, false), Ok(()));
        assert_eq!(limits.check_message(25 * MIB, true), Ok(()));
        let err = limits.check_message(30 * MIB, true).unwrap_err();
        assert_eq!(
            err,
            PolicyError::MessageTooLarge {
                size: 30 * MIB,
                limit: 25 * MIB,
                to_patient: true
            }
        );
        assert_eq!(
            err.to_string(),
            "Le message pèse 30 Mo : la limite est de 25 Mo pour un message à un patient."
        );

        let strict = SizeLimits {
            per_message: Some(20 * MIB),
            ..SizeLimits::default()
        };
        let err = strict.check_message(21 * MIB, false).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Le message pèse 21 Mo : la limite est de 20 Mo."
        );
        // the stricter limit applies to patients too
        assert_eq!(
            strict.check_message(21 * MIB, true).unwrap_err(),
            PolicyError::MessageTooLarge {
                size: 21 * MIB,
                limit: 20 * MIB,
                to_patient: false
            }
        );
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human_size(0), "0 octet");
        assert_eq!(human_size(1), "1 octet");
        assert_eq!(human_size(850), "850 octets");
        assert_eq!(human_size(1024), "1 Ko");
        assert_eq!(human_size(1536), "1,5 Ko");
        assert_eq!(human_size(10 * MIB), "10 Mo");
        assert_eq!(human_size(13_002_342), "12,4 Mo");
        assert_eq!(human_size(3 * MIB * 1024 / 2), "1,5 Go");
        assert_eq!(human_size(u64::MAX), "16777216 To");
    }
}
