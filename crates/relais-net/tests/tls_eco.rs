//! The ANS TLS rules (ECO.1.1.3, ECO.1.1.7, ECO.1.1.10) against the local operator's servers
//! and test PKI: allowed cipher suites only, the server certificate issued by the
//! « Élémentaire Organisations » CA, revocation checked for the whole chain, the cached CRL
//! used while the CRL server is down and refused once expired.
#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

mod common;

use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use relais_net::tls::{ANS_TLS12_SUITES, TLS13_SUITES};
use relais_net::{ImapSession, NetError, TlsError, TlsPolicy};
use relais_testkit::{Operator, Options};
use rustls::crypto::ring::cipher_suite as suites;
use rustls::crypto::CryptoProvider;
use rustls::SupportedCipherSuite;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

/// A TLS server on 127.0.0.1 with the operator's certificate and key, offering only
/// `suites` over `version`; it serves one handshake.
fn tls_server(
    op: &Operator,
    suites: Vec<SupportedCipherSuite>,
    version: &'static rustls::SupportedProtocolVersion,
) -> std::net::SocketAddr {
    let pki = op.dir().join("pki");
    let chain: Vec<CertificateDer<'static>> =
        CertificateDer::pem_file_iter(pki.join("server-chain.pem"))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
    let key = PrivateKeyDer::from_pem_file(pki.join("server.key")).unwrap();
    let provider = CryptoProvider {
        cipher_suites: suites,
        ..rustls::crypto::ring::default_provider()
    };
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[version])
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let (mut tcp, _) = listener.accept().unwrap();
        let mut conn = rustls::ServerConnection::new(Arc::new(config)).unwrap();
        // The client reports the outcome; the server only answers.
        while conn.is_handshaking() {
            if conn.complete_io(&mut tcp).is_err() {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    });
    addr
}

fn handshake(tls: &TlsPolicy, addr: std::net::SocketAddr) -> Result<u16, TlsError> {
    let tcp = TcpStream::connect(addr).unwrap();
    let stream = tls.connect(tcp, &addr.ip().to_string())?;
    Ok(stream.cipher_suite().expect("a negotiated suite"))
}

#[test]
fn eco_1_1_3_only_the_ans_cipher_suites_are_offered() {
    let op = start(Options::default());
    let tls = policy(&op);

    // The operator's Dovecot: whatever it picks is on the list.
    let suite = handshake(&tls, op.imaps_addr()).unwrap();
    assert!(
        TLS13_SUITES.contains(&suite) || ANS_TLS12_SUITES.contains(&suite),
        "{suite:#06x}"
    );

    // A TLS 1.2 server offering everything rustls has: an ANS suite is negotiated.
    let all12 = rustls::crypto::ring::DEFAULT_CIPHER_SUITES.to_vec();
    let addr = tls_server(&op, all12, &rustls::version::TLS12);
    let suite = handshake(&tls, addr).unwrap();
    assert!(ANS_TLS12_SUITES.contains(&suite), "{suite:#06x}");

    // A TLS 1.2 server offering only ECDHE-RSA-CHACHA20-POLY1305 (0xCCA8): refused.
    let other = vec![suites::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256];
    let addr = tls_server(&op, other, &rustls::version::TLS12);
    let err = handshake(&tls, addr).unwrap_err();
    assert_eq!(err, TlsError::NoAllowedCipherSuite);
    assert!(err.to_string().contains("suites de chiffrement"), "{err}");

    // A TLS 1.3 server offering only ChaCha20-Poly1305: refused too.
    let other13 = vec![suites::TLS13_CHACHA20_POLY1305_SHA256];
    let addr = tls_server(&op, other13, &rustls::version::TLS13);
    assert_eq!(
        handshake(&tls, addr).unwrap_err(),
        TlsError::NoAllowedCipherSuite
    );

    // Submission (lettre) runs on the process-wide provider: the ANS one.
    submit_as_marie(&profile(&op), &tls).expect("submission with the ANS suites");
    let process = CryptoProvider::get_default().expect("installed");
    assert!(process
        .cipher_suites
        .iter()
        .all(relais_net::tls::suite_allowed));
}

/// Retry until the servers reloaded their certificate and `connect` fails.
fn first_error<T>(mut connect: impl FnMut() -> Result<T, NetError>) -> NetError {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        match connect() {
            Err(e) => return e,
            Ok(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(200)),
            Ok(_) => panic!("the servers kept their first certificate"),
        }
    }
}

#[test]
fn eco_1_1_10_a_server_certificate_from_a_sibling_ca_is_refused() {
    let op = start(Options::default());
    let p = profile(&op);
    let tls = policy(&op);
    ImapSession::connect(&p, &tls, &password(MARIE), &addr(MARIE)).expect("valid before");

    let out = op.script(&["sibling-server-cert"]).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = first_error(|| ImapSession::connect(&p, &tls, &password(MARIE), &addr(MARIE)));
    assert!(
        matches!(err, NetError::Tls(TlsError::WrongAuthority)),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("Élémentaire Organisations"),
        "{err}"
    );
    let err = first_error(|| submit_as_marie(&p, &tls));
    assert!(
        matches!(err, NetError::Tls(TlsError::WrongAuthority)),
        "{err:?}"
    );

    // The sibling's chain is otherwise sound: trusting the root alone accepts it, so only
    // the « Élémentaire Organisations » rule refuses it.
    let root_only = TlsPolicy::from_anchors(&op.dir().join("pki/root.pem"))
        .unwrap()
        .with_crl_max_age(Duration::ZERO);
    ImapSession::connect(&p, &root_only, &password(MARIE), &addr(MARIE))
        .expect("valid under the root");
}

#[test]
fn a_revoked_intermediate_ca_is_refused() {
    let op = start(Options::default());
    let p = profile(&op);
    let tls = policy(&op);
    ImapSession::connect(&p, &tls, &password(MARIE), &addr(MARIE)).expect("valid before");
    let crl_log = op.log("crl");
    assert!(
        crl_log.contains("root.crl"),
        "the ARL is fetched: {crl_log}"
    );

    let out = op.script(&["revoke-intermediate"]).unwrap();
    assert!(out.status.success());
    let err = ImapSession::connect(&p, &tls, &password(MARIE), &addr(MARIE)).unwrap_err();
    assert!(matches!(err, NetError::Tls(TlsError::Revoked)), "{err:?}");
    let err = submit_as_marie(&p, &tls).unwrap_err();
    assert!(matches!(err, NetError::Tls(TlsError::Revoked)), "{err:?}");
}

#[test]
fn eco_1_1_7_the_cached_crl_is_used_while_the_crl_server_is_down_then_refused_once_expired() {
    const VALIDITY: u64 = 8;
    let op = start(Options::default());
    let cache = tempfile::tempdir().unwrap();
    // CRLs fetched again at every connection, kept on disk.
    let tls = policy(&op).with_crl_cache(cache.path());

    let out = op.script(&["short-crl", &VALIDITY.to_string()]).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let published = Instant::now();
    handshake(&tls, op.imaps_addr()).expect("CRLs fetched and cached");
    assert_eq!(
        std::fs::read_dir(cache.path()).unwrap().count(),
        2,
        "ARL and CRL cached"
    );

    let out = op.script(&["crl-server-down"]).unwrap();
    assert!(out.status.success());
    // The server is down: the cached CRLs are used, also by a new policy (a restart).
    handshake(&tls, op.imaps_addr()).expect("the cached CRLs are used");
    let restarted = policy(&op).with_crl_cache(cache.path());
    handshake(&restarted, op.imaps_addr()).expect("the disk cache survives a restart");
    // No cache at all: revocation status unknown, refused.
    assert_eq!(
        handshake(&policy(&op), op.imaps_addr()).unwrap_err(),
        TlsError::RevocationUnknown
    );
    assert!(
        published.elapsed() < Duration::from_secs(VALIDITY),
        "too slow to test the cache before expiry"
    );

    // Once the cached CRLs expire, the connection is refused.
    std::thread::sleep(Duration::from_secs(VALIDITY + 1).saturating_sub(published.elapsed()));
    let err = handshake(&tls, op.imaps_addr()).unwrap_err();
    assert_eq!(err, TlsError::RevocationUnknown);
    assert!(err.to_string().contains("révocation"), "{err}");
}
