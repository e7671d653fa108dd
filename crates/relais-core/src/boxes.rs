//! Boxes a person may use, what they may do in them, and how they open them.
//!
//! In MSSanté a professional often works in several boxes: their own (nominative) box, and one
//! or more organisational boxes of their service, each opened **with their own credentials**
//! (sharing a login is forbidden). An [`Entitlement`] is one such box as seen by one person:
//! its address and kind, the IMAP rights the operator gave that person ([`Rights`], RFC 4314),
//! and the way the engine opens it ([`Access`]).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::address::BoxAddress;

/// The three kinds of MSSanté box.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BoxKind {
    /// BAL personnelle: one authorised professional.
    Nominative,
    /// BAL organisationnelle (de service): several people of one service.
    Organisational,
    /// BAL applicative: software sending automatically (lab results, reports).
    Applicative,
}

impl BoxKind {
    /// French label for display: « BAL personnelle », « BAL organisationnelle »,
    /// « BAL applicative ».
    pub fn label_fr(self) -> &'static str {
        match self {
            BoxKind::Nominative => "BAL personnelle",
            BoxKind::Organisational => "BAL organisationnelle",
            BoxKind::Applicative => "BAL applicative",
        }
    }
}

/// Canonical order of the RFC 4314 standard rights, used for display.
const STANDARD_RIGHTS: &str = "lrswipkxtea";

/// IMAP access rights of one person on one box (RFC 4314), e.g. `lrswipkxtea`.
///
/// Any lowercase letter or digit is kept, so that rights from server extensions and the
/// obsolete RFC 2086 `c`/`d` survive a round trip; the order of the input does not matter.
/// Displays and serialises in canonical order: the standard rights in the order
/// `lrswipkxtea`, then other letters alphabetically, then digits (so `lrwstipekxa` displays as
/// `lrswipkxtea`).
///
/// What Relais derives from them:
///
/// | method | right(s) | meaning |
/// |---|---|---|
/// | [`can_read`](Rights::can_read) | `r` | open the box and read messages |
/// | [`can_seen`](Rights::can_seen) | `s` | keep the shared "read" state (`\Seen`) |
/// | [`can_write_flags`](Rights::can_write_flags) | `w` | set other flags and keywords (e.g. "handled") |
/// | [`can_send`](Rights::can_send) | `i` | send as the box (see below) |
/// | [`can_delete`](Rights::can_delete) | `t` and `e`, or legacy `d` | delete and expunge |
/// | [`can_create_folders`](Rights::can_create_folders) | `k`, or legacy `c` | create folders |
/// | [`can_administer`](Rights::can_administer) | `a` | change the rights of others |
///
/// **Sending** is authorised by the operator's SMTP server, which IMAP rights do not describe.
/// Relais decides that a person may send from a box when they may insert into it (`i`):
/// sending files a copy in the box's Sent folder, and a read-only member (e.g. `lrs`) is not
/// meant to write on behalf of the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Rights(u64);

/// Why a rights string is invalid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RightsError {
    /// A character that is not a lowercase ASCII letter or a digit.
    #[error(
        "Droits IMAP « {input} » invalides : le caractère « {character} » n'est pas un droit \
         (lettres minuscules ou chiffres attendus, RFC 4314)."
    )]
    InvalidCharacter {
        /// The whole rights string.
        input: String,
        /// The offending character.
        character: char,
    },
}

fn bit(right: char) -> Option<u64> {
    match right {
        'a'..='z' => Some(1 << (u32::from(right) - u32::from('a'))),
        '0'..='9' => Some(1 << (26 + u32::from(right) - u32::from('0'))),
        _ => None,
    }
}

impl Rights {
    /// Parses a rights string (surrounding white space ignored; empty means no right).
    pub fn parse(input: &str) -> Result<Rights, RightsError> {
        let mut bits = 0;
        for character in input.trim().chars() {
            bits |= bit(character).ok_or_else(|| RightsError::InvalidCharacter {
                input: input.to_owned(),
                character,
            })?;
        }
        Ok(Rights(bits))
    }

    /// All standard rights: `lrswipkxtea`.
    pub fn full() -> Rights {
        Rights(
            STANDARD_RIGHTS
                .chars()
                .filter_map(bit)
                .fold(0, |a, b| a | b),
        )
    }

    /// No right at all.
    pub fn none() -> Rights {
        Rights(0)
    }

    /// Whether one right (a letter or digit) is granted.
    pub fn contains(self, right: char) -> bool {
        bit(right).is_some_and(|b| self.0 & b != 0)
    }

    /// `r`: open (SELECT) the box and read its messages.
    pub fn can_read(self) -> bool {
        self.contains('r')
    }

    /// `i`: may send as the box (Relais's decision, see the type doc).
    pub fn can_send(self) -> bool {
        self.contains('i')
    }

    /// `t` and `e` (mark deleted and expunge), or the obsolete `d` that covered both.
    pub fn can_delete(self) -> bool {
        (self.contains('t') && self.contains('e')) || self.contains('d')
    }

    /// `w`: set flags and keywords other than `\Seen` and `\Deleted`.
    pub fn can_write_flags(self) -> bool {
        self.contains('w')
    }

    /// `s`: keep the `\Seen` state.
    pub fn can_seen(self) -> bool {
        self.contains('s')
    }

    /// `k`, or the obsolete `c`: create folders.
    pub fn can_create_folders(self) -> bool {
        self.contains('k') || self.contains('c')
    }

    /// `a`: administer (change access rights).
    pub fn can_administer(self) -> bool {
        self.contains('a')
    }
}

impl fmt::Display for Rights {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let others = ('a'..='z').filter(|c| !STANDARD_RIGHTS.contains(*c));
        for right in STANDARD_RIGHTS.chars().chain(others).chain('0'..='9') {
            if self.contains(right) {
                write!(f, "{right}")?;
            }
        }
        Ok(())
    }
}

impl FromStr for Rights {
    type Err = RightsError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Rights::parse(s)
    }
}

impl TryFrom<String> for Rights {
    type Error = RightsError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Rights::parse(&value)
    }
}

impl From<Rights> for String {
    fn from(rights: Rights) -> Self {
        rights.to_string()
    }
}

/// How the engine opens a box for a person. Serialised with a `type` tag:
/// `{"type":"own_login"}`, `{"type":"delegated"}`,
/// `{"type":"shared_namespace","prefix":"Partages/secretariat.cardio/"}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Access {
    /// The person's own box, opened with their own login.
    OwnLogin,
    /// Another box opened with the person's own credentials on its behalf: SASL PLAIN with
    /// `authzid` = the box, or XOAUTH2 with `user=` the box.
    Delegated,
    /// A box the server shows inside the person's own session, under an IMAP shared namespace
    /// (RFC 2342).
    SharedNamespace {
        /// Mailbox-name prefix of the box in that namespace, as the server gives it.
        prefix: String,
        /// The exact server name of the box's INBOX when it is not `<prefix>INBOX`: Cyrus
        /// shows another user's INBOX as the owner level itself (`Other Users/secretariat`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        inbox: Option<String>,
    },
}

/// One box a person may use, as seen by that person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entitlement {
    /// The box's address (its `From:` when sending).
    pub address: BoxAddress,
    /// Nominative, organisational or applicative.
    pub kind: BoxKind,
    /// The box's name as published, e.g. « Secrétariat de cardiologie ».
    pub display_name: String,
    /// What this person may do in it.
    pub rights: Rights,
    /// How the engine opens it.
    pub access: Access,
}

impl Entitlement {
    /// The box name to put in an author's signature: `None` for a nominative box (the author
    /// signs with their own name only), the display name otherwise. Meant for
    /// [`Author::signature_line`](crate::author::Author::signature_line).
    pub fn signature_box_name(&self) -> Option<&str> {
        match self.kind {
            BoxKind::Nominative => None,
            BoxKind::Organisational | BoxKind::Applicative => Some(&self.display_name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_rights_of_the_personas() {
        let r = Rights::parse("lrwstipekxa").unwrap();
        assert_eq!(r, Rights::full());
        assert_eq!(r.to_string(), "lrswipkxtea");
        assert!(r.can_read());
        assert!(r.can_send());
        assert!(r.can_delete());
        assert!(r.can_write_flags());
        assert!(r.can_seen());
        assert!(r.can_create_folders());
        assert!(r.can_administer());
    }

    #[test]
    fn read_only_member() {
        // karim.benali on secretariat.cardio
        let r = Rights::parse("lrs").unwrap();
        assert!(r.can_read());
        assert!(r.can_seen());
        assert!(!r.can_send());
        assert!(!r.can_delete());
        assert!(!r.can_write_flags());
        assert!(!r.can_create_folders());
        assert_eq!(r.to_string(), "lrs");
    }

    #[test]
    fn delete_needs_t_and_e_or_legacy_d() {
        assert!(!Rights::parse("lrt").unwrap().can_delete());
        assert!(!Rights::parse("lre").unwrap().can_delete());
        assert!(Rights::parse("lrte").unwrap().can_delete());
        assert!(Rights::parse("lrd").unwrap().can_delete());
        assert!(Rights::parse("c").unwrap().can_create_folders());
    }

    #[test]
    fn extensions_and_legacy_round_trip() {
        let r = Rights::parse("dc9lr").unwrap();
        assert_eq!(r.to_string(), "lrcd9");
        assert_eq!(Rights::parse(&r.to_string()).unwrap(), r);
        assert_eq!(Rights::parse("").unwrap(), Rights::none());
        assert_eq!(Rights::default().to_string(), "");
    }

    #[test]
    fn invalid_rights() {
        let err = Rights::parse("lrW").unwrap_err();
        assert_eq!(
            err,
            RightsError::InvalidCharacter {
                input: "lrW".into(),
                character: 'W'
            }
        );
        assert!(err.to_string().contains("« W »"));
        assert!(Rights::parse("l r").is_err());
    }

    #[test]
    fn entitlement_json() {
        let e = Entitlement {
            address: BoxAddress::parse("secretariat.cardio@ch-demo.mssante.fr").unwrap(),
            kind: BoxKind::Organisational,
            display_name: "Secrétariat de cardiologie".into(),
            rights: Rights::parse("lrwstipekxa").unwrap(),
            access: Access::SharedNamespace {
                prefix: "Partages/secretariat.cardio/".into(),
                inbox: None,
            },
        };
        let json = serde_json::to_string(&e).unwrap();
        assert_eq!(
            json,
            r#"{"address":"secretariat.cardio@ch-demo.mssante.fr","kind":"organisational","display_name":"Secrétariat de cardiologie","rights":"lrswipkxtea","access":{"type":"shared_namespace","prefix":"Partages/secretariat.cardio/"}}"#
        );
        let back: Entitlement = serde_json::from_str(&json).unwrap();
        assert_eq!(back, e);
        assert_eq!(e.signature_box_name(), Some("Secrétariat de cardiologie"));
        assert_eq!(
            serde_json::to_string(&Access::Delegated).unwrap(),
            r#"{"type":"delegated"}"#
        );
        assert_eq!(
            serde_json::to_string(&BoxKind::Nominative).unwrap(),
            "\"nominative\""
        );
    }
}
