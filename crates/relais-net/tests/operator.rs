//! relais-net against the real local operator (Dovecot, Postfix, oidc-provider, test PKI).
#![allow(clippy::unwrap_used)] // test helpers: a panic is the failure report

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;
use relais_core::Rights;
use relais_net::psc::ProSanteConnect;
use relais_net::{
    smtp, ConnectOptions, Credentials, ImapSession, NetError, Security, TlsError, TlsPolicy,
};
use relais_testkit::{Imap, Mode, Options, DEMO_PASSWORD, DEMO_PIN};

fn from(n: u8) -> ConnectOptions {
    ConnectOptions {
        source: fresh_source(n),
        ..ConnectOptions::default()
    }
}

fn exists(session: &mut ImapSession, mailbox: &str) -> u32 {
    session.session().select(mailbox).expect("SELECT").exists
}

#[test]
fn password_opens_own_box_and_delegated_boxes_and_refuses_the_rest() {
    // Delegated login for every member, Karim's lrs included: Dovecot's model.
    let op = start(Options::dovecot_family());
    let (p, tls) = (profile(&op), policy(&op));

    let mut own = ImapSession::connect(&p, &tls, &password(MARIE), &addr(MARIE)).expect("own box");
    assert!(exists(&mut own, "INBOX") >= 1);
    assert!(own.has_capability("IMAP4rev1"));
    assert_eq!(own.my_rights("INBOX").unwrap(), Rights::full());
    own.logout();

    for (person, rights) in [
        (SOPHIE, "lrwstipekxa"),
        (MARIE, "lrwstipekxa"),
        (KARIM, "lrs"),
    ] {
        let mut s = ImapSession::connect(&p, &tls, &password(person), &addr(SECRETARIAT))
            .unwrap_or_else(|e| panic!("{person} opens the secretariat: {e}"));
        assert!(exists(&mut s, "INBOX") >= 10);
        assert_eq!(
            s.my_rights("INBOX").unwrap(),
            Rights::parse(rights).unwrap()
        );
    }

    let wrong = Credentials::Password {
        login: MARIE.into(),
        password: "wrong".into(),
    };
    let err = ImapSession::connect_with(&p, &tls, &wrong, &addr(MARIE), &from(1)).unwrap_err();
    assert!(
        matches!(err, NetError::AuthenticationFailed { .. }),
        "{err:?}"
    );
    println!("wrong password: {err}");
    let err = ImapSession::connect_with(&p, &tls, &password(JULIEN), &addr(SECRETARIAT), &from(2))
        .unwrap_err();
    assert!(
        matches!(
            err,
            NetError::AuthenticationFailed { .. } | NetError::AuthorizationFailed { .. }
        ),
        "{err:?}"
    );
    let err = ImapSession::connect_with(&p, &tls, &password(MARIE), &addr(ACCUEIL), &from(3))
        .unwrap_err();
    assert!(
        matches!(
            err,
            NetError::AuthenticationFailed { .. } | NetError::AuthorizationFailed { .. }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains(ACCUEIL));

    // The server traces the person behind the box.
    assert!(op
        .log("dovecot")
        .contains(&format!("user=<{SECRETARIAT}>, person=<{SOPHIE}>")));
}

#[test]
fn implicit_tls_works_too() {
    let op = start(Options::default());
    let mut p = profile(&op);
    p.imap.security = Security::Tls;
    p.imap.port = Some(op.imaps_addr().port());
    let mut s = ImapSession::connect(&p, &policy(&op), &password(MARIE), &addr(MARIE)).unwrap();
    assert!(exists(&mut s, "INBOX") >= 1);
}

fn sign_in(
    op: &relais_testkit::Operator,
    psc: &ProSanteConnect,
    national_id: &'static str,
) -> relais_net::PscTokens {
    let tls = policy(op).client_config().unwrap();
    psc.sign_in(&move |url: &str| {
        // The "system browser": another thread, as the real one is another process.
        let (url, tls) = (url.to_string(), tls.clone());
        std::thread::spawn(move || browse(&url, tls, national_id, DEMO_PIN));
    })
    .expect("code flow sign-in")
}

/// Pro Santé Connect sends no `email` claim: the nominative box is found by national
/// identifier (RPPS or ADELI) in the Annuaire Santé extraction the operator profile names,
/// then opens with the person's token beside the service box.
#[test]
fn without_email_claim_the_nominative_box_comes_from_the_annuaire_by_national_id() {
    let op = start(Options::tokens_on_imap());
    let (p, tls) = (profile(&op), policy(&op));
    let extraction = p
        .annuaire
        .extraction
        .clone()
        .expect("the operator profile names its Annuaire Santé extraction");
    let psc = ProSanteConnect::discover(p.pro_sante_connect.as_ref().unwrap(), &tls).unwrap();
    for (national_id, own, service) in [
        (MARIE_NATIONAL_ID, MARIE, SECRETARIAT),
        (
            "0640000012",
            "isabelle.fontaine@ehpad-tilleuls.mssante.fr",
            ACCUEIL,
        ),
    ] {
        let tokens = sign_in(&op, &psc, national_id);
        let id = tokens.identity.clone().expect("verified ID token");
        assert_eq!(id.national_id, national_id);
        assert_eq!(id.email, None, "no email claim, as Pro Santé Connect");
        let person = id.to_person().unwrap();
        assert_eq!(person.own_box, None);

        let found =
            relais_directory::nominative_boxes_in_extraction(&extraction, &person.national_id)
                .unwrap();
        let found: Vec<&str> = found.iter().map(|e| e.address.as_str()).collect();
        assert_eq!(found, [own], "{national_id}");

        let bearer = Credentials::Bearer {
            token: tokens.access_token.clone(),
        };
        for b in [own, service] {
            let mut s = ImapSession::connect(&p, &tls, &bearer, &addr(b))
                .unwrap_or_else(|e| panic!("XOAUTH2 user={b}: {e}"));
            exists(&mut s, "INBOX"); // SELECT succeeds
            s.logout();
        }
    }
    // Someone with no box of their own finds none, and still opens the service box.
    let tokens = sign_in(&op, &psc, "810100000058");
    let person = tokens.identity.unwrap().to_person().unwrap();
    assert!(
        relais_directory::nominative_boxes_in_extraction(&extraction, &person.national_id)
            .unwrap()
            .is_empty()
    );
    let bearer = Credentials::Bearer {
        token: tokens.access_token,
    };
    ImapSession::connect(&p, &tls, &bearer, &addr(SECRETARIAT)).expect("Sophie's service box");
}

#[test]
fn pro_sante_connect_code_flow_xoauth2_refresh_and_revoke() {
    // With the `email` claim (a hint the engine tries after the Annuaire Santé).
    let op = start(Options {
        email_claim: true,
        ..Options::tokens_on_imap()
    });
    let (p, tls) = (profile(&op), policy(&op));
    let settings = p.pro_sante_connect.clone().expect("profile has PSC");
    let psc = ProSanteConnect::discover(&settings, &tls).expect("discovery");

    let tokens = sign_in(&op, &psc, MARIE_NATIONAL_ID);
    let id = tokens.identity.clone().expect("verified ID token");
    assert_eq!(id.national_id, MARIE_NATIONAL_ID);
    assert_eq!(id.given_name.as_deref(), Some("Marie"));
    assert_eq!(id.family_name.as_deref(), Some("MARTIN"));
    assert_eq!(id.preferred_username.as_deref(), Some("marie.martin"));
    assert_eq!(id.email.as_deref(), Some(MARIE));
    assert_eq!(id.acr.as_deref(), Some("eidas1"));
    let person = id.to_person().unwrap();
    assert_eq!(person.display_name(), "Marie MARTIN");
    assert_eq!(person.own_box, Some(addr(MARIE)));
    assert!(!format!("{tokens:?}").contains(&tokens.access_token));

    let bearer = Credentials::Bearer {
        token: tokens.access_token.clone(),
    };
    for b in [MARIE, SECRETARIAT] {
        let mut s = ImapSession::connect(&p, &tls, &bearer, &addr(b))
            .unwrap_or_else(|e| panic!("XOAUTH2 user={b}: {e}"));
        assert!(exists(&mut s, "INBOX") >= 1);
    }
    // Not entitled: the EHPAD's box.
    let err = ImapSession::connect_with(&p, &tls, &bearer, &addr(ACCUEIL), &from(20)).unwrap_err();
    assert!(matches!(err, NetError::TokenRefused { .. }), "{err:?}");
    assert!(op.log("dovecot").contains(&format!(
        "oauth2 login: box={SECRETARIAT} person=marie.martin"
    )));

    // Refresh rotates the refresh token; the new access token works.
    let old_refresh = tokens.refresh_token.clone().expect("refresh token");
    let renewed = psc.refresh(&old_refresh).expect("refresh");
    let new_refresh = renewed.refresh_token.clone().expect("rotated");
    assert_ne!(new_refresh, old_refresh);
    assert_eq!(
        renewed.identity.as_ref().map(|i| i.national_id.as_str()),
        Some(MARIE_NATIONAL_ID)
    );
    let bearer = Credentials::Bearer {
        token: renewed.access_token.clone(),
    };
    ImapSession::connect(&p, &tls, &bearer, &addr(SECRETARIAT)).expect("renewed token works");

    // Sign-out: revoke, then the refresh token is refused.
    psc.revoke(&new_refresh).expect("revoke");
    let err = psc.refresh(&new_refresh).unwrap_err();
    assert!(matches!(err, relais_net::PscError::SessionEnded), "{err:?}");
    assert!(!op.log("oidc").contains(&renewed.access_token));
}

#[test]
fn pro_sante_connect_ciba() {
    let op = start(Options::tokens_on_imap());
    let (p, tls) = (profile(&op), policy(&op));
    let psc = ProSanteConnect::discover(p.pro_sante_connect.as_ref().unwrap(), &tls).unwrap();
    assert!(psc.supports_ciba());
    let t0 = Instant::now();
    let tokens = psc.sign_in_ciba(MARIE_NATIONAL_ID).expect("CIBA sign-in");
    println!("CIBA took {:?}", t0.elapsed());
    assert_eq!(tokens.identity.unwrap().national_id, MARIE_NATIONAL_ID);
    let bearer = Credentials::Bearer {
        token: tokens.access_token,
    };
    ImapSession::connect(&p, &tls, &bearer, &addr(MARIE)).expect("CIBA token opens IMAP");
    let err = psc.sign_in_ciba("julien.lemaire").unwrap_err();
    assert!(
        matches!(err, relais_net::PscError::Denied { .. }),
        "{err:?}"
    );
}

fn wait_for(session: &mut ImapSession, message_id: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        session.session().select("INBOX").unwrap();
        let uids = session
            .session()
            .uid_search(format!("HEADER Message-ID {message_id}"))
            .unwrap();
        if let Some(uid) = uids.into_iter().next() {
            let fetches = session
                .session()
                .uid_fetch(uid.to_string(), "BODY.PEEK[]")
                .unwrap();
            let body = fetches
                .iter()
                .next()
                .and_then(|f| f.body())
                .unwrap_or_default();
            return String::from_utf8_lossy(body).into_owned();
        }
        assert!(
            Instant::now() < deadline,
            "{message_id} not delivered within 20 s"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn message(from: &str, sender: &str, id: &str) -> Vec<u8> {
    format!(
        "From: Secrétariat de cardiologie <{from}>\r\nSender: {sender}\r\nTo: {PIERRE}\r\n\
         Subject: =?utf-8?q?Compte-rendu_d=C3=A9pos=C3=A9?=\r\nMessage-ID: <{id}>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
         Bonjour, le compte-rendu est déposé.\r\n.ligne qui commence par un point\r\n"
    )
    .into_bytes()
}

#[test]
fn submission_from_the_organisational_box_with_password_and_token() {
    let op = start(Options::default());
    let (p, tls) = (profile(&op), policy(&op));
    let secretariat = addr(SECRETARIAT);

    // Sophie, password, authzid = the secretariat; with DSN.
    let report = smtp::submit(
        &p,
        &tls,
        &password(SOPHIE),
        &secretariat,
        &secretariat,
        &[addr(PIERRE)],
        &message(
            SECRETARIAT,
            "sophie.bernard@ch-demo.mssante.fr",
            "pwd-1@relais.test",
        ),
        true,
    )
    .expect("submission with password");
    println!("{report:?}");
    assert_eq!(report.code, 250);
    assert!(report.dsn_requested, "Postfix advertises DSN");
    assert!(report.text.contains("queued") || !report.text.is_empty());

    // Marie, XOAUTH2 user=secretariat, token from the code flow.
    let psc = ProSanteConnect::discover(p.pro_sante_connect.as_ref().unwrap(), &tls).unwrap();
    let tokens = sign_in(&op, &psc, MARIE_NATIONAL_ID);
    let bearer = Credentials::Bearer {
        token: tokens.access_token.clone(),
    };
    let report = smtp::submit(
        &p,
        &tls,
        &bearer,
        &secretariat,
        &secretariat,
        &[addr(PIERRE), addr(KARIM)], // Karim only in the envelope: a Bcc
        &message(SECRETARIAT, MARIE, "oauth-1@relais.test"),
        false,
    )
    .expect("submission with XOAUTH2");
    assert_eq!(report.code, 250);
    assert!(!report.dsn_requested);

    // Delivered: read them with our own IMAP session.
    let mut pierre = ImapSession::connect(&p, &tls, &password(PIERRE), &addr(PIERRE)).unwrap();
    let body = wait_for(&mut pierre, "pwd-1@relais.test");
    assert!(body.contains("le compte-rendu est déposé"), "{body}");
    assert!(
        body.contains("\r\n.ligne qui commence par un point"),
        "dot-stuffing undone"
    );
    let body = wait_for(&mut pierre, "oauth-1@relais.test");
    assert!(body.contains(&format!("Sender: {MARIE}")));
    let mut karim = ImapSession::connect(&p, &tls, &password(KARIM), &addr(KARIM)).unwrap();
    let body = wait_for(&mut karim, "oauth-1@relais.test");
    assert!(!body.to_ascii_lowercase().contains("\nbcc:"));

    // A Bcc header is refused before connecting.
    let mut with_bcc = b"Bcc: someone@x.mssante.fr\r\n".to_vec();
    with_bcc.extend(message(SECRETARIAT, MARIE, "bcc@relais.test"));
    let err = smtp::submit(
        &p,
        &tls,
        &bearer,
        &secretariat,
        &secretariat,
        &[addr(PIERRE)],
        &with_bcc,
        false,
    )
    .unwrap_err();
    assert!(matches!(err, NetError::BccHeader));

    // Not entitled to send as the EHPAD's box: refused at AUTH (token) or MAIL.
    let err = smtp::submit_with(
        &p,
        &tls,
        &bearer,
        &addr(ACCUEIL),
        &addr(ACCUEIL),
        &[addr(PIERRE)],
        &message(ACCUEIL, MARIE, "no@relais.test"),
        false,
        &from(30),
    )
    .unwrap_err();
    println!("not entitled: {err}");
    assert!(matches!(err, NetError::TokenRefused { .. }), "{err:?}");
    let err = smtp::submit_with(
        &p,
        &tls,
        &Credentials::Password {
            login: MARIE.into(),
            password: "wrong".into(),
        },
        &addr(MARIE),
        &addr(MARIE),
        &[addr(PIERRE)],
        &message(MARIE, MARIE, "no2@relais.test"),
        false,
        &from(31),
    )
    .unwrap_err();
    assert!(
        matches!(err, NetError::AuthenticationFailed { .. }),
        "{err:?}"
    );
}

#[test]
fn a_server_that_is_down_is_unreachable() {
    let op = start(Options::default());
    let mut p = profile(&op);
    let free = TcpListener::bind((op.host(), 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    p.imap.port = Some(free);
    p.submission.port = Some(free);
    let tls = policy(&op);
    let err = ImapSession::connect(&p, &tls, &password(MARIE), &addr(MARIE)).unwrap_err();
    assert!(matches!(err, NetError::Unreachable { .. }), "{err:?}");
    assert!(err.to_string().contains("injoignable"), "{err}");
    let err = submit_as_marie(&p, &tls).unwrap_err();
    assert!(matches!(err, NetError::Unreachable { .. }), "{err:?}");
}

#[test]
fn certificates_outside_the_anchors_are_untrusted_and_names_must_match() {
    let op = start(Options::default());
    let p = profile(&op);
    let prod = relais_testkit::operator::repo_root().join("crates/relais-net/trust/igc-sante.pem");
    let prod = TlsPolicy::from_anchors(&prod).unwrap();
    let err = ImapSession::connect(&p, &prod, &password(MARIE), &addr(MARIE)).unwrap_err();
    assert!(
        matches!(err, NetError::Tls(TlsError::Untrusted { .. })),
        "{err:?}"
    );
    assert!(err.to_string().contains("IGC-Santé"), "{err}");
    let err = smtp::submit(
        &p,
        &prod,
        &password(MARIE),
        &addr(MARIE),
        &addr(MARIE),
        &[addr(PIERRE)],
        b"Subject: x\r\n\r\nx\r\n",
        false,
    )
    .unwrap_err();
    assert!(
        matches!(err, NetError::Tls(TlsError::Untrusted { .. })),
        "{err:?}"
    );

    // Host name: the certificate does not name wrong.example.org.
    let tcp = TcpStream::connect(op.imaps_addr()).unwrap();
    let err = policy(&op).connect(tcp, "wrong.example.org").unwrap_err();
    assert_eq!(
        err,
        TlsError::HostnameMismatch {
            host: "wrong.example.org".into()
        }
    );
    // …but it does name localhost and the loopback address.
    let tcp = TcpStream::connect(op.imaps_addr()).unwrap();
    let stream = policy(&op).connect(tcp, &op.host().to_string()).unwrap();
    assert!(matches!(
        stream.protocol().as_deref(),
        Some("TLSv1_3") | Some("TLSv1_2")
    ));
}

#[test]
fn a_revoked_server_certificate_is_refused() {
    let op = start(Options::default());
    let p = profile(&op);
    let cache = tempfile::tempdir().unwrap();
    let tls = policy(&op).with_crl_cache(cache.path());
    ImapSession::connect(&p, &tls, &password(MARIE), &addr(MARIE))
        .expect("valid before revocation");
    let cached: Vec<_> = std::fs::read_dir(cache.path()).unwrap().collect();
    assert_eq!(cached.len(), 2, "the CRL and the root's ARL are cached");
    let crl_log = op.log("crl");
    assert!(
        crl_log.contains("intermediate.crl"),
        "fetched from the distribution point: {crl_log}"
    );

    let out = op.script(&["revoke-server-cert"]).unwrap();
    assert!(out.status.success());
    let err = ImapSession::connect(&p, &tls, &password(MARIE), &addr(MARIE)).unwrap_err();
    assert!(matches!(err, NetError::Tls(TlsError::Revoked)), "{err:?}");
    assert!(err.to_string().contains("révoqué"), "{err}");
    let err = submit_as_marie(&p, &tls).unwrap_err();
    assert!(matches!(err, NetError::Tls(TlsError::Revoked)), "{err:?}");

    // With a CRL cached for an hour, the stale (pre-revocation) CRL would still be used:
    // a fresh policy with no cache fetches the new one.
    let fresh = TlsPolicy::from_profile(&p).unwrap();
    let err = ImapSession::connect(&p, &fresh, &password(MARIE), &addr(MARIE)).unwrap_err();
    assert!(matches!(err, NetError::Tls(TlsError::Revoked)), "{err:?}");
}

/// The operator's servers present a certificate that expired: IMAP and submission are
/// refused before any authentication, with a French message.
#[test]
fn an_expired_server_certificate_is_refused() {
    let op = start(Options::default());
    let p = profile(&op);
    let tls = policy(&op);
    ImapSession::connect(&p, &tls, &password(MARIE), &addr(MARIE)).expect("valid before");

    let out = op.script(&["expire-server-cert"]).unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The servers reload their configuration: new connections get the new certificate.
    let deadline = Instant::now() + Duration::from_secs(15);
    let err = loop {
        match ImapSession::connect(&p, &tls, &password(MARIE), &addr(MARIE)) {
            Err(e) => break e,
            Ok(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(200)),
            Ok(_) => panic!("an expired certificate was accepted"),
        }
    };
    assert!(matches!(err, NetError::Tls(TlsError::Expired)), "{err:?}");
    assert!(err.to_string().contains("expiré"), "{err}");
    let deadline = Instant::now() + Duration::from_secs(15);
    let err = loop {
        match submit_as_marie(&p, &tls) {
            Err(e) => break e,
            Ok(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(200)),
            Ok(_) => panic!("submission accepted an expired certificate"),
        }
    };
    assert!(matches!(err, NetError::Tls(TlsError::Expired)), "{err:?}");
}

/// A man in the middle that hides STARTTLS from the client (a real downgrade attack) and
/// records what the client sends.
fn stripping_proxy(target: SocketAddr) -> (SocketAddr, Arc<Mutex<Vec<u8>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let local = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let server = TcpStream::connect(target).unwrap();
            let (mut c_w, mut s_w) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            let seen = seen2.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(server);
                let mut line = String::new();
                while reader.read_line(&mut line).unwrap_or(0) > 0 {
                    let edited = line.replace("STARTTLS", "XNOTLSX");
                    if c_w.write_all(edited.as_bytes()).is_err() {
                        break;
                    }
                    line.clear();
                }
            });
            std::thread::spawn(move || {
                let mut reader = BufReader::new(client);
                let mut line = Vec::new();
                while reader.read_until(b'\n', &mut line).unwrap_or(0) > 0 {
                    seen.lock().unwrap().extend_from_slice(&line);
                    if s_w.write_all(&line).is_err() {
                        break;
                    }
                    line.clear();
                }
            });
        }
    });
    (local, seen)
}

#[test]
fn no_credentials_without_starttls() {
    let op = start(Options::default());
    let tls = policy(&op);
    let mut p = profile(&op);
    let (imap_proxy, imap_seen) = stripping_proxy(op.imap_addr());
    let (smtp_proxy, smtp_seen) = stripping_proxy(op.submission_addr());
    p.imap.host = imap_proxy.ip().to_string();
    p.imap.port = Some(imap_proxy.port());
    p.submission.host = smtp_proxy.ip().to_string();
    p.submission.port = Some(smtp_proxy.port());

    let err = ImapSession::connect(&p, &tls, &password(MARIE), &addr(MARIE)).unwrap_err();
    assert!(matches!(err, NetError::StartTlsMissing { .. }), "{err:?}");
    assert!(err.to_string().contains("STARTTLS"), "{err}");
    let err = submit_as_marie(&p, &tls).unwrap_err();
    assert!(matches!(err, NetError::StartTlsMissing { .. }), "{err:?}");

    std::thread::sleep(Duration::from_millis(200));
    for seen in [imap_seen, smtp_seen] {
        let text = String::from_utf8_lossy(&seen.lock().unwrap()).to_uppercase();
        assert!(
            !text.contains("AUTH") && !text.contains("LOGIN"),
            "credentials leaked: {text}"
        );
        assert!(!text.contains(&DEMO_PASSWORD.to_uppercase()));
    }
}

#[test]
fn shared_namespace_lists_entitled_boxes() {
    // Dovecot's shared namespace (`shared/<box>/`); Cyrus's is tested below.
    let op = start(Options {
        mode: Mode::Shared,
        imap: Imap::Dovecot,
        ..Options::default()
    });
    let (p, tls) = (profile(&op), policy(&op));
    let mut s = ImapSession::connect(&p, &tls, &password(MARIE), &addr(MARIE)).unwrap();
    let ns = s.namespaces().unwrap();
    assert!(
        ns.other_users
            .iter()
            .chain(&ns.shared)
            .any(|n| n.prefix == "shared/"),
        "{ns:?}"
    );
    let (boxes, warnings) = s.list_shared_boxes(Some("ch-demo.mssante.fr")).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let sec = boxes
        .iter()
        .find(|b| b.address == addr(SECRETARIAT))
        .unwrap_or_else(|| panic!("{boxes:?}"));
    assert_eq!(sec.prefix, format!("shared/{SECRETARIAT}/"));
    assert_eq!(sec.inbox, format!("shared/{SECRETARIAT}/INBOX"));
    assert_eq!(sec.rights, Rights::full());
    assert_eq!(sec.rights_warning, None);
    assert!(!boxes.iter().any(|b| b.address == addr(ACCUEIL)));
    assert!(exists(&mut s, &format!("{}INBOX", sec.prefix)) >= 10);

    let mut k = ImapSession::connect(&p, &tls, &password(KARIM), &addr(KARIM)).unwrap();
    let (boxes, _) = k.list_shared_boxes(Some("ch-demo.mssante.fr")).unwrap();
    let sec = boxes
        .iter()
        .find(|b| b.address == addr(SECRETARIAT))
        .unwrap();
    assert_eq!(sec.rights, Rights::parse("lrs").unwrap());
}

/// Cyrus IMAP 3.6: organisational boxes reached through "Other Users" (a prefix with a space,
/// sent quoted), named without their domain within the person's domain and with it across
/// domains, MYRIGHTS on the exact server name, delegated login only with the `a` right.
#[test]
fn cyrus_other_users_namespace() {
    let op = start(Options {
        imap: Imap::Cyrus,
        ..Options::default()
    });
    let (p, tls) = (profile(&op), policy(&op));

    let mut s = ImapSession::connect(&p, &tls, &password(MARIE), &addr(MARIE)).unwrap();
    assert!(s.has_own_inbox().unwrap());
    let ns = s.namespaces().unwrap();
    assert_eq!(ns.other_users[0].prefix, "Other Users/", "{ns:?}");
    let (boxes, warnings) = s.list_shared_boxes(Some("ch-demo.mssante.fr")).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(boxes.len(), 1, "{boxes:?}");
    assert_eq!(boxes[0].address, addr(SECRETARIAT));
    assert_eq!(boxes[0].inbox, "Other Users/secretariat.cardio");
    assert_eq!(boxes[0].prefix, "Other Users/secretariat.cardio/");
    assert_eq!(boxes[0].rights, Rights::full());
    assert!(exists(&mut s, &boxes[0].inbox) >= 10);
    // The pattern is quoted: a bare `Other Users/*` would be two arguments (BAD).
    let sent = s.list("", "Other Users/secretariat.cardio/*").unwrap();
    assert!(
        sent.iter()
            .any(|l| l.name == "Other Users/secretariat.cardio/Sent"),
        "{sent:?}"
    );
    s.logout();

    // Karim (lrs, no `a`): the shared namespace gives the box read-only; a delegated login
    // (authzid = box) is refused by Cyrus (loginuseacl needs `a`).
    let mut k = ImapSession::connect(&p, &tls, &password(KARIM), &addr(KARIM)).unwrap();
    let (boxes, _) = k.list_shared_boxes(Some("ch-demo.mssante.fr")).unwrap();
    assert_eq!(boxes.len(), 1, "{boxes:?}");
    assert_eq!(boxes[0].rights, Rights::parse("lrs").unwrap());
    k.logout();
    let err = ImapSession::connect_with(&p, &tls, &password(KARIM), &addr(SECRETARIAT), &from(7))
        .unwrap_err();
    assert!(
        matches!(
            err,
            NetError::AuthenticationFailed { .. } | NetError::AuthorizationFailed { .. }
        ),
        "{err:?}"
    );

    // Sophie has no mailbox; with the `a` right she opens the box delegated.
    let mut d = ImapSession::connect(&p, &tls, &password(SOPHIE), &addr(SECRETARIAT))
        .unwrap_or_else(|e| panic!("Sophie opens the secretariat: {e}"));
    assert!(d.has_own_inbox().unwrap());
    // The owner's rights, plus Cyrus's `n` (RFC 5464 shared annotations).
    let rights = d.my_rights("INBOX").unwrap();
    assert!(
        "lrswipkxtea".chars().all(|r| rights.contains(r)),
        "{rights:?}"
    );
    d.logout();

    // Julien has no mailbox and no `a` on the EHPAD's box (another domain than his login's):
    // a delegated login is refused, and his login alone reaches the box through
    // "Other Users", named with its domain, with his rights and without `a`.
    let err = ImapSession::connect_with(&p, &tls, &password(JULIEN), &addr(ACCUEIL), &from(8))
        .unwrap_err();
    assert!(
        matches!(
            err,
            NetError::AuthenticationFailed { .. } | NetError::AuthorizationFailed { .. }
        ),
        "{err:?}"
    );
    let mut j = ImapSession::connect_login(&p, &tls, &password(JULIEN), &from(9))
        .unwrap_or_else(|e| panic!("Julien's login alone: {e}"));
    assert_eq!(j.mailbox(), None);
    assert!(!j.has_own_inbox().unwrap(), "Julien has no mailbox");
    let (boxes, warnings) = j.list_shared_boxes(None).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(boxes.len(), 1, "{boxes:?}");
    assert_eq!(boxes[0].address, addr(ACCUEIL));
    assert_eq!(boxes[0].inbox, format!("Other Users/{ACCUEIL}"));
    assert_eq!(boxes[0].prefix, format!("Other Users/{ACCUEIL}/"));
    assert!(
        "lrswipkxte".chars().all(|r| boxes[0].rights.contains(r)) && !boxes[0].rights.contains('a'),
        "{:?}",
        boxes[0].rights
    );
    j.logout();
    // The server log names the box and the person behind it.
    let log = op.log("cyrus");
    assert!(
        log.contains(&format!("{SECRETARIAT} PLAIN+TLS User logged in")),
        "{log}"
    );
}
