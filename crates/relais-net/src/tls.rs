//! TLS the MSSanté way: trust **only** the operator's anchors (IGC-Santé), TLS 1.2 or newer
//! with only the cipher suites the ANS allows (ECO.1.1.3), certificate expiry and host name
//! checked by rustls/webpki, the server certificate issued by the « Élémentaire
//! Organisations » CA (ECO.1.1.10), and **revocation** checked against CRLs for the whole
//! chain.
//!
//! The anchors file holds roots (self-issued certificates) and, like the production IGC-Santé
//! file, the CA that must issue servers' certificates: a certificate chaining to the same root
//! through another CA (a sibling) is refused. A file of roots only pins no issuing CA.
//!
//! Cipher suites: TLS 1.2 offers only `ECDHE-RSA` with AES-256-GCM-SHA384 (0xC030) and
//! AES-128-GCM-SHA256 (0xC02F); the two CBC suites of the ANS list (0xC028, 0xC027) are not
//! implemented by rustls, so they are never offered. TLS 1.3 offers its two AES-GCM suites
//! (see `docs/conformity.md`, ECO.1.1.3, for why TLS 1.3 stays on).
//!
//! Where the CRLs come from, in order: the profile's `[tls] crl` list (files or URLs) and the
//! CRL distribution points written in the server's certificate. A CRL fetched over HTTP is
//! kept in memory and, when [`TlsPolicy::with_crl_cache`] names a folder, on disk; it is
//! fetched again once older than [`TlsPolicy::with_crl_max_age`] (default one hour). When a
//! fresh copy cannot be fetched, the last cached CRL is used while it has not expired
//! (`nextUpdate`). With no usable CRL the connection is refused ("fail closed"): revocation
//! status unknown. Every certificate of the chain but the root is checked: the server's
//! against its CA's CRL, the CA's against the root's CRL (ARL), whose distribution point the
//! IGC-Santé « Élémentaire Organisations » certificate names.
//!
//! Every failure is a [`TlsError`] with a French message for the user.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::{
    AlertDescription, CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore,
    SignatureScheme, SupportedCipherSuite,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, CertificateRevocationListDer, ServerName, UnixTime};
use sha2::Digest as _;

use crate::der;
use crate::profile::{is_url, OperatorProfile};

/// Largest CRL accepted over HTTP (IGC-Santé CRLs are a few megabytes at most).
const MAX_CRL_BYTES: u64 = 32 * 1024 * 1024;

/// A TLS failure, as the user sees it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TlsError {
    #[error("Le certificat du serveur n'est pas reconnu par l'IGC-Santé : il n'a pas été émis par une autorité de confiance de cet opérateur. La connexion est refusée ({detail}).")]
    Untrusted { detail: String },
    #[error(
        "Le certificat du serveur a expiré ou n'est pas encore valide : la connexion est refusée."
    )]
    Expired,
    #[error("Le certificat du serveur a été révoqué par son autorité de certification : la connexion est refusée.")]
    Revoked,
    #[error("Le certificat du serveur n'a pas été émis par l'autorité « Élémentaire Organisations » de l'IGC-Santé désignée par le profil de l'opérateur : la connexion est refusée.")]
    WrongAuthority,
    #[error("Le serveur ne propose aucune des suites de chiffrement autorisées pour MSSanté (TLS 1.2 ECDHE-RSA AES-GCM, ou TLS 1.3) : la connexion est refusée.")]
    NoAllowedCipherSuite,
    #[error("Le certificat du serveur n'est pas établi au nom de « {host} » : la connexion est refusée.")]
    HostnameMismatch { host: String },
    #[error("Impossible de vérifier que le certificat du serveur n'a pas été révoqué (liste de révocation indisponible ou périmée) : la connexion est refusée.")]
    RevocationUnknown,
    #[error("Les autorités de confiance de l'opérateur ne peuvent pas être chargées depuis « {path} » : {detail}")]
    Anchors { path: PathBuf, detail: String },
    #[error("Le nom de serveur « {host} » est invalide.")]
    BadHostName { host: String },
    #[error("La négociation TLS avec le serveur a échoué : {detail}")]
    Handshake { detail: String },
}

impl TlsError {
    /// Classify a rustls error (from a handshake) for the server `host`.
    pub fn from_rustls(err: &rustls::Error, host: &str) -> TlsError {
        match err {
            rustls::Error::InvalidCertificate(cert) => match cert {
                CertificateError::Expired
                | CertificateError::ExpiredContext { .. }
                | CertificateError::NotValidYet
                | CertificateError::NotValidYetContext { .. } => TlsError::Expired,
                CertificateError::Revoked => TlsError::Revoked,
                CertificateError::ApplicationVerificationFailure => TlsError::WrongAuthority,
                CertificateError::NotValidForName
                | CertificateError::NotValidForNameContext { .. } => TlsError::HostnameMismatch {
                    host: host.to_string(),
                },
                CertificateError::UnknownRevocationStatus
                | CertificateError::ExpiredRevocationList
                | CertificateError::ExpiredRevocationListContext { .. } => {
                    TlsError::RevocationUnknown
                }
                other => TlsError::Untrusted {
                    detail: format!("{other:?}"),
                },
            },
            rustls::Error::AlertReceived(AlertDescription::HandshakeFailure)
            | rustls::Error::AlertReceived(AlertDescription::InsufficientSecurity)
            | rustls::Error::PeerIncompatible(_) => TlsError::NoAllowedCipherSuite,
            other => TlsError::Handshake {
                detail: other.to_string(),
            },
        }
    }

    /// Find a rustls error in an error's source chain (io errors included) and classify it.
    pub fn find_in(err: &(dyn std::error::Error + 'static), host: &str) -> Option<TlsError> {
        let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
        while let Some(e) = current {
            if let Some(tls) = e.downcast_ref::<rustls::Error>() {
                return Some(TlsError::from_rustls(tls, host));
            }
            if let Some(io) = e.downcast_ref::<io::Error>() {
                if let Some(inner) = io.get_ref() {
                    if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
                        return Some(TlsError::from_rustls(tls, host));
                    }
                }
            }
            current = e.source();
        }
        None
    }
}

#[derive(Clone)]
struct CachedCrl {
    der: Vec<u8>,
    fetched: SystemTime,
}

#[derive(Clone)]
struct Inner {
    anchors_der: Vec<CertificateDer<'static>>,
    roots: Arc<RootCertStore>,
    /// The CAs that must issue the server certificate (ECO.1.1.10), as a store of anchors
    /// for a second path check; `None` when the anchors file names none.
    issuing: Option<Arc<RootCertStore>>,
    issuing_der: Vec<CertificateDer<'static>>,
    provider: Arc<CryptoProvider>,
    check_revocation: bool,
    crl_sources: Vec<String>,
    cache_dir: Option<PathBuf>,
    max_age: Duration,
    http_timeout: Duration,
    memory: Arc<Mutex<HashMap<String, CachedCrl>>>,
}

/// The TLS rules for one operator. Cheap to clone; clones share the CRL cache.
#[derive(Clone)]
pub struct TlsPolicy(Arc<Inner>);

impl std::fmt::Debug for TlsPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsPolicy")
            .field("anchors", &self.0.anchors_der.len())
            .field("check_revocation", &self.0.check_revocation)
            .field("crl_sources", &self.0.crl_sources)
            .field("cache_dir", &self.0.cache_dir)
            .finish()
    }
}

/// The ANS's IGC-Santé production chain (root and « Élémentaire Organisations » CA);
/// fingerprints checked by `tests/igc_sante.rs`.
pub const IGC_SANTE_PEM: &[u8] = include_bytes!("../trust/igc-sante.pem");

impl TlsPolicy {
    /// Trust only the certificates of the PEM file `anchors` (revocation checked, no extra
    /// CRL source).
    pub fn from_anchors(anchors: &Path) -> Result<TlsPolicy, TlsError> {
        if anchors == Path::new(crate::profile::IGC_SANTE) {
            return Self::from_pem(IGC_SANTE_PEM, anchors);
        }
        let pem = std::fs::read(anchors).map_err(|e| TlsError::Anchors {
            path: anchors.to_path_buf(),
            detail: e.to_string(),
        })?;
        Self::from_pem(&pem, anchors)
    }

    /// The production IGC-Santé roots shipped with Relais.
    pub fn igc_sante() -> Result<TlsPolicy, TlsError> {
        Self::from_pem(IGC_SANTE_PEM, Path::new(crate::profile::IGC_SANTE))
    }

    fn from_pem(pem: &[u8], anchors: &Path) -> Result<TlsPolicy, TlsError> {
        let bad = |detail: String| TlsError::Anchors {
            path: anchors.to_path_buf(),
            detail,
        };
        let mut anchors_der = Vec::new();
        for cert in CertificateDer::pem_slice_iter(pem) {
            anchors_der.push(cert.map_err(|e| bad(e.to_string()))?);
        }
        if anchors_der.is_empty() {
            return Err(bad("aucun certificat dans le fichier".into()));
        }
        let (root_der, issuing_der): (Vec<_>, Vec<_>) = anchors_der
            .iter()
            .cloned()
            .partition(|c| der::is_self_issued(c.as_ref()));
        // A file without any root: its certificates are the anchors themselves.
        let (root_der, issuing_der) = if root_der.is_empty() {
            (issuing_der, Vec::new())
        } else {
            (root_der, issuing_der)
        };
        let store = |certs: &[CertificateDer<'static>]| -> Result<RootCertStore, TlsError> {
            let mut store = RootCertStore::empty();
            for cert in certs {
                store.add(cert.clone()).map_err(|e| bad(e.to_string()))?;
            }
            Ok(store)
        };
        let roots = store(&root_der)?;
        let issuing = if issuing_der.is_empty() {
            None
        } else {
            Some(Arc::new(store(&issuing_der)?))
        };
        Ok(TlsPolicy(Arc::new(Inner {
            anchors_der,
            roots: Arc::new(roots),
            issuing,
            issuing_der,
            provider: Arc::new(eco_provider()),
            check_revocation: true,
            crl_sources: Vec::new(),
            cache_dir: None,
            max_age: Duration::from_secs(3600),
            http_timeout: Duration::from_secs(15),
            memory: Arc::default(),
        })))
    }

    /// The policy a profile describes (`[tls]`).
    pub fn from_profile(profile: &OperatorProfile) -> Result<TlsPolicy, TlsError> {
        let mut policy = Self::from_anchors(&profile.tls.trust_anchors)?;
        let inner = Arc::make_mut(&mut policy.0);
        inner.crl_sources = profile.tls.crl.clone();
        inner.check_revocation = profile.tls.check_revocation;
        Ok(policy)
    }

    /// Keep fetched CRLs in `dir` (created if needed) so that the last valid one survives
    /// restarts and network outages.
    pub fn with_crl_cache(mut self, dir: impl Into<PathBuf>) -> TlsPolicy {
        Arc::make_mut(&mut self.0).cache_dir = Some(dir.into());
        self
    }

    /// Fetch a CRL again once the cached copy is older than this (default 1 h; zero: at every
    /// connection).
    pub fn with_crl_max_age(mut self, max_age: Duration) -> TlsPolicy {
        Arc::make_mut(&mut self.0).max_age = max_age;
        self
    }

    /// Add a CRL source (file path or `http(s)://` URL).
    pub fn with_crl_source(mut self, source: impl Into<String>) -> TlsPolicy {
        Arc::make_mut(&mut self.0).crl_sources.push(source.into());
        self
    }

    /// Turn revocation checking on or off (off only for test operators without CRLs).
    pub fn with_revocation_check(mut self, check: bool) -> TlsPolicy {
        Arc::make_mut(&mut self.0).check_revocation = check;
        self
    }

    /// The trust anchors (DER), e.g. for a TLS stack that takes roots only.
    pub fn anchors(&self) -> &[CertificateDer<'static>] {
        &self.0.anchors_der
    }

    /// A rustls client configuration: TLS 1.3 and 1.2 with the ANS cipher suites, the
    /// operator's anchors only, CRLs.
    pub fn client_config(&self) -> Result<Arc<ClientConfig>, TlsError> {
        Ok(Arc::new(self.config_with(Arc::new(self.verifier()))?))
    }

    fn config_with(&self, verifier: Arc<dyn ServerCertVerifier>) -> Result<ClientConfig, TlsError> {
        let builder = ClientConfig::builder_with_provider(self.0.provider.clone())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| TlsError::Handshake {
                detail: e.to_string(),
            })?;
        Ok(builder
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth())
    }

    fn verifier(&self) -> RelaisVerifier {
        RelaisVerifier {
            policy: self.clone(),
            base: self.base_verifier(Vec::new()),
        }
    }

    fn base_verifier(
        &self,
        crls: Vec<CertificateRevocationListDer<'static>>,
    ) -> Result<Arc<WebPkiServerVerifier>, String> {
        let mut builder = WebPkiServerVerifier::builder_with_provider(
            self.0.roots.clone(),
            self.0.provider.clone(),
        );
        if !crls.is_empty() {
            // Whole chain (the default depth), unknown status refused (the default policy).
            builder = builder.with_crls(crls).enforce_revocation_expiration();
        }
        builder.build().map_err(|e| e.to_string())
    }

    /// A verifier whose only anchors are the issuing CAs: a path to one of them proves that
    /// it issued the server certificate (directly or through its own sub-CAs).
    fn issuing_verifier(&self) -> Option<Result<Arc<WebPkiServerVerifier>, String>> {
        let issuing = self.0.issuing.clone()?;
        Some(
            WebPkiServerVerifier::builder_with_provider(issuing, self.0.provider.clone())
                .build()
                .map_err(|e| e.to_string()),
        )
    }

    /// An HTTP(S) agent for the operator's web services (Pro Santé Connect): same trust.
    pub fn http_agent(&self) -> Result<ureq::Agent, TlsError> {
        Ok(ureq::AgentBuilder::new()
            .tls_config(self.client_config()?)
            .timeout(self.0.http_timeout)
            .redirects(0)
            .build())
    }

    /// Wrap a connected socket in TLS for `host` and finish the handshake now, so that
    /// certificate problems surface here.
    pub fn connect(&self, tcp: TcpStream, host: &str) -> Result<TlsStream, TlsError> {
        let name = server_name(host)?;
        let conn = rustls::ClientConnection::new(self.client_config()?, name).map_err(|e| {
            TlsError::Handshake {
                detail: e.to_string(),
            }
        })?;
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        while tls.conn.is_handshaking() {
            if let Err(e) = tls.conn.complete_io(&mut tls.sock) {
                return Err(TlsError::find_in(&e, host).unwrap_or(TlsError::Handshake {
                    detail: e.to_string(),
                }));
            }
        }
        Ok(TlsStream(Arc::new(Mutex::new(tls))))
    }

    /// Verify a certificate chain received by another TLS stack (end entity first) with
    /// this policy, revocation included.
    pub fn verify_chain(&self, chain: &[Vec<u8>], host: &str) -> Result<(), TlsError> {
        let name = server_name(host)?;
        let (end_entity, intermediates) = chain.split_first().ok_or(TlsError::Handshake {
            detail: "aucun certificat présenté".into(),
        })?;
        let end_entity = CertificateDer::from(end_entity.clone());
        let intermediates: Vec<_> = intermediates
            .iter()
            .map(|c| CertificateDer::from(c.clone()))
            .collect();
        self.verifier()
            .verify_server_cert(&end_entity, &intermediates, &name, &[], UnixTime::now())
            .map(|_| ())
            .map_err(|e| TlsError::from_rustls(&e, host))
    }

    /// The CRLs that apply to the chain (`end_entity` and the CAs above it), and whether any
    /// source was known at all.
    fn crls_for(&self, chain: &[&[u8]]) -> (Vec<CertificateRevocationListDer<'static>>, bool) {
        let mut sources = self.0.crl_sources.clone();
        for cert in chain {
            for url in der::crl_distribution_points(cert) {
                if !sources.contains(&url) {
                    sources.push(url);
                }
            }
        }
        let mut crls = Vec::new();
        for source in &sources {
            if is_url(source) {
                if let Some(der) = self.crl_from_url(source) {
                    crls.push(CertificateRevocationListDer::from(der));
                }
            } else {
                crls.extend(crls_from_file(Path::new(source)));
            }
        }
        (crls, !sources.is_empty())
    }

    fn cache_path(&self, url: &str) -> Option<PathBuf> {
        let dir = self.0.cache_dir.as_ref()?;
        let hash = sha2::Sha256::digest(url.as_bytes());
        let name: String = hash.iter().take(16).map(|b| format!("{b:02x}")).collect();
        Some(dir.join(format!("{name}.crl")))
    }

    fn cached(&self, url: &str) -> Option<CachedCrl> {
        if let Some(hit) = self.0.memory.lock().ok()?.get(url) {
            return Some(hit.clone());
        }
        let path = self.cache_path(url)?;
        let der = std::fs::read(&path).ok()?;
        let fetched = std::fs::metadata(&path).and_then(|m| m.modified()).ok()?;
        Some(CachedCrl { der, fetched })
    }

    fn remember(&self, url: &str, der: &[u8]) {
        let entry = CachedCrl {
            der: der.to_vec(),
            fetched: SystemTime::now(),
        };
        if let Ok(mut memory) = self.0.memory.lock() {
            memory.insert(url.to_string(), entry);
        }
        if let Some(path) = self.cache_path(url) {
            // Best effort: a cache that cannot be written only costs a later fetch.
            if let Some(dir) = path.parent() {
                let _ = std::fs::create_dir_all(dir);
            }
            let tmp = path.with_extension("tmp");
            if std::fs::write(&tmp, der).is_ok() {
                let _ = std::fs::rename(&tmp, &path);
            }
        }
    }

    fn crl_from_url(&self, url: &str) -> Option<Vec<u8>> {
        let cached = self.cached(url).filter(|c| !crl_expired(&c.der));
        if let Some(c) = &cached {
            let age = SystemTime::now()
                .duration_since(c.fetched)
                .unwrap_or(Duration::MAX);
            if age < self.0.max_age {
                return Some(c.der.clone());
            }
        }
        match self.fetch_crl(url) {
            Some(der) if !crl_expired(&der) => {
                self.remember(url, &der);
                Some(der)
            }
            _ => cached.map(|c| c.der),
        }
    }

    fn fetch_crl(&self, url: &str) -> Option<Vec<u8>> {
        // CRLs are signed: plain HTTP is the norm. For https, trust the same anchors
        // (without revocation checking, which would need this very CRL).
        let config = self
            .config_with(self.base_verifier(Vec::new()).ok()?)
            .ok()?;
        let agent = ureq::AgentBuilder::new()
            .tls_config(Arc::new(config))
            .timeout(self.0.http_timeout)
            .build();
        let resp = agent.get(url).call().ok()?;
        let mut body = Vec::new();
        resp.into_reader()
            .take(MAX_CRL_BYTES)
            .read_to_end(&mut body)
            .ok()?;
        let der = pem_or_der_crl(body)?;
        webpki::OwnedCertRevocationList::from_der(&der).ok()?;
        Some(der)
    }
}

/// The TLS 1.2 cipher suites of ECO.1.1.3, in the ANS's order: ECDHE-RSA with
/// AES-256-GCM-SHA384, AES-128-GCM-SHA256, AES-256-CBC-SHA384, AES-128-CBC-SHA256.
pub const ANS_TLS12_SUITES: [u16; 4] = [0xC030, 0xC02F, 0xC028, 0xC027];

/// The TLS 1.3 suites kept: AES-256-GCM-SHA384 and AES-128-GCM-SHA256 (the AEADs of the ANS
/// list; ChaCha20-Poly1305 is left out).
pub const TLS13_SUITES: [u16; 2] = [0x1302, 0x1301];

/// Whether a cipher suite may be offered to an MSSanté server.
pub fn suite_allowed(suite: &SupportedCipherSuite) -> bool {
    let id = u16::from(suite.suite());
    match suite {
        SupportedCipherSuite::Tls12(_) => ANS_TLS12_SUITES.contains(&id),
        SupportedCipherSuite::Tls13(_) => TLS13_SUITES.contains(&id),
    }
}

/// ring's provider with only the allowed cipher suites, in the ANS's order of preference.
pub fn eco_provider() -> CryptoProvider {
    let mut provider = rustls::crypto::ring::default_provider();
    provider.cipher_suites.retain(suite_allowed);
    provider.cipher_suites.sort_by_key(|s| match s {
        SupportedCipherSuite::Tls13(_) => 0,
        SupportedCipherSuite::Tls12(_) => ANS_TLS12_SUITES
            .iter()
            .position(|id| *id == u16::from(s.suite()))
            .map_or(usize::MAX, |p| p + 1),
    });
    provider
}

/// Make the process-wide rustls provider (the one `lettre` uses for submission, which cannot
/// take our configuration) the ANS one, and refuse to go on when another provider offering
/// other suites was installed first.
pub fn ensure_process_provider() -> Result<(), TlsError> {
    // Fails only when a provider is already installed: that one is checked just below.
    let _ = CryptoProvider::install_default(eco_provider());
    let offered_ok = CryptoProvider::get_default()
        .is_some_and(|p| !p.cipher_suites.is_empty() && p.cipher_suites.iter().all(suite_allowed));
    if offered_ok {
        Ok(())
    } else {
        Err(TlsError::Handshake {
            detail: "le fournisseur TLS du processus propose des suites de chiffrement non autorisées pour MSSanté".into(),
        })
    }
}

fn crl_expired(der: &[u8]) -> bool {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    der::crl_next_update(der).is_some_and(|next| next <= now)
}

fn pem_or_der_crl(bytes: Vec<u8>) -> Option<Vec<u8>> {
    if bytes.starts_with(b"-----BEGIN") {
        CertificateRevocationListDer::from_pem_slice(&bytes)
            .ok()
            .map(|c| c.as_ref().to_vec())
    } else {
        Some(bytes)
    }
}

fn crls_from_file(path: &Path) -> Vec<CertificateRevocationListDer<'static>> {
    let Ok(bytes) = std::fs::read(path) else {
        return Vec::new();
    };
    if bytes.starts_with(b"-----BEGIN") {
        CertificateRevocationListDer::pem_slice_iter(&bytes)
            .filter_map(Result::ok)
            .collect()
    } else {
        vec![CertificateRevocationListDer::from(bytes)]
    }
}

fn server_name(host: &str) -> Result<ServerName<'static>, TlsError> {
    ServerName::try_from(host.to_string()).map_err(|_| TlsError::BadHostName {
        host: host.to_string(),
    })
}

/// Our verifier: webpki chain/expiry/host name against the anchors, then revocation.
struct RelaisVerifier {
    policy: TlsPolicy,
    base: Result<Arc<WebPkiServerVerifier>, String>,
}

impl std::fmt::Debug for RelaisVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelaisVerifier").finish_non_exhaustive()
    }
}

impl RelaisVerifier {
    fn base(&self) -> Result<&Arc<WebPkiServerVerifier>, rustls::Error> {
        self.base
            .as_ref()
            .map_err(|e| rustls::Error::General(e.clone()))
    }
}

impl ServerCertVerifier for RelaisVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // The chain as webpki builds it: the presented CAs plus the issuing CAs of the
        // profile (a server may omit its CA), up to the roots.
        let mut chain: Vec<CertificateDer<'_>> = intermediates.to_vec();
        chain.extend(self.policy.0.issuing_der.iter().cloned());
        let verified =
            self.base()?
                .verify_server_cert(end_entity, &chain, server_name, ocsp_response, now)?;
        // ECO.1.1.10: issued by the « Élémentaire Organisations » CA, not by a sibling.
        if let Some(issuing) = self.policy.issuing_verifier() {
            let issuing = issuing.map_err(rustls::Error::General)?;
            match issuing.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ) {
                Ok(_) => {}
                Err(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)) => {
                    return Err(rustls::Error::InvalidCertificate(
                        CertificateError::ApplicationVerificationFailure,
                    ));
                }
                Err(other) => return Err(other),
            }
        }
        if !self.policy.0.check_revocation {
            return Ok(verified);
        }
        let mut certs: Vec<&[u8]> = vec![end_entity.as_ref()];
        certs.extend(chain.iter().map(|c| c.as_ref()));
        let (crls, had_sources) = self.policy.crls_for(&certs);
        if crls.is_empty() {
            return if had_sources {
                Err(rustls::Error::InvalidCertificate(
                    CertificateError::UnknownRevocationStatus,
                ))
            } else {
                // No distribution point in the certificate and none in the profile.
                Ok(verified)
            };
        }
        let with_crls = self
            .policy
            .base_verifier(crls)
            .map_err(rustls::Error::General)?;
        with_crls.verify_server_cert(end_entity, &chain, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.base()?.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.base()?.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.policy
            .0
            .provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A TLS connection over TCP (what IMAP sessions run on). Clones share the connection:
/// the IMAP session keeps one to run commands the `imap` crate cannot parse.
#[derive(Clone)]
pub struct TlsStream(Arc<Mutex<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>>);

type Locked<'a> =
    std::sync::MutexGuard<'a, rustls::StreamOwned<rustls::ClientConnection, TcpStream>>;

impl TlsStream {
    fn lock(&self) -> io::Result<Locked<'_>> {
        self.0
            .lock()
            .map_err(|_| io::Error::other("connexion TLS inutilisable"))
    }

    /// The server's address.
    pub fn peer_addr(&self) -> Option<std::net::SocketAddr> {
        self.lock().ok()?.sock.peer_addr().ok()
    }

    /// The negotiated protocol version, e.g. `TLSv1_3`.
    pub fn protocol(&self) -> Option<String> {
        self.lock()
            .ok()?
            .conn
            .protocol_version()
            .map(|v| format!("{v:?}"))
    }

    /// The negotiated cipher suite's IANA number, e.g. `0x1302` or `0xC030`.
    pub fn cipher_suite(&self) -> Option<u16> {
        self.lock()
            .ok()?
            .conn
            .negotiated_cipher_suite()
            .map(|s| u16::from(s.suite()))
    }

    /// Change the socket's read timeout (IDLE).
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.lock()?.sock.set_read_timeout(timeout)
    }

    /// Whether the server has closed the connection (end of stream or reset), seen without
    /// blocking: a kept connection is checked before it is reused.
    pub fn peer_closed(&self) -> bool {
        let Ok(guard) = self.lock() else { return true };
        let sock = &guard.sock;
        if sock.set_nonblocking(true).is_err() {
            return true;
        }
        let mut byte = [0u8; 1];
        let closed = match sock.peek(&mut byte) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => e.kind() != io::ErrorKind::WouldBlock,
        };
        closed || sock.set_nonblocking(false).is_err()
    }

    /// A handle that can cut this connection from another thread (a blocking IDLE then
    /// returns at once with an error).
    pub fn cutter(&self) -> io::Result<TcpStream> {
        self.lock()?.sock.try_clone()
    }
}

impl std::fmt::Debug for TlsStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsStream")
            .field("peer", &self.peer_addr())
            .finish()
    }
}

impl Read for TlsStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.lock()?.read(buf)
    }
}

impl Write for TlsStream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.lock()?.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.lock()?.flush()
    }
}

impl imap::extensions::idle::SetReadTimeout for TlsStream {
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> imap::Result<()> {
        TlsStream::set_read_timeout(self, timeout).map_err(imap::Error::Io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification() {
        let e = |c| rustls::Error::InvalidCertificate(c);
        assert_eq!(
            TlsError::from_rustls(&e(CertificateError::Expired), "h"),
            TlsError::Expired
        );
        assert_eq!(
            TlsError::from_rustls(&e(CertificateError::Revoked), "h"),
            TlsError::Revoked
        );
        assert_eq!(
            TlsError::from_rustls(&e(CertificateError::NotValidForName), "h"),
            TlsError::HostnameMismatch { host: "h".into() }
        );
        assert!(matches!(
            TlsError::from_rustls(&e(CertificateError::UnknownIssuer), "h"),
            TlsError::Untrusted { .. }
        ));
        let io = io::Error::new(io::ErrorKind::InvalidData, e(CertificateError::Revoked));
        assert_eq!(TlsError::find_in(&io, "h"), Some(TlsError::Revoked));
        assert!(TlsError::Revoked.to_string().contains("révoqué"));
        assert_eq!(
            TlsError::from_rustls(&e(CertificateError::ApplicationVerificationFailure), "h"),
            TlsError::WrongAuthority
        );
        assert_eq!(
            TlsError::from_rustls(
                &rustls::Error::AlertReceived(AlertDescription::HandshakeFailure),
                "h"
            ),
            TlsError::NoAllowedCipherSuite
        );
    }

    #[test]
    fn only_the_ans_suites_are_offered() {
        let offered: Vec<u16> = eco_provider()
            .cipher_suites
            .iter()
            .map(|s| u16::from(s.suite()))
            .collect();
        // TLS 1.3 AES-GCM, then the ANS TLS 1.2 suites rustls implements, in the ANS order.
        assert_eq!(offered, vec![0x1302, 0x1301, 0xC030, 0xC02F]);
    }

    #[test]
    fn the_production_file_pins_the_organisations_ca() {
        let policy = TlsPolicy::igc_sante().expect("shipped PEM");
        assert_eq!(policy.0.anchors_der.len(), 2);
        assert_eq!(policy.0.issuing_der.len(), 1, "the Organisations CA");
        assert!(!der::is_self_issued(policy.0.issuing_der[0].as_ref()));
        assert!(der::is_self_issued(policy.0.anchors_der[0].as_ref()));
        assert_eq!(
            der::crl_distribution_points(policy.0.issuing_der[0].as_ref()),
            vec!["http://igc-sante.esante.gouv.fr/CRL/ACR-EL.crl".to_string()],
            "the ARL of the root is published"
        );
    }
}
