//! Percent-decoding and RFC 2231 parameter values, with the kept libraries: `percent-encoding`
//! for the bytes, `mail-parser`'s charset tables for the text, `base64` for `data:` URIs.

use base64::Engine as _;
use percent_encoding::percent_decode_str;

/// Percent-decoding (URLs: `cid:` references of RFC 2392, `mailto:` links, file URLs) as
/// UTF-8, invalid bytes replaced by U+FFFD; a `%` not followed by two hexadecimal digits is
/// kept as it is.
pub fn percent_decode_lossy(input: &str) -> String {
    percent_decode_str(input).decode_utf8_lossy().into_owned()
}

/// Why an RFC 2231 extended value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtendedValueError {
    #[error("valeur étendue RFC 2231 sans la forme « jeu''texte »")]
    NotExtended,
    #[error("jeu de caractères inconnu : {0}")]
    UnknownCharset(String),
    #[error("séquence « % » incomplète ou invalide")]
    BadPercent,
}

/// Decodes an RFC 2231 (RFC 5987) extended parameter value `charset'language'percent-encoded`
/// (`utf-8''r%C3%A9sultats.pdf` → `résultats.pdf`, `iso-8859-1''r%E9sultats.pdf` too).
///
/// The charset is honoured: UTF-8 (invalid bytes replaced by U+FFFD) and every charset
/// `mail-parser` knows (ISO-8859-*, Windows-125*, KOI8, Shift_JIS, GBK, Big5…); an unknown
/// one, or a `%` not followed by two hexadecimal digits, is an error.
pub fn decode_rfc2231(value: &str) -> Result<String, ExtendedValueError> {
    let mut parts = value.splitn(3, '\'');
    let (Some(charset), Some(_language), Some(encoded)) =
        (parts.next(), parts.next(), parts.next())
    else {
        return Err(ExtendedValueError::NotExtended);
    };
    let bytes =
        relais_core::percent_decode_strict(encoded).ok_or(ExtendedValueError::BadPercent)?;
    let charset = charset.trim();
    if charset.is_empty()
        || charset.eq_ignore_ascii_case("utf-8")
        || charset.eq_ignore_ascii_case("utf8")
    {
        return Ok(String::from_utf8_lossy(&bytes).into_owned());
    }
    let decode = mail_parser::decoders::charsets::map::charset_decoder(charset.as_bytes())
        .ok_or_else(|| ExtendedValueError::UnknownCharset(charset.chars().take(40).collect()))?;
    Ok(decode(&bytes))
}

/// Standard base64 (RFC 4648 §4) without line breaks, for `data:` URIs.
pub fn base64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode_lossy("a%40b%zz%4"), "a@b%zz%4");
        assert_eq!(percent_decode_lossy("logo%40x"), "logo@x");
        // A sequence at the very end is decoded too.
        assert_eq!(percent_decode_lossy("a%40"), "a@");
        assert_eq!(percent_decode_lossy("r%C3%A9sultats"), "résultats");
        assert_eq!(percent_decode_lossy("r%E9sultats"), "r\u{FFFD}sultats");
    }

    #[test]
    fn rfc2231_values_with_their_charset() {
        assert_eq!(
            decode_rfc2231("utf-8''r%C3%A9sultats.pdf").as_deref(),
            Ok("résultats.pdf")
        );
        assert_eq!(
            decode_rfc2231("UTF-8'fr'Lettre%20de%20sortie").as_deref(),
            Ok("Lettre de sortie")
        );
        assert_eq!(
            decode_rfc2231("iso-8859-1''r%E9sultats.pdf").as_deref(),
            Ok("résultats.pdf")
        );
        assert_eq!(
            decode_rfc2231("windows-1252''%80%20re%E7u").as_deref(),
            Ok("€ reçu")
        );
        assert_eq!(decode_rfc2231("ISO-8859-15''%A4").as_deref(), Ok("€"));
        assert_eq!(decode_rfc2231("us-ascii''a%20b").as_deref(), Ok("a b"));
        assert_eq!(
            decode_rfc2231("x-martien''a"),
            Err(ExtendedValueError::UnknownCharset("x-martien".into()))
        );
        assert_eq!(
            decode_rfc2231("utf-8''H%C"),
            Err(ExtendedValueError::BadPercent)
        );
        assert_eq!(
            decode_rfc2231("utf-8''H%zz"),
            Err(ExtendedValueError::BadPercent)
        );
        assert_eq!(
            decode_rfc2231("résultats.pdf"),
            Err(ExtendedValueError::NotExtended)
        );
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
