//! Three things rustls does not expose, read with `x509-parser`: the CRL distribution points
//! of a certificate (RFC 5280 §4.2.1.13), whether a certificate is self-issued (a root), and
//! the `nextUpdate` of a CRL (§5.1.2.5).
//! Everything cryptographic (signatures, chains, revocation) stays with rustls/webpki.

use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension};
use x509_parser::prelude::{CertificateRevocationList, FromDer, X509Certificate};

/// The `http`/`https` URIs of a certificate's CRL distribution points (their `fullName`);
/// none when the certificate cannot be read.
pub fn crl_distribution_points(cert_der: &[u8]) -> Vec<String> {
    let Ok((_, cert)) = X509Certificate::from_der(cert_der) else {
        return Vec::new();
    };
    let mut urls = Vec::new();
    for extension in cert.extensions() {
        let ParsedExtension::CRLDistributionPoints(points) = extension.parsed_extension() else {
            continue;
        };
        for point in points.iter() {
            let Some(DistributionPointName::FullName(names)) = &point.distribution_point else {
                continue;
            };
            for name in names {
                if let GeneralName::URI(uri) = name {
                    if uri.starts_with("http://") || uri.starts_with("https://") {
                        urls.push((*uri).to_string());
                    }
                }
            }
        }
    }
    urls
}

/// Whether a certificate's issuer and subject names are the same (a root, RFC 5280 §3.2);
/// false when the certificate cannot be read.
pub fn is_self_issued(cert_der: &[u8]) -> bool {
    let Ok((_, cert)) = X509Certificate::from_der(cert_der) else {
        return false;
    };
    cert.issuer().as_raw() == cert.subject().as_raw()
}

/// A CRL's `nextUpdate`, in seconds since the Unix epoch (`None` when absent, before 1970
/// or unreadable).
pub fn crl_next_update(crl_der: &[u8]) -> Option<u64> {
    let (_, crl) = CertificateRevocationList::from_der(crl_der).ok()?;
    u64::try_from(crl.next_update()?.timestamp()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, CertificateRevocationListDer};

    const CERT: &str = include_str!("../testdata/der/cert-with-crl-dp.pem");
    const CRL_2051: &str = include_str!("../testdata/der/crl-next-2051.pem");
    const CRL_2024: &str = include_str!("../testdata/der/crl-next-2024.pem");

    fn crl(pem: &str) -> Vec<u8> {
        CertificateRevocationListDer::from_pem_slice(pem.as_bytes())
            .unwrap()
            .as_ref()
            .to_vec()
    }

    #[test]
    fn distribution_points_keep_http_and_https() {
        let der = CertificateDer::from_pem_slice(CERT.as_bytes()).unwrap();
        assert_eq!(
            crl_distribution_points(der.as_ref()),
            [
                "http://crl.example.fr/ac.crl",
                "https://crl2.example.fr/ac.crl"
            ]
        );
    }

    #[test]
    fn next_update_in_utc_and_generalized_time() {
        // nextUpdate 2051-01-01T00:00:00Z (GeneralizedTime, from 2050 on).
        assert_eq!(crl_next_update(&crl(CRL_2051)), Some(2_556_144_000));
        // nextUpdate 2024-03-01T12:00:00Z (UTCTime), the day after a 29 February.
        assert_eq!(crl_next_update(&crl(CRL_2024)), Some(1_709_294_400));
    }

    #[test]
    fn not_der() {
        assert!(crl_distribution_points(b"not a certificate").is_empty());
        assert_eq!(crl_next_update(&[0x30, 0x00]), None);
        let mut cut = crl(CRL_2051);
        cut.truncate(cut.len() / 2);
        assert_eq!(crl_next_update(&cut), None);
    }
}
