//! The **operator profile**: everything Relais needs to know to connect to one MSSanté
//! operator, in a small public TOML file the operator (or an administrator) publishes.
//!
//! ```toml
//! # Required. Shown to the user.
//! name = "Opérateur de démonstration"
//! # Optional: the largest message the operator accepts, in bytes (checked before sending).
//! max_message_size = 26214400
//!
//! [imap]                       # required
//! host = "imap.operateur.mssante.fr"
//! port = 143                   # optional: 143 for starttls, 993 for tls
//! security = "starttls"        # "starttls" (default) or "tls" (implicit TLS)
//!
//! [submission]                 # required
//! host = "smtp.operateur.mssante.fr"
//! port = 587                   # optional: 587 for starttls, 465 for tls
//! security = "starttls"
//!
//! [tls]                        # required
//! # PEM file of the only roots trusted for this operator (IGC-Santé), relative to this
//! # file's folder or absolute. System and Mozilla roots are never used. The CA
//! # certificates in it that are not roots (« AC IGC-SANTE ELEMENTAIRE ORGANISATIONS ») are
//! # the only ones allowed to issue the server certificate (ECO.1.1.10). Default: the
//! # production IGC-Santé file shipped with Relais ("igc-sante").
//! trust_anchors = "igc-sante-roots.pem"
//! # Optional: CRLs to use on top of those named in the server certificate (DER or PEM
//! # files, relative or absolute, or http(s) URLs).
//! crl = ["http://igc-sante.esante.gouv.fr/CRL/ACI-EL-ORG.crl"]
//! # Optional (default true): check revocation. Only for a test operator without CRLs.
//! check_revocation = true
//!
//! [pro_sante_connect]          # optional: sign-in with e-CPS
//! issuer = "https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet"
//! client_id = "relais"
//!
//! [boxes]                      # optional
//! organisational = ["secretariat.cardio@ch-demo.mssante.fr"]
//!
//! [annuaire]                   # optional
//! # The Annuaire Santé extraction (Extraction_Correspondance_MSSante*.txt) that a profile
//! # without a directory imports at first sign-in, relative to this file's folder or absolute.
//! extraction = "Extraction_Correspondance_MSSante.txt"
//! ```
//!
//! Unknown keys are refused, so that a misspelt key does not silently weaken the profile.

use std::path::{Path, PathBuf};

use relais_core::BoxAddress;
use serde::{Deserialize, Serialize};

/// How a connection is secured. Plain text is not an option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain TCP, then STARTTLS before anything else (RFC 3207 / RFC 3501).
    #[default]
    Starttls,
    /// TLS from the first byte (IMAPS 993, submissions 465).
    Tls,
}

/// A server of the operator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerEndpoint {
    pub host: String,
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub security: Security,
}

impl ServerEndpoint {
    /// The port, or the standard one for the protocol and security.
    pub fn port_or(&self, starttls_default: u16, tls_default: u16) -> u16 {
        self.port.unwrap_or(match self.security {
            Security::Starttls => starttls_default,
            Security::Tls => tls_default,
        })
    }
}

/// The `[tls]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSettings {
    /// PEM file of the trust anchors (resolved to an absolute path by [`OperatorProfile::load`]),
    /// or [`IGC_SANTE`] for the production IGC-Santé roots Relais ships (the default).
    #[serde(default = "igc_sante")]
    pub trust_anchors: PathBuf,
    /// Extra CRL sources: file paths (resolved) or `http(s)://` URLs.
    #[serde(default)]
    pub crl: Vec<String>,
    #[serde(default = "yes")]
    pub check_revocation: bool,
}

fn yes() -> bool {
    true
}

/// The `trust_anchors` value naming the production IGC-Santé roots shipped with Relais
/// (`AC RACINE IGC-SANTE ELEMENTAIRE` and `AC IGC-SANTE ELEMENTAIRE ORGANISATIONS`).
pub const IGC_SANTE: &str = "igc-sante";

fn igc_sante() -> PathBuf {
    PathBuf::from(IGC_SANTE)
}

impl Default for TlsSettings {
    /// A production MSSanté operator: the IGC-Santé roots, revocation checked.
    fn default() -> Self {
        TlsSettings {
            trust_anchors: igc_sante(),
            crl: Vec::new(),
            check_revocation: true,
        }
    }
}

/// The `[pro_sante_connect]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PscSettings {
    pub issuer: String,
    pub client_id: String,
}

/// The `[boxes]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct BoxesSettings {
    #[serde(default)]
    pub organisational: Vec<BoxAddress>,
    /// Display names of boxes (« Secrétariat de cardiologie »), keyed by address: the
    /// operator's directory names, shown in the box list and in `From:`.
    #[serde(default)]
    pub names: std::collections::BTreeMap<String, String>,
}

/// The `[annuaire]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AnnuaireSettings {
    /// The Annuaire Santé extraction to import at first sign-in (resolved against the
    /// profile's folder).
    #[serde(default)]
    pub extraction: Option<PathBuf>,
}

impl BoxesSettings {
    /// The operator's name for a box, if it gives one.
    pub fn name_of(&self, address: &BoxAddress) -> Option<&str> {
        self.names
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(address.as_str()))
            .map(|(_, n)| n.as_str())
    }
}

/// An operator profile (see the module documentation for the file format).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorProfile {
    pub name: String,
    #[serde(default)]
    pub max_message_size: Option<u64>,
    pub imap: ServerEndpoint,
    pub submission: ServerEndpoint,
    #[serde(default)]
    pub tls: TlsSettings,
    #[serde(default)]
    pub pro_sante_connect: Option<PscSettings>,
    #[serde(default)]
    pub boxes: BoxesSettings,
    #[serde(default)]
    pub annuaire: AnnuaireSettings,
}

/// Why a profile cannot be used. French messages: they reach the user.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("Le profil d'opérateur « {path} » ne peut pas être lu : {detail}")]
    Read { path: PathBuf, detail: String },
    #[error("Le profil d'opérateur « {path} » est invalide : {detail}")]
    Invalid { path: PathBuf, detail: String },
}

impl OperatorProfile {
    /// Read a profile file; relative paths in it are taken from the file's folder.
    pub fn load(path: impl AsRef<Path>) -> Result<OperatorProfile, ProfileError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| ProfileError::Read {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::from_toml(&text, base).map_err(|detail| ProfileError::Invalid {
            path: path.to_path_buf(),
            detail,
        })
    }

    /// Parse a profile's text; relative paths are resolved against `base_dir`.
    pub fn from_toml(text: &str, base_dir: &Path) -> Result<OperatorProfile, String> {
        let mut profile: OperatorProfile = toml::from_str(text).map_err(|e| e.to_string())?;
        if profile.name.trim().is_empty() {
            return Err("le nom de l'opérateur est vide".into());
        }
        for (what, endpoint) in [("imap", &profile.imap), ("submission", &profile.submission)] {
            if endpoint.host.trim().is_empty() {
                return Err(format!("[{what}] host est vide"));
            }
        }
        if profile.tls.trust_anchors != Path::new(IGC_SANTE) {
            profile.tls.trust_anchors = resolve(base_dir, &profile.tls.trust_anchors);
        }
        for source in &mut profile.tls.crl {
            if !is_url(source) {
                *source = resolve(base_dir, Path::new(source)).display().to_string();
            }
        }
        if let Some(extraction) = &mut profile.annuaire.extraction {
            *extraction = resolve(base_dir, extraction);
        }
        if let Some(psc) = &profile.pro_sante_connect {
            url::Url::parse(&psc.issuer)
                .map_err(|e| format!("[pro_sante_connect] issuer invalide : {e}"))?;
        }
        Ok(profile)
    }

    /// A profile for a person who typed only an address: the servers from DNS SRV
    /// (RFC 6186), the production IGC-Santé roots, revocation checked. `None` when the
    /// domain publishes no IMAP or submission service.
    pub fn from_srv(address: &BoxAddress) -> Option<OperatorProfile> {
        let (imap, submission) = discover_srv(address)?;
        Some(OperatorProfile::for_servers(
            address.domain(),
            imap,
            submission,
        ))
    }

    /// A production profile for these servers (IGC-Santé roots, no Pro Santé Connect).
    pub fn for_servers(
        name: &str,
        imap: ServerEndpoint,
        submission: ServerEndpoint,
    ) -> OperatorProfile {
        OperatorProfile {
            name: name.to_string(),
            max_message_size: None,
            imap,
            submission,
            tls: TlsSettings::default(),
            pro_sante_connect: None,
            boxes: BoxesSettings::default(),
            annuaire: AnnuaireSettings::default(),
        }
    }

    /// The profile as a file (for a profile found by DNS SRV, kept in the person's folder).
    /// Only what [`OperatorProfile::for_servers`] sets is written.
    pub fn to_toml(&self) -> String {
        let endpoint = |e: &ServerEndpoint| {
            let security = match e.security {
                Security::Starttls => "starttls",
                Security::Tls => "tls",
            };
            let port = e.port.map(|p| format!("port = {p}\n")).unwrap_or_default();
            format!("host = {:?}\n{port}security = \"{security}\"\n", e.host)
        };
        format!(
            "name = {:?}\n[imap]\n{}[submission]\n{}[tls]\ntrust_anchors = {:?}\ncheck_revocation = {}\n",
            self.name,
            endpoint(&self.imap),
            endpoint(&self.submission),
            self.tls.trust_anchors.display().to_string(),
            self.tls.check_revocation,
        )
    }

    /// The IMAP port (143 STARTTLS / 993 TLS when not given).
    pub fn imap_port(&self) -> u16 {
        self.imap.port_or(143, 993)
    }

    /// The submission port (587 STARTTLS / 465 TLS when not given).
    pub fn submission_port(&self) -> u16 {
        self.submission.port_or(587, 465)
    }

    /// Whether the profile lists `address` as an organisational box.
    pub fn is_organisational(&self, address: &BoxAddress) -> bool {
        self.boxes.organisational.iter().any(|b| b == address)
    }
}

pub(crate) fn is_url(source: &str) -> bool {
    source.starts_with("http://") || source.starts_with("https://")
}

fn resolve(base: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() {
        path.to_path_buf()
    } else {
        base.join(path)
    }
}

/// Servers found by DNS SRV (RFC 6186, RFC 8314): `(imap, submission)` for the domain of
/// `address`, asking the resolvers of the system (`/etc/resolv.conf`, the Windows registry,
/// macOS's System Configuration; 2 s per attempt, one retry).
///
/// `_imaps._tcp` / `_submissions._tcp` give [`Security::Tls`], `_imap._tcp` /
/// `_submission._tcp` [`Security::Starttls`]; the lowest priority wins across the two, implicit
/// TLS at equal priority, then RFC 2782's weighted choice; a `.` target means not offered.
/// The port is always given.
///
/// `None` when the domain does not publish both services, when any lookup fails (timeout,
/// server failure, malformed answer) and when the system's resolver configuration cannot be
/// read: callers fall back to the operator profile. DNS is not authenticated: show what is
/// found to the person before using it.
pub fn discover_srv(address: &BoxAddress) -> Option<(ServerEndpoint, ServerEndpoint)> {
    crate::srv::discover(
        address.domain(),
        crate::srv::Resolvers::System,
        crate::srv::DEFAULT_TIMEOUT,
    )
}

/// [`discover_srv`] for a bare domain (what a person types as their operator: the part after
/// the `@` of their address), asking `resolver` when given (tests), else the system's.
pub fn discover_srv_for_domain(
    domain: &str,
    resolver: Option<std::net::SocketAddr>,
) -> Option<(ServerEndpoint, ServerEndpoint)> {
    let resolvers = match resolver {
        Some(at) => crate::srv::Resolvers::At(at),
        None => crate::srv::Resolvers::System,
    };
    crate::srv::discover(domain, resolvers, crate::srv::DEFAULT_TIMEOUT)
}

/// [`discover_srv`] asking `resolver` (port included) with `timeout` per attempt.
pub fn discover_srv_with(
    address: &BoxAddress,
    resolver: std::net::SocketAddr,
    timeout: std::time::Duration,
) -> Option<(ServerEndpoint, ServerEndpoint)> {
    crate::srv::discover(
        address.domain(),
        crate::srv::Resolvers::At(resolver),
        timeout,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
name = "Opérateur"
max_message_size = 1000
[imap]
host = "127.0.0.2"
port = 1143
security = "starttls"
[submission]
host = "127.0.0.2"
security = "tls"
[tls]
trust_anchors = "pki/roots.pem"
crl = ["crl/a.crl", "http://x/y.crl", "/abs.crl"]
[pro_sante_connect]
issuer = "https://127.0.0.2:1"
client_id = "relais"
[boxes]
organisational = ["secretariat.cardio@ch-demo.mssante.fr"]
[annuaire]
extraction = "annuaire/Extraction_Correspondance_MSSante.txt"
"#;

    #[test]
    fn parses_and_resolves() {
        let p = OperatorProfile::from_toml(SAMPLE, Path::new("/etc/op")).unwrap();
        assert_eq!(p.imap_port(), 1143);
        assert_eq!(p.submission_port(), 465);
        assert_eq!(p.tls.trust_anchors, PathBuf::from("/etc/op/pki/roots.pem"));
        assert_eq!(
            p.tls.crl,
            ["/etc/op/crl/a.crl", "http://x/y.crl", "/abs.crl"]
        );
        assert!(p.tls.check_revocation);
        assert_eq!(
            p.annuaire.extraction,
            Some(PathBuf::from(
                "/etc/op/annuaire/Extraction_Correspondance_MSSante.txt"
            ))
        );
        assert!(p.is_organisational(
            &BoxAddress::parse("secretariat.cardio@ch-demo.mssante.fr").unwrap()
        ));
    }

    #[test]
    fn refuses_unknown_keys_and_plaintext() {
        let bad = SAMPLE.replace("trust_anchors", "trust_anchor");
        assert!(OperatorProfile::from_toml(&bad, Path::new("/")).is_err());
        let plain = SAMPLE.replace("security = \"tls\"", "security = \"none\"");
        assert!(OperatorProfile::from_toml(&plain, Path::new("/")).is_err());
    }

    #[test]
    fn eco_2_4_3_an_operator_profile_cannot_set_x_mss_nil() {
        // X-MSS-NIL is the product's own reference (relais_core::X_MSS_NIL): a profile that
        // tries to set it is refused like any unknown key.
        let with_nil = SAMPLE.replace(
            "max_message_size",
            "x_mss_nil = \"AUTRE\"\nmax_message_size",
        );
        let err = OperatorProfile::from_toml(&with_nil, Path::new("/")).unwrap_err();
        assert!(err.contains("x_mss_nil"), "{err}");
    }
}
