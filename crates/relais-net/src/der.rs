//! Just enough DER to read three things rustls does not expose: the CRL distribution points
//! of a certificate (RFC 5280 §4.2.1.13), whether a certificate is self-issued (a root), and
//! the `nextUpdate` of a CRL (§5.1.2.5).
//! Everything cryptographic (signatures, chains, revocation) stays with rustls/webpki.

/// One TLV: tag byte, content, and what follows it.
fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | *b as usize);
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The children of a constructed value.
fn children(mut content: &[u8]) -> Vec<(u8, &[u8])> {
    let mut out = Vec::new();
    while let Some((tag, value, rest)) = tlv(content) {
        out.push((tag, value));
        content = rest;
    }
    out
}

const SEQUENCE: u8 = 0x30;
/// id-ce-cRLDistributionPoints, 2.5.29.31.
const OID_CRL_DP: &[u8] = &[0x55, 0x1d, 0x1f];

/// The `http`/`https` URIs of a certificate's CRL distribution points.
pub fn crl_distribution_points(cert_der: &[u8]) -> Vec<String> {
    let mut urls = Vec::new();
    let Some((SEQUENCE, cert, _)) = tlv(cert_der) else {
        return urls;
    };
    let Some((SEQUENCE, tbs, _)) = tlv(cert) else {
        return urls;
    };
    // Extensions are the [3] EXPLICIT field of the TBSCertificate.
    let Some((_, exts)) = children(tbs).into_iter().find(|(tag, _)| *tag == 0xa3) else {
        return urls;
    };
    let Some((SEQUENCE, exts, _)) = tlv(exts) else {
        return urls;
    };
    for (_, ext) in children(exts) {
        let parts = children(ext);
        let is_dp = parts
            .first()
            .is_some_and(|(tag, oid)| *tag == 0x06 && *oid == OID_CRL_DP);
        if !is_dp {
            continue;
        }
        // The value is the last part: an OCTET STRING holding the DER of the points.
        if let Some((0x04, value)) = parts.last() {
            collect_uris(value, &mut urls);
        }
    }
    urls
}

/// Whether a certificate's issuer and subject names are the same (a root, RFC 5280 §3.2).
pub fn is_self_issued(cert_der: &[u8]) -> bool {
    let Some((SEQUENCE, cert, _)) = tlv(cert_der) else {
        return false;
    };
    let Some((SEQUENCE, tbs, _)) = tlv(cert) else {
        return false;
    };
    // [0] version OPTIONAL, serialNumber, signature, issuer, validity, subject
    let fields = children(tbs);
    let start = usize::from(fields.first().is_some_and(|(tag, _)| *tag == 0xa0));
    match (fields.get(start + 2), fields.get(start + 4)) {
        (Some((SEQUENCE, issuer)), Some((SEQUENCE, subject))) => issuer == subject,
        _ => false,
    }
}

/// Walk the distribution points and keep every uniformResourceIdentifier ([6] IA5String).
fn collect_uris(der: &[u8], urls: &mut Vec<String>) {
    for (tag, value) in children(der) {
        if tag == 0x86 {
            if let Ok(uri) = std::str::from_utf8(value) {
                if uri.starts_with("http://") || uri.starts_with("https://") {
                    urls.push(uri.to_string());
                }
            }
        } else if tag & 0x20 != 0 {
            // Constructed: DistributionPoint, [0] distributionPoint, [0] fullName…
            collect_uris(value, urls);
        }
    }
}

/// A CRL's `nextUpdate`, in seconds since the Unix epoch (`None` when absent or unreadable).
pub fn crl_next_update(crl_der: &[u8]) -> Option<u64> {
    let (SEQUENCE, crl, _) = tlv(crl_der)? else {
        return None;
    };
    let (SEQUENCE, tbs, _) = tlv(crl)? else {
        return None;
    };
    // version INTEGER OPTIONAL, signature, issuer, thisUpdate, nextUpdate OPTIONAL
    let fields = children(tbs);
    let start = usize::from(fields.first()?.0 == 0x02);
    let times: Vec<_> = fields
        .iter()
        .skip(start + 2)
        .take(2)
        .filter(|(tag, _)| *tag == 0x17 || *tag == 0x18)
        .collect();
    let (tag, value) = times.get(1)?;
    parse_time(*tag, value)
}

/// UTCTime (`YYMMDDHHMMSSZ`) or GeneralizedTime (`YYYYMMDDHHMMSSZ`) to Unix seconds.
fn parse_time(tag: u8, value: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(value).ok()?.strip_suffix('Z')?;
    let (year, rest) = if tag == 0x17 {
        let yy: u64 = text.get(..2)?.parse().ok()?;
        (if yy >= 50 { 1900 + yy } else { 2000 + yy }, text.get(2..)?)
    } else {
        (text.get(..4)?.parse().ok()?, text.get(4..)?)
    };
    let num = |r: std::ops::Range<usize>| -> Option<u64> { rest.get(r)?.parse().ok() };
    let (month, day, hour, min, sec) =
        (num(0..2)?, num(2..4)?, num(4..6)?, num(6..8)?, num(8..10)?);
    if !(1..=12).contains(&month) || day == 0 || day > 31 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + min * 60 + sec)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time(0x17, b"700101000000Z"), Some(0));
        assert_eq!(parse_time(0x18, b"20000301000000Z"), Some(951_868_800));
        assert_eq!(parse_time(0x17, b"240229120000Z"), Some(1_709_208_000));
        assert_eq!(parse_time(0x17, b"garbage"), None);
    }

    #[test]
    fn not_der() {
        assert!(crl_distribution_points(b"not a certificate").is_empty());
        assert_eq!(crl_next_update(&[0x30, 0x00]), None);
    }
}
