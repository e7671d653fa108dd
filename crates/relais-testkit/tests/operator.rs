//! The local operator behaves like an MSSanté operator: proven with raw IMAP, SMTP and
//! OpenID Connect against real Dovecot, Postfix and oidc-provider. Each test starts its own
//! instance, so they also prove that instances run side by side.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use relais_testkit::psc;
use relais_testkit::wire::{sasl_oauthbearer, sasl_plain, sasl_xoauth2, tls_config, Imap, Smtp};
use relais_testkit::{Mode, Operator, Options, DEMO_PASSWORD, DEMO_PIN};

const MARIE: &str = "marie.martin@ch-demo.mssante.fr";
const PIERRE: &str = "pierre.durand@ch-demo.mssante.fr";
const KARIM: &str = "karim.benali@ch-demo.mssante.fr";
const SOPHIE: &str = "sophie.bernard"; // no nominative box: an operator login
const JULIEN: &str = "julien.lemaire"; // EHPAD care staff, no RPPS, no box
const SECRETARIAT: &str = "secretariat.cardio@ch-demo.mssante.fr";
const ACCUEIL: &str = "accueil@ehpad-tilleuls.mssante.fr";
const MARIE_NATIONAL_ID: &str = "810100000041";

fn start(options: Options) -> Operator {
    Operator::start(options).expect("the local operator starts")
}

fn tls(op: &Operator) -> Arc<rustls::ClientConfig> {
    tls_config(&op.trust_anchors()).expect("test PKI roots load")
}

/// A loopback source address of its own for a connection that fails on purpose:
/// Dovecot delays later logins from an address after a failure.
fn fresh_source(n: u8) -> Option<IpAddr> {
    Some(IpAddr::from([127, 0, 9, n]))
}

/// IMAP connection with STARTTLS done, from `source`.
fn imap_tls(op: &Operator, source: Option<IpAddr>) -> Imap {
    let mut imap = Imap::connect(op.imap_addr(), source).expect("IMAP connects");
    imap.starttls(tls(op), op.host()).expect("STARTTLS");
    imap
}

fn smtp_tls(op: &Operator, source: Option<IpAddr>) -> Smtp {
    let mut smtp = Smtp::connect(op.submission_addr(), source).expect("submission connects");
    smtp.ehlo().expect("EHLO");
    smtp.starttls(tls(op), op.host()).expect("STARTTLS");
    smtp.ehlo().expect("EHLO after TLS");
    smtp
}

fn myrights(imap: &mut Imap, mailbox: &str) -> String {
    let reply = imap
        .command(&format!("MYRIGHTS \"{mailbox}\""))
        .expect("MYRIGHTS");
    assert!(reply.ok(), "MYRIGHTS {mailbox}: {reply:?}");
    reply
        .untagged
        .iter()
        .find_map(|l| l.rsplit(' ').next().filter(|_| l.starts_with("* MYRIGHTS")))
        .unwrap_or_default()
        .to_string()
}

fn exists(imap: &mut Imap, mailbox: &str) -> u32 {
    let reply = imap
        .command(&format!("SELECT \"{mailbox}\""))
        .expect("SELECT");
    assert!(reply.ok(), "SELECT {mailbox}: {reply:?}");
    reply
        .untagged
        .iter()
        .find_map(|l| l.strip_suffix(" EXISTS")?.strip_prefix("* ")?.parse().ok())
        .expect("EXISTS in SELECT")
}

#[test]
fn starttls_is_required_before_any_authentication() {
    let op = start(Options::default());

    // IMAP: before TLS, plaintext logins are disabled and refused.
    let mut imap = Imap::connect(op.imap_addr(), fresh_source(1)).unwrap();
    let caps = imap.capabilities().unwrap();
    assert!(caps.contains(&"STARTTLS".into()), "{caps:?}");
    assert!(caps.contains(&"LOGINDISABLED".into()), "{caps:?}");
    assert!(!caps.iter().any(|c| c.starts_with("AUTH=")), "{caps:?}");
    let login = imap
        .command(&format!("LOGIN {MARIE} {DEMO_PASSWORD}"))
        .unwrap();
    assert!(!login.ok(), "LOGIN before STARTTLS must fail: {login:?}");
    let auth = imap
        .authenticate("PLAIN", &sasl_plain("", MARIE, DEMO_PASSWORD))
        .unwrap();
    assert!(
        !auth.ok(),
        "AUTHENTICATE before STARTTLS must fail: {auth:?}"
    );

    // After STARTTLS, the same credentials work (TLS 1.2 or newer, test PKI only).
    imap.starttls(tls(&op), op.host()).unwrap();
    let caps = imap.capabilities().unwrap();
    assert!(caps.contains(&"AUTH=PLAIN".into()), "{caps:?}");
    assert!(caps.contains(&"AUTH=XOAUTH2".into()), "{caps:?}");

    // Submission: AUTH is not offered before TLS, and refused when tried.
    let mut smtp = Smtp::connect(op.submission_addr(), fresh_source(2)).unwrap();
    let ext = smtp.ehlo().unwrap();
    assert!(ext.iter().any(|e| e == "STARTTLS"), "{ext:?}");
    assert!(!ext.iter().any(|e| e.starts_with("AUTH")), "{ext:?}");
    let auth = smtp
        .authenticate("PLAIN", &sasl_plain("", MARIE, DEMO_PASSWORD))
        .unwrap();
    assert!(auth.code >= 500, "AUTH before STARTTLS must fail: {auth:?}");
    let mail = smtp.command(&format!("MAIL FROM:<{MARIE}>")).unwrap();
    assert!(mail.code >= 500, "MAIL before STARTTLS must fail: {mail:?}");
}

#[test]
fn a_certificate_outside_the_test_pki_is_not_trusted() {
    let op = start(Options::default());
    // The production IGC-Santé roots do not vouch for the test PKI's server certificate.
    let prod_roots =
        relais_testkit::operator::repo_root().join("crates/relais-net/trust/igc-sante.pem");
    let config = tls_config(&prod_roots).unwrap();
    let mut imap = Imap::connect(op.imap_addr(), None).unwrap();
    let err = imap.starttls(config, op.host()).unwrap_err();
    assert!(err.to_string().contains("certificate"), "{err}");
}

#[test]
fn password_opens_own_box_and_entitled_organisational_boxes_only() {
    let op = start(Options::default());

    // A person's own box, with their password.
    let mut imap = imap_tls(&op, None);
    let reply = imap
        .authenticate("PLAIN", &sasl_plain("", MARIE, DEMO_PASSWORD))
        .unwrap();
    assert!(reply.ok(), "{reply:?}");
    assert!(exists(&mut imap, "INBOX") >= 1);

    // An organisational box with the person's own credentials (authzid = the box):
    // per-person rights come from the box's ACL.
    for (person, rights) in [
        (MARIE, "lrwstipekxacd"),
        (SOPHIE, "lrwstipekxacd"),
        (KARIM, "lrs"),
    ] {
        let mut imap = imap_tls(&op, None);
        let reply = imap
            .authenticate("PLAIN", &sasl_plain(SECRETARIAT, person, DEMO_PASSWORD))
            .unwrap();
        assert!(reply.ok(), "{person} opens the secretariat: {reply:?}");
        assert!(
            exists(&mut imap, "INBOX") >= 10,
            "the seeded secretariat inbox"
        );
        assert_eq!(myrights(&mut imap, "INBOX"), rights, "{person}'s rights");
    }

    // Refused: not entitled, wrong password, no shared secret for the box itself.
    let refusals = [
        (
            ACCUEIL,
            MARIE,
            DEMO_PASSWORD,
            "Marie is not one of the EHPAD's people",
        ),
        (
            SECRETARIAT,
            JULIEN,
            DEMO_PASSWORD,
            "Julien works at the EHPAD",
        ),
        (SECRETARIAT, MARIE, "wrong-password", "wrong password"),
        (
            SECRETARIAT,
            SECRETARIAT,
            "",
            "a service box has no password of its own",
        ),
        ("", SOPHIE, DEMO_PASSWORD, "Sophie has no nominative box"),
    ];
    for (n, (box_, person, password, why)) in refusals.into_iter().enumerate() {
        let mut imap = imap_tls(&op, fresh_source(10 + n as u8));
        let reply = imap
            .authenticate("PLAIN", &sasl_plain(box_, person, password))
            .unwrap();
        assert_eq!(reply.status, "NO", "{why}: {reply:?}");
    }

    // Julien (no RPPS, no box) opens the EHPAD's box with his operator login.
    let mut imap = imap_tls(&op, None);
    let reply = imap
        .authenticate("PLAIN", &sasl_plain(ACCUEIL, JULIEN, DEMO_PASSWORD))
        .unwrap();
    assert!(reply.ok(), "{reply:?}");

    // The server log names the box and the person who opened it.
    let log = op.log("dovecot");
    assert!(
        log.contains(&format!("user=<{SECRETARIAT}>, person=<{SOPHIE}>")),
        "dovecot.log must trace Sophie opening the secretariat"
    );
}

#[test]
fn xoauth2_with_a_token_from_the_code_and_pkce_flow() {
    let op = start(Options::default());
    let tokens = psc::sign_in(op.issuer(), tls(&op), MARIE_NATIONAL_ID, DEMO_PIN).unwrap();
    let claims = psc::jwt_claims(tokens.id_token.as_deref().unwrap()).unwrap();
    assert_eq!(claims["SubjectNameID"], MARIE_NATIONAL_ID);
    assert_eq!(claims["given_name"], "Marie");
    assert_eq!(claims["family_name"], "MARTIN");
    assert_eq!(claims["acr"], "eidas1");
    assert!(claims["SubjectRefPro"]["exercices"].is_array(), "{claims}");
    assert!(tokens.refresh_token.is_some(), "a refresh token is issued");

    // IMAP: XOAUTH2 and OAUTHBEARER, user= naming her own box or the service box.
    for (mechanism, sasl) in [
        ("XOAUTH2", sasl_xoauth2 as fn(&str, &str) -> String),
        ("OAUTHBEARER", sasl_oauthbearer),
    ] {
        for box_ in [MARIE, SECRETARIAT] {
            let mut imap = imap_tls(&op, None);
            let reply = imap
                .authenticate(mechanism, &sasl(box_, &tokens.access_token))
                .unwrap();
            assert!(reply.ok(), "{mechanism} user={box_}: {reply:?}");
            assert!(exists(&mut imap, "INBOX") >= 1);
        }
    }

    // Submission: XOAUTH2 as the service box, then send from it.
    let mut smtp = smtp_tls(&op, None);
    let auth = smtp
        .authenticate("XOAUTH2", &sasl_xoauth2(SECRETARIAT, &tokens.access_token))
        .unwrap();
    assert_eq!(auth.code, 235, "{auth:?}");
    let sent = smtp
        .send_mail(
            SECRETARIAT,
            &[PIERRE],
            &format!("From: {SECRETARIAT}\r\nTo: {PIERRE}\r\nSubject: XOAUTH2\r\n\r\nBonjour\r\n"),
        )
        .unwrap();
    assert_eq!(sent.code, 250, "{sent:?}");

    // A renewed token works too (the provider rotates the refresh token).
    let renewed = psc::refresh(
        op.issuer(),
        tls(&op),
        tokens.refresh_token.as_deref().unwrap(),
    )
    .unwrap();
    assert_ne!(renewed.refresh_token, tokens.refresh_token);
    let mut imap = imap_tls(&op, None);
    let reply = imap
        .authenticate("XOAUTH2", &sasl_xoauth2(SECRETARIAT, &renewed.access_token))
        .unwrap();
    assert!(reply.ok(), "{reply:?}");

    // The server log names the person behind the token.
    let log = op.log("dovecot");
    assert!(
        log.contains(&format!(
            "oauth2 login: box={SECRETARIAT} person=marie.martin"
        )),
        "dovecot.log must trace Marie opening the secretariat with a token"
    );
    assert!(
        !log.contains(&tokens.access_token),
        "no token in the server log"
    );
}

#[test]
fn tokens_are_refused_when_not_entitled_forged_or_expired() {
    let op = start(Options {
        access_token_ttl: 4,
        ..Options::default()
    });
    let tokens = psc::sign_in(op.issuer(), tls(&op), MARIE_NATIONAL_ID, DEMO_PIN).unwrap();
    let token = tokens.access_token;

    let try_imap = |n: u8, user: &str, token: &str| {
        let mut imap = imap_tls(&op, fresh_source(n));
        imap.authenticate("XOAUTH2", &sasl_xoauth2(user, token))
            .unwrap()
    };

    // Not entitled: Marie's token does not open the EHPAD's box.
    assert_eq!(try_imap(1, ACCUEIL, &token).status, "NO");
    let mut smtp = smtp_tls(&op, fresh_source(2));
    let auth = smtp
        .authenticate("XOAUTH2", &sasl_xoauth2(ACCUEIL, &token))
        .unwrap();
    assert!(auth.code >= 500, "{auth:?}");

    // Forged: the claims rewritten to another person, the signature left as it was.
    let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
    let mut claims = psc::jwt_claims(&token).unwrap();
    claims["SubjectNameID"] = "810100000058".into();
    claims["sub"] = "810100000058".into();
    parts[1] = base64_url(&serde_json::to_vec(&claims).unwrap());
    assert_eq!(
        try_imap(3, SECRETARIAT, &parts.join(".")).status,
        "NO",
        "forged claims"
    );
    // Forged: a signature that is not the provider's.
    let mut bad_sig = token.clone();
    bad_sig.truncate(token.len() - 8);
    bad_sig.push_str("AAAAAAAA");
    assert_eq!(
        try_imap(4, SECRETARIAT, &bad_sig).status,
        "NO",
        "forged signature"
    );

    // The genuine token works while it lives...
    assert!(try_imap(5, SECRETARIAT, &token).ok());
    // ...and is refused once expired.
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(
        try_imap(6, SECRETARIAT, &token).status,
        "NO",
        "expired token"
    );

    let log = op.log("dovecot");
    for reason in ["not entitled", "expired", "bad signature"] {
        assert!(
            log.contains(reason),
            "dovecot.log gives the reason '{reason}'"
        );
    }
}

fn base64_url(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(data)
}

#[test]
fn a_submitted_message_is_delivered_to_another_persons_inbox() {
    let op = start(Options::default());
    let mut pierre = imap_tls(&op, None);
    assert!(pierre
        .authenticate("PLAIN", &sasl_plain("", PIERRE, DEMO_PASSWORD))
        .unwrap()
        .ok());
    let before = exists(&mut pierre, "INBOX");

    let mut smtp = smtp_tls(&op, None);
    let auth = smtp
        .authenticate("PLAIN", &sasl_plain("", MARIE, DEMO_PASSWORD))
        .unwrap();
    assert_eq!(auth.code, 235, "{auth:?}");
    let subject = "Planning de décembre — livraison";
    let message = format!(
        "From: Marie MARTIN <{MARIE}>\r\nTo: {PIERRE}\r\nSubject: =?utf-8?q?Planning_de_d=C3=A9cembre?=\r\n\
         Message-ID: <livraison-1@relais.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{subject}\r\n"
    );
    let reply = smtp.send_mail(MARIE, &[PIERRE], &message).unwrap();
    assert_eq!(reply.code, 250, "{reply:?}");

    // Delivered through Postfix and LMTP into Pierre's INBOX.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if exists(&mut pierre, "INBOX") > before {
            break;
        }
        assert!(Instant::now() < deadline, "not delivered within 15 s");
        std::thread::sleep(Duration::from_millis(200));
    }
    let search = pierre
        .command("UID SEARCH HEADER Message-ID livraison-1@relais.test")
        .unwrap();
    let uid = search.untagged[0]
        .split(' ')
        .nth(2)
        .expect("found by Message-ID")
        .to_string();
    let fetch = pierre
        .command(&format!("UID FETCH {uid} BODY.PEEK[]"))
        .unwrap();
    let body = String::from_utf8_lossy(&fetch.literals[0]).into_owned();
    assert!(body.contains(subject), "{body}");
    assert!(body.contains(&format!("From: Marie MARTIN <{MARIE}>")));
}

#[test]
fn submission_refuses_a_from_the_person_may_not_use() {
    let op = start(Options::default());
    let message =
        |from: &str| format!("From: {from}\r\nTo: {PIERRE}\r\nSubject: test\r\n\r\ntest\r\n");

    // Marie may send as herself and as the secretariat she belongs to...
    let mut smtp = smtp_tls(&op, None);
    smtp.authenticate("PLAIN", &sasl_plain("", MARIE, DEMO_PASSWORD))
        .unwrap();
    for from in [MARIE, SECRETARIAT] {
        let reply = smtp.send_mail(from, &[PIERRE], &message(from)).unwrap();
        assert_eq!(reply.code, 250, "From: {from}: {reply:?}");
    }
    // ...but not as a box she is not entitled to: in the header...
    let reply = smtp.send_mail(MARIE, &[PIERRE], &message(ACCUEIL)).unwrap();
    assert_eq!(reply.code, 550, "From: {ACCUEIL} in the header: {reply:?}");
    // ...or in the envelope.
    smtp.command("RSET").unwrap();
    let reply = smtp
        .send_mail(ACCUEIL, &[PIERRE], &message(ACCUEIL))
        .unwrap();
    assert!(reply.code >= 500, "MAIL FROM:<{ACCUEIL}>: {reply:?}");

    // Karim may read the secretariat but not send as it (his rights lack 'i').
    let mut smtp = smtp_tls(&op, None);
    smtp.authenticate("PLAIN", &sasl_plain("", KARIM, DEMO_PASSWORD))
        .unwrap();
    let reply = smtp
        .send_mail(KARIM, &[PIERRE], &message(SECRETARIAT))
        .unwrap();
    assert_eq!(reply.code, 550, "{reply:?}");

    // Sophie, logged into the secretariat with her own credentials, sends as it.
    let mut smtp = smtp_tls(&op, None);
    let auth = smtp
        .authenticate("PLAIN", &sasl_plain(SECRETARIAT, SOPHIE, DEMO_PASSWORD))
        .unwrap();
    assert_eq!(auth.code, 235, "{auth:?}");
    let reply = smtp
        .send_mail(SECRETARIAT, &[PIERRE], &message(SECRETARIAT))
        .unwrap();
    assert_eq!(reply.code, 250, "{reply:?}");
}

#[test]
fn shared_namespace_mode_lists_entitled_boxes_with_rights() {
    let op = start(Options {
        mode: Mode::Shared,
        ..Options::default()
    });
    let mut imap = imap_tls(&op, None);
    assert!(imap
        .authenticate("PLAIN", &sasl_plain("", MARIE, DEMO_PASSWORD))
        .unwrap()
        .ok());
    let ns = imap.command("NAMESPACE").unwrap();
    assert!(ns.untagged[0].contains("\"shared/\""), "{ns:?}");
    let list = imap.command("LIST \"\" \"shared/*\"").unwrap();
    let listed = list.untagged.join("\n");
    assert!(
        listed.contains(&format!("shared/{SECRETARIAT}")),
        "{listed}"
    );
    assert!(
        !listed.contains(ACCUEIL),
        "a box she is not entitled to is not listed"
    );
    assert_eq!(
        myrights(&mut imap, &format!("shared/{SECRETARIAT}/INBOX")),
        "lrwstipekxacd"
    );
    assert!(exists(&mut imap, &format!("shared/{SECRETARIAT}/INBOX")) >= 10);

    // Karim sees it with read-only rights.
    let mut imap = imap_tls(&op, None);
    assert!(imap
        .authenticate("PLAIN", &sasl_plain("", KARIM, DEMO_PASSWORD))
        .unwrap()
        .ok());
    assert_eq!(
        myrights(&mut imap, &format!("shared/{SECRETARIAT}/INBOX")),
        "lrs"
    );
}

#[test]
fn implicit_tls_and_stop_leaves_nothing_running() {
    let op = start(Options::default());
    let mut imap = Imap::connect_tls(op.imaps_addr(), tls(&op)).unwrap();
    assert!(imap.greeting.starts_with("* OK"), "{}", imap.greeting);
    assert!(imap
        .authenticate("PLAIN", &sasl_plain("", MARIE, DEMO_PASSWORD))
        .unwrap()
        .ok());
    drop(imap);

    let addrs = [op.imap_addr(), op.submission_addr()];
    let out = op.stop().unwrap();
    assert!(out.status.success());
    for addr in addrs {
        assert!(
            std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err(),
            "{addr} still answers after stop"
        );
    }
    let dir = op.dir().display().to_string();
    let ps = std::process::Command::new("ps")
        .args(["-eo", "args"])
        .output()
        .unwrap();
    let leftovers: Vec<_> = String::from_utf8_lossy(&ps.stdout)
        .lines()
        .filter(|l| l.contains(&dir))
        .map(str::to_string)
        .collect();
    assert!(leftovers.is_empty(), "still running: {leftovers:?}");
}
