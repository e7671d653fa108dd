//! # relais-core — the domain of Relais
//!
//! Relais is a desktop mail client for MSSanté, the French secure health-messaging
//! *espace de confiance*. This crate holds the rules of that world as plain Rust types and
//! pure functions: **no I/O, no async, no network, no Tauri**. The mail engine (IMAP/SMTP),
//! the command-line tool and the desktop app all depend on it, so that a matricule INS, a box
//! address or a sending rule means exactly the same thing everywhere, and can be tested in
//! milliseconds.
//!
//! What lives here, one module per concern:
//!
//! - [`ins`] — the patient identifier (matricule INS: NIR or NIA + key) and the qualified
//!   identity traits shown next to a patient's address so nobody writes to the wrong patient;
//! - [`address`] — [`BoxAddress`], a validated, normalised mailbox address, and whether it
//!   belongs to the trust space (`*.mssante.fr`) or to a patient (`@patient.mssante.fr`);
//! - [`boxes`] — the kinds of box (nominative, organisational, applicative), IMAP rights
//!   (RFC 4314) and how a person opens a box they are entitled to;
//! - [`person`] — the professional using Relais and their national identifier (RPPS, ADELI,
//!   or an operator login for staff who have neither);
//! - [`author`] — who wrote a message sent from a shared box, and the `X-Relais-Author`
//!   header that carries it;
//! - [`policy`] — checks run before sending: trust space, one patient per message, sizes.
//!
//! Errors a person may see have French `Display` messages (the users are French) that name
//! the offending item. Values that cross to the UI or CLI as JSON serialise through `serde`,
//! validated types as their canonical string.
//!
//! ```
//! use relais_core::{check_one_patient, check_trust_space, Author, BoxAddress, Ins, NationalId};
//!
//! let ins = Ins::parse("2 85 03 64 445 123 79")?;
//! let patient = ins.patient_address();
//! assert_eq!(patient.as_str(), "285036444512379@patient.mssante.fr");
//!
//! let doctor = BoxAddress::parse("pierre.durand@ch-demo.mssante.fr")?;
//! check_trust_space(&[patient.clone(), doctor.clone()], false)?;
//! check_one_patient(&[patient, doctor])?;
//!
//! let author = Author::new(
//!     "Marie MARTIN",
//!     NationalId::parse("810100000041")?,
//!     Some(BoxAddress::parse("marie.martin@ch-demo.mssante.fr")?),
//! )?;
//! let header = author.to_header_value();
//! assert_eq!(Author::parse_header_value(&header)?, author);
//! assert_eq!(
//!     author.signature_line(Some("Secrétariat de cardiologie")),
//!     "Marie MARTIN — pour le Secrétariat de cardiologie"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

/// `X-MSS-NIL` (ECO.2.4.3): the reference of this software product, written on every message
/// it sends. It belongs to the product, not to an operator, so no profile or setting can change
/// it. This is Relais' reference before homologation; the number the ANS gives at
/// homologation replaces it here (docs/conformity.md).
pub const X_MSS_NIL: &str = "RELAIS-PRE-HOMOLOGATION";

pub mod address;
pub mod author;
pub mod boxes;
pub mod ins;
pub mod person;
pub mod policy;

pub use address::{AddressError, BoxAddress};
pub use author::{
    percent_decode_strict, Author, AuthorError, AuthorHeaderError, AUTHOR_HEADER_NAME,
};
pub use boxes::{Access, BoxKind, Entitlement, Rights, RightsError};
pub use ins::{
    BirthDate, BirthplaceCode, IdentityTraits, Ins, InsError, InsKind, QualifiedPatient, Sex,
    TraitsError,
};
pub use person::{IdentitySource, NationalId, NationalIdError, Person};
pub use policy::{
    check_one_patient, check_patient_address, check_patients, check_trust_space, human_size,
    PolicyError, SizeLimits,
};
