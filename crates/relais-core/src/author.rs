//! Who wrote a message, and the `X-Relais-Author` header that carries it.
//!
//! A message sent from a shared box has `From:` = the box and `Sender:` = the person (their own
//! box where they have one). Not every person has a box, and `Sender:` says nothing of their
//! national identifier, so Relais also writes an **author header**, kept through replies,
//! forwards, drafts and retries, that lets every colleague see who wrote what.
//!
//! # The `X-Relais-Author` header
//!
//! ```text
//! X-Relais-Author: id=810100000041; name="Marie MARTIN"; addr="marie.martin@ch-demo.mssante.fr"
//! X-Relais-Author: id=0640000012; name="Isabelle FONTAINE"; addr="isabelle.fontaine@ehpad-tilleuls.mssante.fr"
//! X-Relais-Author: id=810100000017; name*=utf-8''H%C3%A9l%C3%A8ne%20ROUX; addr="helene.roux@cabinet-vignes.mssante.fr"
//! X-Relais-Author: id="login:julien.lemaire"; name="Julien LEMAIRE"
//! ```
//!
//! The value is a list of MIME parameters (RFC 2045 §5.1), **ASCII only** so that it survives
//! any transport without encoded-words:
//!
//! | parameter | required | value |
//! |---|---|---|
//! | `id` | yes | the national identifier: `8` + RPPS (11 digits), `0` + ADELI (9 digits), or `login:` + operator login for someone with neither |
//! | `name` | yes, or `name*` | display name, as a quoted-string (`\"` and `\\` escaped) when it is printable ASCII |
//! | `name*` | instead of `name` | display name in RFC 2231 extended form, `utf-8''` + percent-encoded UTF-8 bytes, when it is not plain ASCII |
//! | `addr` | no | the author's own box; omitted when they have none |
//!
//! Writing ([`Author::to_header_value`]): parameters in the order `id`, `name` or `name*`,
//! `addr`, separated by `"; "`. A value made only of RFC 2045 token characters is written
//! bare (`id=810100000041`); any other value is a quoted-string (`addr="…@…"` and
//! `id="login:…"`, because `@` and `:` are MIME *tspecials*). `name*` percent-encodes every byte
//! outside the RFC 5987 *attr-char* set, with uppercase hex. Lines are not folded here: the
//! value has spaces after each `;` where a mail writer may fold it.
//!
//! Reading ([`Author::parse_header_value`]) is tolerant of what transports and other writers
//! do: folding white space (CRLF + space or tab) and extra white space anywhere between
//! tokens, parameter names in any case, bare values containing `@` or `:` (so
//! `addr=marie.martin@ch-demo.mssante.fr` is read too), quoted-string escapes, `name*` with
//! charset `utf-8` or `us-ascii` in any case and any language tag, a trailing `;`. Unknown
//! parameters are ignored (future versions may add some). When both `name` and `name*` are
//! present, `name*` wins (RFC 2231). It refuses: a missing `id` or name, a parameter of its own
//! given twice (an ambiguity that could hide a forged author), invalid values, and broken
//! syntax. RFC 2231 continuations (`name*0*`) and RFC 822 comments are not supported.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::address::{AddressError, BoxAddress};
use crate::person::{NationalId, NationalIdError, Person};

/// Name of the author header.
pub const AUTHOR_HEADER_NAME: &str = "X-Relais-Author";

const MAX_NAME_CHARS: usize = 256;

/// The person who wrote a message: display name, national identifier, own box if any.
///
/// Serialises as `{"display_name": …, "national_id": …, "address": … | null}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "AuthorFields")]
pub struct Author {
    display_name: String,
    national_id: NationalId,
    address: Option<BoxAddress>,
}

/// Unchecked shape of [`Author`], so that deserialising goes through [`Author::new`].
#[derive(Deserialize)]
struct AuthorFields {
    display_name: String,
    national_id: NationalId,
    address: Option<BoxAddress>,
}

impl TryFrom<AuthorFields> for Author {
    type Error = AuthorError;
    fn try_from(fields: AuthorFields) -> Result<Self, Self::Error> {
        Author::new(&fields.display_name, fields.national_id, fields.address)
    }
}

/// Why an author cannot be built.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AuthorError {
    /// Empty (after trimming), too long, or with control characters.
    #[error(
        "Nom d'auteur « {name} » invalide : il doit être non vide, sans caractère de contrôle, \
         de 256 caractères au plus."
    )]
    InvalidName {
        /// The name given.
        name: String,
    },
}

/// Why an `X-Relais-Author` value cannot be read. Display messages are French.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AuthorHeaderError {
    /// The parameter list itself is malformed.
    #[error("En-tête X-Relais-Author illisible : {detail}.")]
    Syntax {
        /// What is wrong, in French.
        detail: String,
    },
    /// No `id` parameter.
    #[error("En-tête X-Relais-Author incomplet : l'identifiant de l'auteur (id) manque.")]
    MissingId,
    /// Neither `name` nor `name*`.
    #[error("En-tête X-Relais-Author incomplet : le nom de l'auteur (name) manque.")]
    MissingName,
    /// One of `id`, `name`, `name*`, `addr` given twice.
    #[error(
        "En-tête X-Relais-Author ambigu : le paramètre « {parameter} » apparaît plusieurs fois."
    )]
    Duplicate {
        /// The repeated parameter, lowercase.
        parameter: String,
    },
    /// `name*` is not valid RFC 2231 UTF-8.
    #[error("En-tête X-Relais-Author : le nom encodé (name*) est illisible : {detail}.")]
    InvalidEncodedName {
        /// What is wrong, in French.
        detail: String,
    },
    /// `id` is not a national identifier.
    #[error("En-tête X-Relais-Author : {0}")]
    InvalidId(#[source] NationalIdError),
    /// `addr` is not an address.
    #[error("En-tête X-Relais-Author : {0}")]
    InvalidAddress(#[source] AddressError),
    /// The name is empty or has control characters.
    #[error("En-tête X-Relais-Author : {0}")]
    InvalidName(#[source] AuthorError),
}

impl Author {
    /// An author; the display name is trimmed and must be non-empty, at most 256 characters,
    /// without control characters.
    pub fn new(
        display_name: &str,
        national_id: NationalId,
        address: Option<BoxAddress>,
    ) -> Result<Author, AuthorError> {
        let name = display_name.trim();
        if name.is_empty()
            || name.chars().count() > MAX_NAME_CHARS
            || name.chars().any(char::is_control)
        {
            return Err(AuthorError::InvalidName {
                name: display_name.to_owned(),
            });
        }
        Ok(Author {
            display_name: name.to_owned(),
            national_id,
            address,
        })
    }

    /// The author of messages a person writes: their display name, national id and own box.
    pub fn from_person(person: &Person) -> Result<Author, AuthorError> {
        Author::new(
            &person.display_name(),
            person.national_id.clone(),
            person.own_box.clone(),
        )
    }

    /// « Marie MARTIN ».
    pub fn display_name(&self) -> &str {
        &self.display_name
    }

    /// RPPS, ADELI or operator login.
    pub fn national_id(&self) -> &NationalId {
        &self.national_id
    }

    /// The author's own box, if they have one.
    pub fn address(&self) -> Option<&BoxAddress> {
        self.address.as_ref()
    }

    /// The value of the `X-Relais-Author` header (without the header name), see the module doc.
    pub fn to_header_value(&self) -> String {
        let mut out = String::from("id=");
        push_value(&mut out, &self.national_id.to_string());
        if self.display_name.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            out.push_str("; name=");
            push_quoted(&mut out, &self.display_name);
        } else {
            out.push_str("; name*=utf-8''");
            for byte in self.display_name.bytes() {
                if is_attr_char(byte) {
                    out.push(char::from(byte));
                } else {
                    out.push_str(&format!("%{byte:02X}"));
                }
            }
        }
        if let Some(address) = &self.address {
            out.push_str("; addr=");
            push_value(&mut out, address.as_str());
        }
        out
    }

    /// Reads an `X-Relais-Author` value (without the header name), see the module doc.
    pub fn parse_header_value(value: &str) -> Result<Author, AuthorHeaderError> {
        let mut id = None;
        let mut name = None;
        let mut extended_name = None;
        let mut addr = None;
        for (attribute, value) in parse_parameters(&unfold(value))? {
            let slot = match attribute.as_str() {
                "id" => &mut id,
                "name" => &mut name,
                "name*" => &mut extended_name,
                "addr" => &mut addr,
                _ => continue,
            };
            if slot.is_some() {
                return Err(AuthorHeaderError::Duplicate {
                    parameter: attribute,
                });
            }
            *slot = Some(value);
        }
        let id = id.ok_or(AuthorHeaderError::MissingId)?;
        let name = match extended_name {
            Some(encoded) => decode_extended(&encoded)?,
            None => name.ok_or(AuthorHeaderError::MissingName)?,
        };
        let national_id = NationalId::parse(&id).map_err(AuthorHeaderError::InvalidId)?;
        let address = addr
            .map(|a| BoxAddress::parse(&a))
            .transpose()
            .map_err(AuthorHeaderError::InvalidAddress)?;
        Author::new(&name, national_id, address).map_err(AuthorHeaderError::InvalidName)
    }

    /// The default French signature line of a message.
    ///
    /// - `None` (a nominative box, or no box): just the name, « Marie MARTIN ».
    /// - `Some(box name)`: « Marie MARTIN — pour le Secrétariat de cardiologie ». The box name is
    ///   kept as written. Before a vowel or a mute `h` the article is elided
    ///   (« pour l'Accueil EHPAD Les Tilleuls », « pour l'Hôpital de jour »); when the box name
    ///   already starts with an article (« La Maison… », « Les Tilleuls »), none is added.
    ///   The article is always masculine: a box name of feminine gender without its own
    ///   article reads « pour le Maison… », so such boxes should be named with their article.
    pub fn signature_line(&self, box_display_name: Option<&str>) -> String {
        match box_display_name.map(str::trim).filter(|b| !b.is_empty()) {
            None => self.display_name.clone(),
            Some(box_name) => format!(
                "{} — pour {}{}",
                self.display_name,
                article_before(box_name),
                box_name
            ),
        }
    }
}

/// "le ", "l'" or nothing before a box name (see [`Author::signature_line`]).
fn article_before(box_name: &str) -> &'static str {
    let lower = box_name.to_lowercase();
    let has_article = ["le ", "la ", "les ", "l'", "l’"]
        .iter()
        .any(|article| lower.starts_with(article));
    if has_article {
        return "";
    }
    // h aspiré: "le Handicap", "le Hall"… other h (hôpital, hématologie, hygiène) are mute.
    const ASPIRATED_H: [&str; 7] = ["hand", "haut", "hall", "halte", "hameau", "hang", "harc"];
    let starts_with_vowel = lower
        .chars()
        .next()
        .is_some_and(|c| "aâàäeéèêëiîïoôöuûùüyÿœæ".contains(c));
    let mute_h = lower.starts_with('h') && !ASPIRATED_H.iter().any(|w| lower.starts_with(w));
    if starts_with_vowel || mute_h {
        "l'"
    } else {
        "le "
    }
}

/// RFC 2045 token character: printable ASCII except space and tspecials.
fn is_token_char(byte: u8) -> bool {
    byte.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&byte)
}

/// RFC 5987 attr-char: what `name*` may carry without percent-encoding.
fn is_attr_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte)
}

/// Appends a value bare when it is a token, as a quoted-string otherwise.
fn push_value(out: &mut String, value: &str) {
    if !value.is_empty() && value.bytes().all(is_token_char) {
        out.push_str(value);
    } else {
        push_quoted(out, value);
    }
}

fn push_quoted(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

/// Removes folding (CR? LF followed by a space or tab), as RFC 5322 unfolding does.
fn unfold(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' if matches!(chars.peek(), Some(' ' | '\t')) => {}
            _ => out.push(c),
        }
    }
    out
}

fn syntax(detail: impl Into<String>) -> AuthorHeaderError {
    AuthorHeaderError::Syntax {
        detail: detail.into(),
    }
}

/// Splits `attr=value; attr="quoted"; …` into (lowercase attribute, unescaped value) pairs.
fn parse_parameters(text: &str) -> Result<Vec<(String, String)>, AuthorHeaderError> {
    let chars: Vec<char> = text.chars().collect();
    let is_space = |c: char| c == ' ' || c == '\t' || c == '\r' || c == '\n';
    let mut params = Vec::new();
    let mut i = 0;
    loop {
        while i < chars.len() && (is_space(chars[i]) || chars[i] == ';') {
            i += 1;
        }
        if i == chars.len() {
            return Ok(params);
        }
        let start = i;
        while i < chars.len() && !is_space(chars[i]) && !matches!(chars[i], '=' | ';' | '"') {
            i += 1;
        }
        let attribute: String = chars[start..i].iter().collect();
        if attribute.is_empty() || !attribute.bytes().all(is_token_char_or_star) {
            return Err(syntax(format!(
                "nom de paramètre attendu en position {}",
                start + 1
            )));
        }
        while i < chars.len() && is_space(chars[i]) {
            i += 1;
        }
        if chars.get(i) != Some(&'=') {
            return Err(syntax(format!("« = » attendu après « {attribute} »")));
        }
        i += 1;
        while i < chars.len() && is_space(chars[i]) {
            i += 1;
        }
        let mut value = String::new();
        if chars.get(i) == Some(&'"') {
            i += 1;
            loop {
                match chars.get(i) {
                    None => {
                        return Err(syntax(format!(
                            "guillemet fermant manquant pour « {attribute} »"
                        )))
                    }
                    Some('"') => {
                        i += 1;
                        break;
                    }
                    Some('\\') => {
                        let escaped = chars.get(i + 1).ok_or_else(|| {
                            syntax(format!("guillemet fermant manquant pour « {attribute} »"))
                        })?;
                        value.push(*escaped);
                        i += 2;
                    }
                    Some(c) => {
                        value.push(*c);
                        i += 1;
                    }
                }
            }
        } else {
            let value_start = i;
            while i < chars.len() && !is_space(chars[i]) && chars[i] != ';' && chars[i] != '"' {
                i += 1;
            }
            value = chars[value_start..i].iter().collect();
            if value.is_empty() {
                return Err(syntax(format!("valeur manquante pour « {attribute} »")));
            }
        }
        while i < chars.len() && is_space(chars[i]) {
            i += 1;
        }
        if i < chars.len() && chars[i] != ';' {
            return Err(syntax(format!(
                "« ; » attendu après la valeur de « {attribute} »"
            )));
        }
        params.push((attribute.to_ascii_lowercase(), value));
    }
}

fn is_token_char_or_star(byte: u8) -> bool {
    is_token_char(byte) || byte == b'*'
}

/// The bytes of a percent-encoded text (`percent-encoding`), or `None` when a `%` is not
/// followed by two hexadecimal digits (which a lenient decoder would keep as they are).
pub fn percent_decode_strict(text: &str) -> Option<Vec<u8>> {
    let whole = text.split('%').skip(1).all(|after| {
        after
            .as_bytes()
            .get(..2)
            .is_some_and(|pair| pair.iter().all(u8::is_ascii_hexdigit))
    });
    whole.then(|| percent_encoding::percent_decode_str(text).collect())
}

/// Decodes an RFC 2231 extended value `charset'language'percent-encoded`.
fn decode_extended(encoded: &str) -> Result<String, AuthorHeaderError> {
    let invalid = |detail: &str| AuthorHeaderError::InvalidEncodedName {
        detail: detail.to_owned(),
    };
    let mut parts = encoded.splitn(3, '\'');
    let (Some(charset), Some(_language), Some(data)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(invalid("forme « utf-8''… » attendue"));
    };
    if !(charset.eq_ignore_ascii_case("utf-8") || charset.eq_ignore_ascii_case("us-ascii")) {
        return Err(invalid("seul le jeu de caractères utf-8 est admis"));
    }
    let bytes = percent_decode_strict(data)
        .ok_or_else(|| invalid("séquence « % » incomplète ou invalide"))?;
    String::from_utf8(bytes).map_err(|_| invalid("octets qui ne sont pas de l'UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marie() -> Author {
        Author::new(
            "Marie MARTIN",
            NationalId::parse("810100000041").unwrap(),
            Some(BoxAddress::parse("marie.martin@ch-demo.mssante.fr").unwrap()),
        )
        .unwrap()
    }

    fn helene() -> Author {
        Author::new(
            "Hélène ROUX",
            NationalId::parse("810100000017").unwrap(),
            Some(BoxAddress::parse("helene.roux@cabinet-vignes.mssante.fr").unwrap()),
        )
        .unwrap()
    }

    fn julien() -> Author {
        Author::new(
            "Julien LEMAIRE",
            NationalId::OperatorLogin("julien.lemaire".into()),
            None,
        )
        .unwrap()
    }

    #[test]
    fn writes_the_documented_format() {
        assert_eq!(
            marie().to_header_value(),
            r#"id=810100000041; name="Marie MARTIN"; addr="marie.martin@ch-demo.mssante.fr""#
        );
        assert_eq!(
            helene().to_header_value(),
            r#"id=810100000017; name*=utf-8''H%C3%A9l%C3%A8ne%20ROUX; addr="helene.roux@cabinet-vignes.mssante.fr""#
        );
        assert_eq!(
            julien().to_header_value(),
            r#"id="login:julien.lemaire"; name="Julien LEMAIRE""#
        );
    }

    #[test]
    fn header_value_is_ascii() {
        for author in [marie(), helene(), julien()] {
            assert!(author.to_header_value().is_ascii());
        }
        let cjk = Author::new(
            "阮氏梅 NGUYEN",
            NationalId::parse("0640000012").unwrap(),
            None,
        )
        .unwrap();
        assert!(cjk.to_header_value().is_ascii());
    }

    #[test]
    fn round_trips() {
        let quoted = Author::new(
            r#"Jean "Jeannot" D\UPONT"#,
            NationalId::parse("0640000012").unwrap(),
            None,
        )
        .unwrap();
        let accents_and_quotes = Author::new(
            "Zoé « la doc » O'Brien-Œuvray 100%",
            NationalId::parse("810100000058").unwrap(),
            None,
        )
        .unwrap();
        let odd_login = Author::new(
            "Aide; soignant=1",
            NationalId::OperatorLogin(r#"a"b\c;d=e@f"#.into()),
            Some(BoxAddress::parse("o'brien+test@x.mssante.fr").unwrap()),
        )
        .unwrap();
        for author in [
            marie(),
            helene(),
            julien(),
            quoted,
            accents_and_quotes,
            odd_login,
        ] {
            let value = author.to_header_value();
            assert_eq!(
                Author::parse_header_value(&value).unwrap(),
                author,
                "{value}"
            );
        }
    }

    #[test]
    fn quoted_name_escapes() {
        let value = Author::new(
            r#"Jean "Jeannot" D\UPONT"#,
            NationalId::parse("0640000012").unwrap(),
            None,
        )
        .unwrap()
        .to_header_value();
        assert_eq!(value, r#"id=0640000012; name="Jean \"Jeannot\" D\\UPONT""#);
    }

    #[test]
    fn reads_the_brief_example_with_a_bare_address() {
        let author = Author::parse_header_value(
            r#"id=810100000041; name="Marie MARTIN"; addr=marie.martin@ch-demo.mssante.fr"#,
        )
        .unwrap();
        assert_eq!(author, marie());
        let julien_bare =
            Author::parse_header_value(r#"id=login:julien.lemaire; name="Julien LEMAIRE""#)
                .unwrap();
        assert_eq!(julien_bare, julien());
    }

    #[test]
    fn tolerates_folding_case_order_and_unknown_parameters() {
        let folded = "id=810100000017;\r\n name*=UTF-8'fr'H%c3%a9l%C3%A8ne%20ROUX;\r\n\taddr =\r\n \"helene.roux@cabinet-vignes.mssante.fr\" ;";
        assert_eq!(Author::parse_header_value(folded).unwrap(), helene());
        let shuffled = r#"  ADDR="Marie.Martin@CH-demo.mssante.fr" ;v=2; Name="Marie MARTIN";ID=810100000041; x-future="a;b""#;
        assert_eq!(Author::parse_header_value(shuffled).unwrap(), marie());
        // a folded quoted name keeps its space
        let folded_name = "id=810100000041; name=\"Marie\r\n MARTIN\"";
        assert_eq!(
            Author::parse_header_value(folded_name)
                .unwrap()
                .display_name(),
            "Marie MARTIN"
        );
    }

    #[test]
    fn extended_name_wins_over_plain_name() {
        let value = r#"id=810100000017; name="Helene ROUX"; name*=utf-8''H%C3%A9l%C3%A8ne%20ROUX"#;
        assert_eq!(
            Author::parse_header_value(value).unwrap().display_name(),
            "Hélène ROUX"
        );
    }

    #[test]
    fn refuses_broken_or_ambiguous_values() {
        use AuthorHeaderError as E;
        assert_eq!(
            Author::parse_header_value(r#"name="Marie MARTIN""#).unwrap_err(),
            E::MissingId
        );
        assert_eq!(
            Author::parse_header_value("id=810100000041").unwrap_err(),
            E::MissingName
        );
        assert_eq!(
            Author::parse_header_value(r#"id=810100000041; name="Marie MARTIN"; id=810100000025"#)
                .unwrap_err(),
            E::Duplicate {
                parameter: "id".into()
            }
        );
        assert!(matches!(
            Author::parse_header_value(r#"id=42; name="Marie MARTIN""#).unwrap_err(),
            E::InvalidId(_)
        ));
        assert!(matches!(
            Author::parse_header_value(r#"id=810100000041; name="Marie MARTIN"; addr=nope"#)
                .unwrap_err(),
            E::InvalidAddress(_)
        ));
        assert!(matches!(
            Author::parse_header_value(r#"id=810100000041; name="  ""#).unwrap_err(),
            E::InvalidName(_)
        ));
        assert!(matches!(
            Author::parse_header_value("id=810100000041; name*=utf-8''%0A").unwrap_err(),
            E::InvalidName(_)
        ));
        for broken in [
            r#"id=810100000041; name="Marie MARTIN"#,
            "id=810100000041; name=Marie MARTIN",
            "id 810100000041",
            "id=; name=\"x\"",
            "=810100000041",
        ] {
            assert!(
                matches!(
                    Author::parse_header_value(broken).unwrap_err(),
                    E::Syntax { .. }
                ),
                "{broken}"
            );
        }
        for bad_encoding in [
            "id=810100000041; name*=H%C3%A9l",
            "id=810100000041; name*=latin-1''H%E9l",
            "id=810100000041; name*=utf-8''H%C3",
            "id=810100000041; name*=utf-8''H%G1",
            "id=810100000041; name*=utf-8''H%C",
        ] {
            assert!(
                matches!(
                    Author::parse_header_value(bad_encoding).unwrap_err(),
                    E::InvalidEncodedName { .. }
                ),
                "{bad_encoding}"
            );
        }
        assert_eq!(
            Author::parse_header_value("id=810100000041")
                .unwrap_err()
                .to_string(),
            "En-tête X-Relais-Author incomplet : le nom de l'auteur (name) manque."
        );
    }

    #[test]
    fn from_person() {
        let person = Person {
            national_id: NationalId::parse("810100000058").unwrap(),
            given_name: "Sophie".into(),
            family_name: "BERNARD".into(),
            login: "sophie.bernard".into(),
            own_box: None,
            profession: String::new(),
            identity: crate::IdentitySource::Declared,
        };
        let author = Author::from_person(&person).unwrap();
        assert_eq!(author.display_name(), "Sophie BERNARD");
        assert_eq!(author.address(), None);
        assert_eq!(
            author.to_header_value(),
            r#"id=810100000058; name="Sophie BERNARD""#
        );
    }

    #[test]
    fn invalid_names() {
        let id = NationalId::parse("810100000041").unwrap();
        assert!(Author::new("", id.clone(), None).is_err());
        assert!(Author::new("Marie\nMARTIN", id.clone(), None).is_err());
        assert!(Author::new(&"x".repeat(257), id.clone(), None).is_err());
        assert_eq!(
            Author::new("  Marie MARTIN ", id, None)
                .unwrap()
                .display_name(),
            "Marie MARTIN"
        );
    }

    #[test]
    fn signature_lines() {
        let m = marie();
        assert_eq!(m.signature_line(None), "Marie MARTIN");
        assert_eq!(m.signature_line(Some("  ")), "Marie MARTIN");
        assert_eq!(
            m.signature_line(Some("Secrétariat de cardiologie")),
            "Marie MARTIN — pour le Secrétariat de cardiologie"
        );
        assert_eq!(
            m.signature_line(Some("secrétariat de cardiologie")),
            "Marie MARTIN — pour le secrétariat de cardiologie"
        );
        assert_eq!(
            m.signature_line(Some("Cabinet médical des Vignes")),
            "Marie MARTIN — pour le Cabinet médical des Vignes"
        );
        assert_eq!(
            m.signature_line(Some("Accueil EHPAD Les Tilleuls")),
            "Marie MARTIN — pour l'Accueil EHPAD Les Tilleuls"
        );
        assert_eq!(
            m.signature_line(Some("Hôpital de jour")),
            "Marie MARTIN — pour l'Hôpital de jour"
        );
        assert_eq!(
            m.signature_line(Some("Handicap et dépendance")),
            "Marie MARTIN — pour le Handicap et dépendance"
        );
        assert_eq!(
            m.signature_line(Some("La Maison des aînés")),
            "Marie MARTIN — pour La Maison des aînés"
        );
    }

    #[test]
    fn json_goes_through_validation() {
        let json = serde_json::to_string(&marie()).unwrap();
        assert_eq!(
            json,
            r#"{"display_name":"Marie MARTIN","national_id":"810100000041","address":"marie.martin@ch-demo.mssante.fr"}"#
        );
        assert_eq!(serde_json::from_str::<Author>(&json).unwrap(), marie());
        assert!(serde_json::from_str::<Author>(
            r#"{"display_name":"","national_id":"810100000041","address":null}"#
        )
        .is_err());
    }
}
