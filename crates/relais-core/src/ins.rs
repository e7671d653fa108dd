//! The patient identifier: the **matricule INS** (Identifiant National de Santé), and the
//! qualified identity that goes with it.
//!
//! A patient's MSSanté address is their matricule INS followed by `@patient.mssante.fr`, so a
//! typo in it sends health data to someone else. [`Ins::parse`] therefore checks everything the
//! public NIR rules allow a client to check, and says plainly what is wrong.
//!
//! ## The rules implemented here
//!
//! - 15 characters: a 13-character number, then a 2-digit key.
//! - The number is a **NIR** (numéro de sécurité sociale) or, for people still waiting for a
//!   NIR, a **NIA** (numéro d'immatriculation d'attente). Its first digit is:
//!   `1` or `2` (NIR, sex), `3` or `4` (NIR given in some special cases, e.g. people born
//!   abroad during their registration), `7` or `8` (NIA, a temporary number). Any other first
//!   digit is refused. `7`/`8` give [`InsKind::Nia`], the rest [`InsKind::Nir`].
//! - Digits only, except for people born in Corsica: the department of birth (6th and 7th
//!   characters) may be `2A` or `2B`. A letter anywhere else is refused.
//! - Key = 97 − (the 13-digit number mod 97), where `2A` counts as `19` and `2B` as `18`.
//!
//! Input is accepted as printed on a card or typed by a person: white space of any kind
//! (spaces, non-breaking spaces, tabs), `-` and `.` are ignored, and `a`/`b` may be lowercase.
//! The canonical form ([`Ins::as_str`]) has no separators and uppercase letters.
//!
//! Month, year and commune are *not* checked: the NIR has codes for unknown months and
//! historical communes, and an INS comes from the INSi service anyway; the key catches typos.
//!
//! When the key is wrong the error does **not** reveal the expected key: showing it would let a
//! person "fix" a typo elsewhere in the number by copying the key, and write to a stranger.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::address::BoxAddress;

/// Number of characters of a matricule INS once separators are removed.
pub const INS_LENGTH: usize = 15;

/// A valid matricule INS, in canonical form (15 characters, Corsican letters uppercase).
///
/// Built only by [`Ins::parse`] (or `FromStr`, `TryFrom<String>`, serde), so holding an `Ins`
/// means the key was checked. Serialises as its 15-character string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Ins(String);

/// Whether a matricule INS is a definitive NIR or a temporary NIA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InsKind {
    /// Numéro d'inscription au répertoire (first digit 1, 2, 3 or 4).
    Nir,
    /// Numéro d'immatriculation d'attente, for people waiting for a NIR (first digit 7 or 8).
    Nia,
}

/// Why a text is not a valid matricule INS. Display messages are French, for the person who
/// typed it.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InsError {
    /// Nothing but separators was given.
    #[error("Le matricule INS est vide : saisissez les 15 caractères (13 + clé de 2 chiffres).")]
    Empty,
    /// Wrong number of characters once separators are removed.
    #[error(
        "Le matricule INS doit comporter 15 caractères (13 + clé de 2 chiffres) ; {found} saisis."
    )]
    WrongLength {
        /// How many characters were found (separators not counted).
        found: usize,
    },
    /// A character that can never appear in a matricule INS.
    #[error(
        "Caractère « {character} » invalide en position {position} du matricule INS : \
         seuls des chiffres sont admis (et 2A ou 2B pour un département de naissance corse)."
    )]
    InvalidCharacter {
        /// The offending character, as typed.
        character: char,
        /// Its position among the characters of the matricule, from 1, separators not counted.
        position: usize,
    },
    /// A letter `A`/`B` outside the Corsican department of birth (`2A`/`2B` at positions 6–7).
    #[error(
        "Lettre « {character} » mal placée en position {position} du matricule INS : \
         les lettres A et B ne sont admises que pour un département de naissance corse \
         (2A ou 2B, en 6e et 7e positions)."
    )]
    MisplacedCorsicanLetter {
        /// The offending letter, as typed.
        character: char,
        /// Its position among the characters of the matricule, from 1, separators not counted.
        position: usize,
    },
    /// The first digit is not 1, 2, 3, 4 (NIR) or 7, 8 (NIA).
    #[error(
        "Le matricule INS ne peut pas commencer par « {digit} » : il commence par 1, 2, 3 ou 4 \
         pour un NIR, 7 ou 8 pour un NIA."
    )]
    InvalidFirstDigit {
        /// The first digit found.
        digit: char,
    },
    /// The 2-digit key does not match the 13-character number. The expected key is
    /// deliberately not given.
    #[error("La clé du matricule INS ne correspond pas : vérifiez la saisie.")]
    KeyMismatch,
}

impl Ins {
    /// Parses a matricule INS as typed or printed on a card (see the module doc for the rules).
    pub fn parse(input: &str) -> Result<Ins, InsError> {
        let chars: Vec<char> = input
            .chars()
            .filter(|c| !(c.is_whitespace() || *c == '-' || *c == '.'))
            .collect();
        if chars.is_empty() {
            return Err(InsError::Empty);
        }
        // Characters first: a pasted e-mail address or a stray letter is better reported as
        // such than as a length problem.
        for (index, &character) in chars.iter().enumerate() {
            if !(character.is_ascii_digit() || matches!(character, 'a' | 'A' | 'b' | 'B')) {
                return Err(InsError::InvalidCharacter {
                    character,
                    position: index + 1,
                });
            }
        }
        if chars.len() != INS_LENGTH {
            return Err(InsError::WrongLength { found: chars.len() });
        }
        for (index, &character) in chars.iter().enumerate() {
            let corsican_slot = index == 6 && chars[5] == '2';
            if character.is_ascii_alphabetic() && !corsican_slot {
                return Err(InsError::MisplacedCorsicanLetter {
                    character,
                    position: index + 1,
                });
            }
        }
        let canonical: String = chars.iter().map(char::to_ascii_uppercase).collect();
        let first = chars[0];
        if !matches!(first, '1' | '2' | '3' | '4' | '7' | '8') {
            return Err(InsError::InvalidFirstDigit { digit: first });
        }
        let (number, key) = canonical.split_at(13);
        let expected = 97 - numeric_value(number) % 97;
        if key.parse::<u64>().ok() != Some(expected) {
            return Err(InsError::KeyMismatch);
        }
        Ok(Ins(canonical))
    }

    /// The 15 characters, without separators, Corsican letters uppercase.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// NIR or NIA, from the first digit.
    pub fn kind(&self) -> InsKind {
        if self.0.starts_with(['7', '8']) {
            InsKind::Nia
        } else {
            InsKind::Nir
        }
    }

    /// The patient's Mon espace santé address: `<matricule>@patient.mssante.fr`.
    pub fn patient_address(&self) -> BoxAddress {
        BoxAddress::for_patient(self)
    }

    /// Grouped like on a card, for display: `2 85 03 64 445 123 79`.
    pub fn formatted(&self) -> String {
        // sex, year, month, department, commune, order, key
        const GROUPS: [usize; 7] = [1, 2, 2, 2, 3, 3, 2];
        let mut out = String::with_capacity(INS_LENGTH + GROUPS.len());
        let mut rest = self.0.as_str();
        for (i, len) in GROUPS.iter().enumerate() {
            let (group, tail) = rest.split_at(*len);
            if i > 0 {
                out.push(' ');
            }
            out.push_str(group);
            rest = tail;
        }
        out
    }
}

/// Value of the 13-character number for the key, with `2A` → 19 and `2B` → 18.
/// Only called on text already checked to be digits, with letters only at index 6 after `2`.
fn numeric_value(number: &str) -> u64 {
    let mut value: u64 = 0;
    let mut digits = number.chars().peekable();
    while let Some(c) = digits.next() {
        let digit = match (c, digits.peek()) {
            // "2A" counts as "19", "2B" as "18".
            ('2', Some('A')) => {
                digits.next();
                value = value * 10 + 1;
                9
            }
            ('2', Some('B')) => {
                digits.next();
                value = value * 10 + 1;
                8
            }
            _ => u64::from(c.to_digit(10).unwrap_or(0)),
        };
        value = value * 10 + digit;
    }
    value
}

impl fmt::Display for Ins {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Ins {
    type Err = InsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ins::parse(s)
    }
}

impl TryFrom<String> for Ins {
    type Error = InsError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Ins::parse(&value)
    }
}

impl From<Ins> for String {
    fn from(ins: Ins) -> Self {
        ins.0
    }
}

impl AsRef<str> for Ins {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

// ---------------------------------------------------------------------------------------------
// Identity traits
// ---------------------------------------------------------------------------------------------

/// Sex as recorded in the national identity base (INSi): `F`, `M` or `I` (indéterminé).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Sex {
    /// Féminin.
    #[serde(rename = "F")]
    F,
    /// Masculin.
    #[serde(rename = "M")]
    M,
    /// Indéterminé.
    #[serde(rename = "I")]
    Indetermine,
}

impl Sex {
    /// Parses `F`, `M` or `I` (any case, surrounding spaces ignored).
    pub fn parse(input: &str) -> Result<Sex, TraitsError> {
        match input.trim() {
            "F" | "f" => Ok(Sex::F),
            "M" | "m" => Ok(Sex::M),
            "I" | "i" => Ok(Sex::Indetermine),
            other => Err(TraitsError::InvalidSex {
                input: other.to_owned(),
            }),
        }
    }

    /// The one-letter code: `F`, `M` or `I`.
    pub fn code(self) -> &'static str {
        match self {
            Sex::F => "F",
            Sex::M => "M",
            Sex::Indetermine => "I",
        }
    }

    /// "né", "née" or "né(e)", to agree with the sex in French sentences.
    fn born_fr(self) -> &'static str {
        match self {
            Sex::F => "née",
            Sex::M => "né",
            Sex::Indetermine => "né(e)",
        }
    }
}

impl fmt::Display for Sex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A calendar date of birth, checked to exist (leap years included, by `jiff`). Serialises as
/// `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BirthDate {
    year: u16,
    month: u8,
    day: u8,
}

impl BirthDate {
    /// A date from its parts; years 1 to 9999.
    pub fn new(year: u16, month: u8, day: u8) -> Result<BirthDate, TraitsError> {
        // The calendar (month lengths, leap years) is jiff's.
        let exists = i16::try_from(year)
            .ok()
            .zip(i8::try_from(month).ok().zip(i8::try_from(day).ok()))
            .is_some_and(|(y, (m, d))| jiff::civil::Date::new(y, m, d).is_ok());
        if year == 0 || year > 9999 || !exists {
            return Err(TraitsError::InvalidBirthDate {
                input: format!("{year:04}-{month:02}-{day:02}"),
            });
        }
        Ok(BirthDate { year, month, day })
    }

    /// Parses `YYYY-MM-DD` (ISO 8601, as INSi and FHIR give it).
    pub fn parse(input: &str) -> Result<BirthDate, TraitsError> {
        let invalid = || TraitsError::InvalidBirthDate {
            input: input.to_owned(),
        };
        let text = input.trim();
        let bytes = text.as_bytes();
        let shape_ok = bytes.len() == 10
            && bytes[4] == b'-'
            && bytes[7] == b'-'
            && bytes
                .iter()
                .enumerate()
                .all(|(i, b)| i == 4 || i == 7 || b.is_ascii_digit());
        if !shape_ok {
            return Err(invalid());
        }
        let year = text[0..4].parse().map_err(|_| invalid())?;
        let month = text[5..7].parse().map_err(|_| invalid())?;
        let day = text[8..10].parse().map_err(|_| invalid())?;
        BirthDate::new(year, month, day).map_err(|_| invalid())
    }

    /// Year (1–9999).
    pub fn year(self) -> u16 {
        self.year
    }

    /// Month (1–12).
    pub fn month(self) -> u8 {
        self.month
    }

    /// Day of the month (1–31).
    pub fn day(self) -> u8 {
        self.day
    }

    /// French display form: `14/03/1985`.
    pub fn to_french(self) -> String {
        format!("{:02}/{:02}/{:04}", self.day, self.month, self.year)
    }
}

impl fmt::Display for BirthDate {
    /// ISO form `YYYY-MM-DD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for BirthDate {
    type Err = TraitsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BirthDate::parse(s)
    }
}

impl TryFrom<String> for BirthDate {
    type Error = TraitsError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        BirthDate::parse(&value)
    }
}

impl From<BirthDate> for String {
    fn from(date: BirthDate) -> Self {
        date.to_string()
    }
}

/// INSEE code of the place of birth: 5 characters, the commune code (`64445`), `2A`/`2B` +
/// 3 digits for Corsica (`2A004`), or `99` + country code for people born abroad (`99223`).
/// Stored uppercase. Serialises as its string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BirthplaceCode(String);

impl BirthplaceCode {
    /// Parses a 5-character INSEE code (surrounding spaces ignored, `2a`/`2b` accepted).
    pub fn parse(input: &str) -> Result<BirthplaceCode, TraitsError> {
        let code = input.trim().to_ascii_uppercase();
        let bytes = code.as_bytes();
        let valid = bytes.len() == 5
            && (bytes.iter().all(u8::is_ascii_digit)
                || (bytes[0] == b'2'
                    && matches!(bytes[1], b'A' | b'B')
                    && bytes[2..].iter().all(u8::is_ascii_digit)));
        if valid {
            Ok(BirthplaceCode(code))
        } else {
            Err(TraitsError::InvalidBirthplace {
                input: input.to_owned(),
            })
        }
    }

    /// The 5-character code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Born abroad: the code is `99` + an INSEE country code.
    pub fn is_abroad(&self) -> bool {
        self.0.starts_with("99")
    }
}

impl fmt::Display for BirthplaceCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for BirthplaceCode {
    type Err = TraitsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        BirthplaceCode::parse(s)
    }
}

impl TryFrom<String> for BirthplaceCode {
    type Error = TraitsError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        BirthplaceCode::parse(&value)
    }
}

impl From<BirthplaceCode> for String {
    fn from(code: BirthplaceCode) -> Self {
        code.0
    }
}

/// Why an identity trait is invalid. Display messages are French.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TraitsError {
    /// Not a real date in `YYYY-MM-DD` form.
    #[error(
        "Date de naissance « {input} » invalide : une date existante au format AAAA-MM-JJ est attendue."
    )]
    InvalidBirthDate {
        /// What was given.
        input: String,
    },
    /// Not a 5-character INSEE code.
    #[error(
        "Code du lieu de naissance « {input} » invalide : 5 caractères attendus \
         (code INSEE de la commune, 2A ou 2B pour la Corse, 99 suivi du code pays pour l'étranger)."
    )]
    InvalidBirthplace {
        /// What was given.
        input: String,
    },
    /// Not `F`, `M` or `I`.
    #[error("Sexe « {input} » invalide : F, M ou I (indéterminé) attendu.")]
    InvalidSex {
        /// What was given.
        input: String,
    },
}

/// The identity traits of a qualified INS, as returned by the INSi service. A client shows them
/// next to a patient's address so that nobody writes to the wrong patient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityTraits {
    /// Nom de naissance, as recorded (usually uppercase): `DUBOIS`.
    pub birth_name: String,
    /// Prénoms de naissance, space-separated: `Camille Anne`.
    pub first_names: String,
    /// Date de naissance.
    pub birth_date: BirthDate,
    /// Sexe.
    pub sex: Sex,
    /// Code INSEE du lieu de naissance.
    pub birthplace: BirthplaceCode,
}

impl IdentityTraits {
    /// One line for display, in French:
    /// `DUBOIS Camille Anne, née le 14/03/1985 (F), lieu de naissance 64445`.
    pub fn summary(&self) -> String {
        format!(
            "{} {}, {} le {} ({}), lieu de naissance {}",
            self.birth_name.trim(),
            self.first_names.trim(),
            self.sex.born_fr(),
            self.birth_date.to_french(),
            self.sex.code(),
            self.birthplace
        )
    }
}

/// A patient whose INS was obtained or checked through INSi for a verified identity: the only
/// kind of patient Relais lets a professional write to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QualifiedPatient {
    /// The matricule INS.
    pub ins: Ins,
    /// The identity traits that go with it.
    pub traits: IdentityTraits,
}

impl QualifiedPatient {
    /// One line for display: the traits summary (see [`IdentityTraits::summary`]).
    pub fn summary(&self) -> String {
        self.traits.summary()
    }

    /// The patient's Mon espace santé address.
    pub fn address(&self) -> BoxAddress {
        self.ins.patient_address()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Keys below are computed by hand from the rule: key = 97 − (13-digit number mod 97).

    #[test]
    fn valid_nir() {
        // 2850364445123 = 97 × 29385200465 + 18 → key 97 − 18 = 79
        let ins = Ins::parse("285036444512379").unwrap();
        assert_eq!(ins.as_str(), "285036444512379");
        assert_eq!(ins.kind(), InsKind::Nir);
        assert_eq!(ins.to_string(), "285036444512379");
    }

    #[test]
    fn example_from_the_seeds() {
        // The example address of domain.md: 1460263220001 = 97 × 15054260000 + 1 → key 96.
        assert!(Ins::parse("146026322000196").is_ok());
    }

    #[test]
    fn nir_typed_with_separators() {
        for typed in [
            "2 85 03 64 445 123 79",
            "2\u{a0}85\u{a0}03\u{a0}64\u{a0}445\u{a0}123\u{a0}79",
            "2-85-03-64-445-123-79",
            "2.85.03.64.445.123.79",
            "\t285036444512379 \n",
            "2 85 03\u{202f}64 445-123.79",
        ] {
            let ins = Ins::parse(typed).unwrap();
            assert_eq!(ins.as_str(), "285036444512379", "input {typed:?}");
        }
    }

    #[test]
    fn formatted_like_a_card() {
        let ins = Ins::parse("285036444512379").unwrap();
        assert_eq!(ins.formatted(), "2 85 03 64 445 123 79");
    }

    #[test]
    fn corsica_2a() {
        // 2 93 11 2A 004 129: for the key 2A counts as 19 → 2931119004129.
        // 2931119004129 = 97 × 30217721692 + 5 → key 97 − 5 = 92.
        let ins = Ins::parse("293112A00412992").unwrap();
        assert_eq!(ins.as_str(), "293112A00412992");
        assert_eq!(ins.formatted(), "2 93 11 2A 004 129 92");
        // lowercase letter accepted, canonical form uppercase
        assert_eq!(
            Ins::parse("2 93 11 2a 004 129 92").unwrap().as_str(),
            "293112A00412992"
        );
    }

    #[test]
    fn corsica_2b() {
        // 1 78 05 2B 033 001: 2B counts as 18 → 1780518033001.
        // 1780518033001 = 97 × 18355856010 + 31 → key 97 − 31 = 66.
        let ins = Ins::parse("178052B03300166").unwrap();
        assert_eq!(ins.as_str(), "178052B03300166");
        assert_eq!(ins.kind(), InsKind::Nir);
        assert_eq!(
            Ins::parse("178052b03300166").unwrap().as_str(),
            "178052B03300166"
        );
    }

    #[test]
    fn corsica_key_computed_on_19_not_on_20() {
        // Same digits with "20" instead of "2A": 2931120004129 = 97 × 30217732001 + 32 → key 65.
        // The Corsican key (92) must not be accepted for the "20" number, nor the reverse.
        assert_eq!(
            Ins::parse("293112000412992").unwrap_err(),
            InsError::KeyMismatch
        );
        assert_eq!(
            Ins::parse("293112A00412965").unwrap_err(),
            InsError::KeyMismatch
        );
        assert!(Ins::parse("293112000412965").is_ok());
    }

    #[test]
    fn nia() {
        // 7510399123456 = 97 × 77426795087 + 17 → key 80.
        let ins = Ins::parse("751039912345680").unwrap();
        assert_eq!(ins.kind(), InsKind::Nia);
        // 8510399123456 = 97 × 87736073437 + 67 → key 30.
        assert_eq!(Ins::parse("851039912345630").unwrap().kind(), InsKind::Nia);
    }

    #[test]
    fn special_case_nir_3_and_4() {
        // 3510399123456 = 97 × 36189681685 + 11 → key 86;
        // 4510399123456 = 97 × 46498960035 + 61 → key 36.
        assert_eq!(Ins::parse("351039912345686").unwrap().kind(), InsKind::Nir);
        assert_eq!(Ins::parse("451039912345636").unwrap().kind(), InsKind::Nir);
    }

    #[test]
    fn empty() {
        assert_eq!(Ins::parse("").unwrap_err(), InsError::Empty);
        assert_eq!(Ins::parse("  - . \u{a0}").unwrap_err(), InsError::Empty);
    }

    #[test]
    fn wrong_length() {
        let err = Ins::parse("28503644451237").unwrap_err();
        assert_eq!(err, InsError::WrongLength { found: 14 });
        assert_eq!(
            err.to_string(),
            "Le matricule INS doit comporter 15 caractères (13 + clé de 2 chiffres) ; 14 saisis."
        );
        assert_eq!(
            Ins::parse("2 85 03 64 445 123 79 1").unwrap_err(),
            InsError::WrongLength { found: 16 }
        );
    }

    #[test]
    fn invalid_character() {
        let err = Ins::parse("2 85 03 64 445 12X 79").unwrap_err();
        assert_eq!(
            err,
            InsError::InvalidCharacter {
                character: 'X',
                position: 13
            }
        );
        assert!(err.to_string().contains("« X »"));
        assert!(err.to_string().contains("position 13"));
        // a pasted address is reported by its first foreign character
        assert_eq!(
            Ins::parse("285036444512379@patient.mssante.fr").unwrap_err(),
            InsError::InvalidCharacter {
                character: '@',
                position: 16
            }
        );
        // letters other than A/B are never allowed, even in the Corsican slot
        assert_eq!(
            Ins::parse("293112C00412992").unwrap_err(),
            InsError::InvalidCharacter {
                character: 'C',
                position: 7
            }
        );
    }

    #[test]
    fn misplaced_corsican_letter() {
        // A in the commune part
        assert_eq!(
            Ins::parse("2931102A0041290").unwrap_err(),
            InsError::MisplacedCorsicanLetter {
                character: 'A',
                position: 8
            }
        );
        // B in the right place but not after 2 ("3B")
        assert_eq!(
            Ins::parse("293113B00412992").unwrap_err(),
            InsError::MisplacedCorsicanLetter {
                character: 'B',
                position: 7
            }
        );
        // letter in the key
        let err = Ins::parse("28503644451237a").unwrap_err();
        assert_eq!(
            err,
            InsError::MisplacedCorsicanLetter {
                character: 'a',
                position: 15
            }
        );
        assert!(err.to_string().contains("2A ou 2B"));
    }

    #[test]
    fn invalid_first_digit() {
        for first in ['0', '5', '6', '9'] {
            let typed = format!("{first}85036444512379");
            assert_eq!(
                Ins::parse(&typed).unwrap_err(),
                InsError::InvalidFirstDigit { digit: first }
            );
        }
    }

    #[test]
    fn wrong_key_does_not_reveal_the_expected_key() {
        let err = Ins::parse("285036444512378").unwrap_err();
        assert_eq!(err, InsError::KeyMismatch);
        assert_eq!(
            err.to_string(),
            "La clé du matricule INS ne correspond pas : vérifiez la saisie."
        );
        assert!(!err.to_string().contains("79"));
        // a typo in the number is caught by the key
        assert_eq!(
            Ins::parse("285036444521379").unwrap_err(),
            InsError::KeyMismatch
        );
        // 00 is never a key (keys run from 01 to 97)
        assert_eq!(
            Ins::parse("285036444512300").unwrap_err(),
            InsError::KeyMismatch
        );
    }

    #[test]
    fn persona_patients() {
        // tests/operator/personas.json: DUBOIS, GARCIA, SANTONI (Corsica 2A), NGUYEN (NIA).
        for (ins, kind) in [
            ("285036444512379", InsKind::Nir),
            ("162027505607848", InsKind::Nir),
            ("293112A00412992", InsKind::Nir),
            ("751039912345680", InsKind::Nia),
        ] {
            assert_eq!(Ins::parse(ins).unwrap().kind(), kind, "{ins}");
        }
        // A Corsican letter outside the department slot (6–7) is refused.
        assert!(Ins::parse("2931102A0041290").is_err());
    }

    #[test]
    fn patient_address() {
        let ins = Ins::parse("2 85 03 64 445 123 79").unwrap();
        assert_eq!(
            ins.patient_address().as_str(),
            "285036444512379@patient.mssante.fr"
        );
        let corsican = Ins::parse("293112a00412992").unwrap();
        assert_eq!(
            corsican.patient_address().as_str(),
            "293112A00412992@patient.mssante.fr"
        );
    }

    #[test]
    fn serde_as_string_and_validated() {
        let ins = Ins::parse("285036444512379").unwrap();
        assert_eq!(serde_json::to_string(&ins).unwrap(), "\"285036444512379\"");
        let back: Ins = serde_json::from_str("\"2 85 03 64 445 123 79\"").unwrap();
        assert_eq!(back, ins);
        assert!(serde_json::from_str::<Ins>("\"285036444512378\"").is_err());
    }

    #[test]
    fn birth_dates() {
        let date = BirthDate::parse("1985-03-14").unwrap();
        assert_eq!((date.year(), date.month(), date.day()), (1985, 3, 14));
        assert_eq!(date.to_french(), "14/03/1985");
        assert_eq!(date.to_string(), "1985-03-14");
        assert!(BirthDate::parse("2000-02-29").is_ok()); // divisible by 400
        assert!(BirthDate::parse("1900-02-29").is_err()); // divisible by 100 only
        assert!(BirthDate::parse("2024-02-29").is_ok());
        assert!(BirthDate::parse("2023-02-29").is_err());
        assert!(BirthDate::parse("1985-04-31").is_err());
        assert!(BirthDate::parse("1985-13-01").is_err());
        assert!(BirthDate::parse("1985-00-10").is_err());
        assert!(BirthDate::parse("14/03/1985").is_err());
        assert!(BirthDate::parse("1985-3-14").is_err());
        assert!(BirthDate::parse("+985-03-14").is_err());
        let err = BirthDate::parse("1985-02-30").unwrap_err();
        assert!(err.to_string().contains("« 1985-02-30 »"));
    }

    #[test]
    fn birthplaces() {
        assert_eq!(BirthplaceCode::parse("64445").unwrap().as_str(), "64445");
        assert_eq!(BirthplaceCode::parse("2a004").unwrap().as_str(), "2A004");
        assert!(BirthplaceCode::parse("2B033").is_ok());
        assert!(BirthplaceCode::parse("99223").unwrap().is_abroad());
        assert!(!BirthplaceCode::parse("75056").unwrap().is_abroad());
        assert!(BirthplaceCode::parse("3A004").is_err());
        assert!(BirthplaceCode::parse("6444").is_err());
        assert!(BirthplaceCode::parse("644455").is_err());
        assert!(BirthplaceCode::parse("2C004").is_err());
    }

    #[test]
    fn sexes() {
        assert_eq!(Sex::parse("f").unwrap(), Sex::F);
        assert_eq!(Sex::parse("M").unwrap(), Sex::M);
        assert_eq!(Sex::parse("I").unwrap(), Sex::Indetermine);
        assert!(Sex::parse("X").is_err());
        assert_eq!(serde_json::to_string(&Sex::Indetermine).unwrap(), "\"I\"");
    }

    fn dubois() -> QualifiedPatient {
        QualifiedPatient {
            ins: Ins::parse("285036444512379").unwrap(),
            traits: IdentityTraits {
                birth_name: "DUBOIS".into(),
                first_names: "Camille Anne".into(),
                birth_date: BirthDate::parse("1985-03-14").unwrap(),
                sex: Sex::F,
                birthplace: BirthplaceCode::parse("64445").unwrap(),
            },
        }
    }

    #[test]
    fn patient_summary() {
        let patient = dubois();
        assert_eq!(
            patient.summary(),
            "DUBOIS Camille Anne, née le 14/03/1985 (F), lieu de naissance 64445"
        );
        let mut garcia = patient.clone();
        garcia.traits.birth_name = "GARCIA".into();
        garcia.traits.first_names = "Louis".into();
        garcia.traits.sex = Sex::M;
        garcia.traits.birth_date = BirthDate::parse("1962-02-03").unwrap();
        garcia.traits.birthplace = BirthplaceCode::parse("75056").unwrap();
        assert_eq!(
            garcia.summary(),
            "GARCIA Louis, né le 03/02/1962 (M), lieu de naissance 75056"
        );
        assert_eq!(
            patient.address().as_str(),
            "285036444512379@patient.mssante.fr"
        );
    }

    #[test]
    fn qualified_patient_json_round_trip() {
        let patient = dubois();
        let json = serde_json::to_string(&patient).unwrap();
        assert_eq!(
            json,
            r#"{"ins":"285036444512379","traits":{"birth_name":"DUBOIS","first_names":"Camille Anne","birth_date":"1985-03-14","sex":"F","birthplace":"64445"}}"#
        );
        let back: QualifiedPatient = serde_json::from_str(&json).unwrap();
        assert_eq!(back, patient);
    }
}
