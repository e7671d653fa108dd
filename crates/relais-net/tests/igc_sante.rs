//! The production IGC-Santé certificates Relais ships are the ANS's, byte for byte: a
//! changed file is noticed here (fingerprints from the ANS chain `Chaine_de_certification-IGC-Sante.p7b`).

use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use sha2::Digest;

const ROOT: &str = "2D:9E:22:CA:19:F7:77:C6:B7:45:25:7C:72:3E:CB:8D:F3:C3:5F:A6:F1:F6:EC:36:B8:36:00:C9:73:46:96:7F";
const ORGANISATIONS: &str = "D8:34:EE:5B:40:68:6B:73:57:3F:60:54:7B:F6:05:2C:6D:40:4D:94:2A:56:65:CD:B2:C0:B9:13:7B:5D:27:B2";

#[test]
fn shipped_igc_sante_certificates_have_the_published_fingerprints() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/trust/igc-sante.pem");
    let fingerprints: Vec<String> = CertificateDer::pem_file_iter(path)
        .expect("the IGC-Santé file is shipped")
        .map(|c| {
            let der = c.expect("a PEM certificate");
            sha2::Sha256::digest(der.as_ref())
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect::<Vec<_>>()
                .join(":")
        })
        .collect();
    assert_eq!(
        fingerprints,
        vec![ROOT.to_string(), ORGANISATIONS.to_string()]
    );
}

#[test]
fn a_profile_without_tls_table_trusts_the_igc_sante_roots_only() {
    let profile = relais_net::OperatorProfile::from_toml(
        "name = \"Opérateur\"\n[imap]\nhost = \"imap.example.mssante.fr\"\n[submission]\nhost = \"smtp.example.mssante.fr\"\n",
        std::path::Path::new("/"),
    )
    .expect("a production profile");
    let policy = relais_net::TlsPolicy::from_profile(&profile).expect("the shipped roots load");
    assert_eq!(policy.anchors().len(), 2);
    // A profile written back (DNS SRV case) reads the same.
    let again =
        relais_net::OperatorProfile::from_toml(&profile.to_toml(), std::path::Path::new("/"))
            .unwrap();
    assert_eq!(again, profile);
}
