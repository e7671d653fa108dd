//! The engine against real local operators: sign-in with each person's own identity, the
//! boxes they are entitled to, sync and resync into the store, IDLE, search, actions and the
//! audit log. No mock: Dovecot, Postfix and the OpenID provider are real.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use relais_core::{BoxAddress, BoxKind};
use relais_engine::{Engine, EngineError, IdentityHint, ProfileDir};
use relais_store::{AuditAction, FolderRole, SearchQuery};
use relais_testkit::wire::{sasl_plain, tls_config, Imap, Smtp};
use relais_testkit::{Operator, Options, DEMO_PASSWORD};

const MARIE: &str = "marie.martin@ch-demo.mssante.fr";
const KARIM: &str = "karim.benali@ch-demo.mssante.fr";
const SOPHIE: &str = "sophie.bernard";
const SECRETARIAT: &str = "secretariat.cardio@ch-demo.mssante.fr";

fn addr(a: &str) -> BoxAddress {
    BoxAddress::parse(a).unwrap()
}

fn engine(op: &Operator, profile: &tempfile::TempDir) -> Engine {
    Engine::open(
        ProfileDir::new(profile.path()),
        Some(&op.profile()),
        relais_engine::events::discard(),
    )
    .expect("engine opens")
}

fn signed_in(op: &Operator, profile: &tempfile::TempDir, login: &str) -> Engine {
    let e = engine(op, profile);
    e.sign_in_password(login, DEMO_PASSWORD, &IdentityHint::default())
        .expect("sign-in");
    e
}

/// A raw IMAP session of "another client": Sophie in the secretariat.
fn colleague(op: &Operator) -> Imap {
    let mut imap = Imap::connect(op.imap_addr(), None).unwrap();
    imap.starttls(tls_config(&op.trust_anchors()).unwrap(), op.host())
        .unwrap();
    assert!(imap
        .authenticate("PLAIN", &sasl_plain(SECRETARIAT, SOPHIE, DEMO_PASSWORD))
        .unwrap()
        .ok());
    imap
}

fn inbox_count(e: &Engine, address: &str) -> u64 {
    e.with_store(|s| {
        let inbox = s
            .folder_by_role(&addr(address), FolderRole::Inbox)
            .unwrap()
            .unwrap();
        s.count(inbox.id).unwrap()
    })
}

fn message(i: usize, subject: &str) -> Vec<u8> {
    format!(
        "From: Dr Jacques LEROY <jacques.leroy@cardio-pau.mssante.fr>\r\nTo: {SECRETARIAT}\r\n\
         Subject: {subject} {i}\r\nDate: Mon, 16 Nov 2026 10:{:02}:00 +0100\r\n\
         Message-ID: <m{i}@relais.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Compte rendu numéro {i}.\r\n",
        i % 60
    )
    .into_bytes()
}

#[test]
fn password_sign_in_lists_only_entitled_boxes() {
    // Karim's read-only rights come from RFC 4314 ACLs: on a server that publishes them.
    let op = Operator::start(Options::full_imap()).unwrap();

    let profile = tempfile::tempdir().unwrap();
    let e = engine(&op, &profile);
    let session = e
        .sign_in_password(MARIE, DEMO_PASSWORD, &IdentityHint::default())
        .unwrap();
    let boxes: Vec<(&str, BoxKind)> = session
        .boxes
        .iter()
        .map(|b| (b.address.as_str(), b.kind))
        .collect();
    assert!(boxes.contains(&(MARIE, BoxKind::Nominative)), "{boxes:?}");
    assert!(
        boxes.contains(&(SECRETARIAT, BoxKind::Organisational)),
        "{boxes:?}"
    );
    assert_eq!(boxes.len(), 2, "no box she is not entitled to: {boxes:?}");
    assert_eq!(session.person.display_name(), "Marie MARTIN");

    // Sophie has no nominative box: sign-in succeeds through the service box alone.
    let profile = tempfile::tempdir().unwrap();
    let session = engine(&op, &profile)
        .sign_in_password(SOPHIE, DEMO_PASSWORD, &IdentityHint::default())
        .unwrap();
    let boxes: Vec<&str> = session.boxes.iter().map(|b| b.address.as_str()).collect();
    assert_eq!(boxes, vec![SECRETARIAT]);
    assert!(session.person.own_box.is_none());

    // Karim reads the secretariat but may neither send from it nor delete in it.
    let profile = tempfile::tempdir().unwrap();
    let session = engine(&op, &profile)
        .sign_in_password(KARIM, DEMO_PASSWORD, &IdentityHint::default())
        .unwrap();
    let secretariat = session
        .boxes
        .iter()
        .find(|b| b.address.as_str() == SECRETARIAT)
        .unwrap();
    assert!(secretariat.rights.can_read());
    assert!(!secretariat.rights.can_send());
    assert!(!secretariat.rights.can_delete());

    // A wrong password opens nothing, with a French message.
    let profile = tempfile::tempdir().unwrap();
    let err = engine(&op, &profile)
        .sign_in_password(MARIE, "mauvais", &IdentityHint::default())
        .unwrap_err();
    assert!(matches!(err, EngineError::NoBoxOpened), "{err:?}");
    assert!(err.to_string().contains("mot de passe"), "{err}");
}

#[test]
fn ecps_sign_in_lists_entitled_boxes() {
    let op = Operator::start(Options::tokens_on_imap()).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let e = engine(&op, &profile);
    // CIBA: the provider approves the stand-in e-CPS at once (no browser in a test).
    let session = e.sign_in_ecps(Some("810100000041"), &|_| {}).unwrap();
    assert_eq!(session.person.display_name(), "Marie MARTIN");
    assert_eq!(session.person.national_id.to_string(), "810100000041");
    let boxes: Vec<&str> = session.boxes.iter().map(|b| b.address.as_str()).collect();
    assert!(
        boxes.contains(&MARIE) && boxes.contains(&SECRETARIAT),
        "{boxes:?}"
    );
    assert_eq!(boxes.len(), 2, "{boxes:?}");
    // The token opens the boxes for sync too.
    e.sync(&[], &AtomicBool::new(false))
        .unwrap()
        .into_iter()
        .for_each(|(b, r)| {
            r.unwrap_or_else(|err| panic!("sync {b}: {err}"));
        });
    assert!(inbox_count(&e, SECRETARIAT) >= 10);
}

#[test]
fn sync_of_two_boxes_of_ten_thousand_messages() {
    let op = Operator::start(Options::default()).unwrap();
    for box_ in [MARIE, SECRETARIAT] {
        op.seed_maildir(
            box_,
            "INBOX",
            (0..10_000).map(|i| (message(i, "Résultat"), if i % 3 == 0 { "S" } else { "" })),
        )
        .unwrap();
    }
    let profile = tempfile::tempdir().unwrap();
    let e = signed_in(&op, &profile, MARIE);
    let started = Instant::now();
    for (b, r) in e.sync(&[], &AtomicBool::new(false)).unwrap() {
        r.unwrap_or_else(|err| panic!("sync {b}: {err}"));
    }
    println!(
        "initial sync of 2 × 10,000 messages: {:?}",
        started.elapsed()
    );
    assert!(inbox_count(&e, MARIE) >= 10_000);
    assert!(inbox_count(&e, SECRETARIAT) >= 10_010);
    let unread = e.with_store(|s| s.unread_in_box(&addr(MARIE)).unwrap());
    assert!((6_600..=6_700).contains(&unread), "{unread}");
}

#[test]
fn resync_sees_flags_expunges_and_deliveries_of_other_clients() {
    let op = Operator::start(Options::default()).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let e = signed_in(&op, &profile, MARIE);
    e.sync(&[addr(SECRETARIAT)], &AtomicBool::new(false))
        .unwrap()[0]
        .1
        .as_ref()
        .unwrap();
    let before = inbox_count(&e, SECRETARIAT);

    // Sophie, on her own client: flags message 1, expunges message 2.
    let mut other = colleague(&op);
    other.command("SELECT INBOX").unwrap();
    assert!(other
        .command("UID STORE 1 +FLAGS (\\Flagged \\Seen)")
        .unwrap()
        .ok());
    assert!(other
        .command("UID STORE 2 +FLAGS (\\Deleted)")
        .unwrap()
        .ok());
    assert!(other.command("UID EXPUNGE 2").unwrap().ok());
    // Dr LEROY's new letter is delivered.
    let mut smtp = Smtp::connect(op.submission_addr(), None).unwrap();
    smtp.ehlo().unwrap();
    smtp.starttls(tls_config(&op.trust_anchors()).unwrap(), op.host())
        .unwrap();
    smtp.ehlo().unwrap();
    smtp.authenticate(
        "PLAIN",
        &sasl_plain("", "jacques.leroy@cardio-pau.mssante.fr", DEMO_PASSWORD),
    )
    .unwrap();
    let r = smtp
        .send_mail(
            "jacques.leroy@cardio-pau.mssante.fr",
            &[SECRETARIAT],
            "From: jacques.leroy@cardio-pau.mssante.fr\r\nTo: secretariat.cardio@ch-demo.mssante.fr\r\nSubject: Nouveau courrier\r\n\r\nBonjour\r\n",
        )
        .unwrap();
    assert_eq!(r.code, 250);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let n = other.command("SELECT INBOX").unwrap();
        if n.untagged
            .iter()
            .any(|l| l == &format!("* {} EXISTS", before))
        {
            break;
        }
        assert!(Instant::now() < deadline, "not delivered");
        std::thread::sleep(Duration::from_millis(200));
    }

    e.sync(&[addr(SECRETARIAT)], &AtomicBool::new(false))
        .unwrap()[0]
        .1
        .as_ref()
        .unwrap();
    assert_eq!(
        inbox_count(&e, SECRETARIAT),
        before,
        "one expunged, one delivered"
    );
    e.with_store(|s| {
        let inbox = s
            .folder_by_role(&addr(SECRETARIAT), FolderRole::Inbox)
            .unwrap()
            .unwrap();
        let m1 = s.message_by_uid(inbox.id, 1).unwrap().unwrap();
        assert!(
            m1.summary.flagged && m1.summary.seen,
            "flags from the other client"
        );
        assert!(
            s.message_by_uid(inbox.id, 2).unwrap().is_none(),
            "expunged by the other client"
        );
        let found = s
            .search(&SearchQuery {
                text: "Nouveau courrier".into(),
                limit: 10,
                ..Default::default()
            })
            .unwrap();
        assert_eq!(found.len(), 1);
    });
}

#[test]
fn a_uidvalidity_reset_refills_the_folder() {
    // The reset is made with `doveadm mailbox update --uid-validity`: Dovecot only.
    let op = Operator::start(Options::dovecot_family()).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let e = signed_in(&op, &profile, MARIE);
    e.sync(&[addr(MARIE)], &AtomicBool::new(false)).unwrap()[0]
        .1
        .as_ref()
        .unwrap();
    let before = inbox_count(&e, MARIE);
    let (inbox, old_state) = e.with_store(|s| {
        let inbox = s
            .folder_by_role(&addr(MARIE), FolderRole::Inbox)
            .unwrap()
            .unwrap();
        (inbox.id, s.folder_state(inbox.id).unwrap())
    });
    let out = op
        .script(&[
            "doveadm",
            "mailbox",
            "update",
            "-u",
            MARIE,
            "--uid-validity",
            "4242",
            "INBOX",
        ])
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    e.sync(&[addr(MARIE)], &AtomicBool::new(false)).unwrap()[0]
        .1
        .as_ref()
        .unwrap();
    let new_state = e.with_store(|s| s.folder_state(inbox).unwrap());
    assert_ne!(old_state.uidvalidity, new_state.uidvalidity);
    assert_eq!(new_state.uidvalidity, Some(4242));
    assert_eq!(
        inbox_count(&e, MARIE),
        before,
        "the folder is refilled under the new UIDVALIDITY"
    );
}

#[test]
fn idle_brings_a_new_message_within_two_seconds() {
    let op = Operator::start(Options::default()).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let arrived = Arc::new(AtomicBool::new(false));
    let flag = arrived.clone();
    let e = Engine::open(
        ProfileDir::new(profile.path()),
        Some(&op.profile()),
        Arc::new(move |event| {
            if matches!(event, relais_engine::Event::NewMail { .. }) {
                flag.store(true, Ordering::SeqCst);
            }
        }),
    )
    .unwrap();
    e.sign_in_password(MARIE, DEMO_PASSWORD, &IdentityHint::default())
        .unwrap();
    let secretariat = e.entitlement(&addr(SECRETARIAT)).unwrap();
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let watcher = scope.spawn(|| e.watch_inbox(&secretariat, &stop));
        // Wait for the first sync (it also announces the seeded mail), then deliver.
        let deadline = Instant::now() + Duration::from_secs(20);
        while !arrived.load(Ordering::SeqCst) {
            assert!(Instant::now() < deadline, "first sync");
            std::thread::sleep(Duration::from_millis(50));
        }
        std::thread::sleep(Duration::from_millis(300));
        arrived.store(false, Ordering::SeqCst);
        let before = inbox_count(&e, SECRETARIAT);
        let mut smtp = Smtp::connect(op.submission_addr(), None).unwrap();
        smtp.ehlo().unwrap();
        smtp.starttls(tls_config(&op.trust_anchors()).unwrap(), op.host())
            .unwrap();
        smtp.ehlo().unwrap();
        smtp.authenticate("PLAIN", &sasl_plain("", MARIE, DEMO_PASSWORD))
            .unwrap();
        let sent_at = Instant::now();
        let r = smtp
            .send_mail(
                MARIE,
                &[SECRETARIAT],
                &format!("From: {MARIE}\r\nTo: {SECRETARIAT}\r\nSubject: IDLE\r\n\r\nx\r\n"),
            )
            .unwrap();
        assert_eq!(r.code, 250);
        while !arrived.load(Ordering::SeqCst) {
            assert!(
                sent_at.elapsed() < Duration::from_secs(2),
                "not in within 2 s"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        println!("delivered and synced by IDLE in {:?}", sent_at.elapsed());
        assert_eq!(inbox_count(&e, SECRETARIAT), before + 1);
        stop.store(true, Ordering::SeqCst);
        watcher.join().unwrap().unwrap();
    });
}

#[test]
fn accented_search_finds_words_without_their_accents() {
    let op = Operator::start(Options::default()).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let e = signed_in(&op, &profile, MARIE);
    e.sync(&[], &AtomicBool::new(false)).unwrap();
    let search = |text: &str| {
        e.with_store(|s| {
            s.search(&SearchQuery {
                text: text.into(),
                limit: 50,
                ..Default::default()
            })
            .unwrap()
        })
    };
    let subjects = |text: &str| {
        search(text)
            .into_iter()
            .map(|m| m.subject)
            .collect::<Vec<_>>()
    };
    assert!(
        subjects("resultat biologie")
            .iter()
            .any(|s| s.starts_with("Résultats de biologie")),
        "{:?}",
        subjects("resultat biologie")
    );
    assert!(subjects("echographies")
        .iter()
        .any(|s| s.starts_with("Échographies")));
    // Words of a body (prefetched for search), and an attachment name.
    assert!(!search("troponine").is_empty() || !search("rendez-vous de controle").is_empty());
    assert!(subjects("courrier adressage")
        .iter()
        .any(|s| s.contains("GARCIA")));
    // Filters: box.
    let only_marie = e.with_store(|s| {
        s.search(&SearchQuery {
            text: "formation".into(),
            box_address: Some(addr(MARIE)),
            limit: 50,
            ..Default::default()
        })
        .unwrap()
    });
    assert!(!only_marie.is_empty() && only_marie.iter().all(|m| m.box_address.as_str() == MARIE));
}

#[test]
fn a_read_only_box_refuses_delete_before_any_network_call() {
    // The refusal comes from RFC 4314 rights: on a server that publishes them.
    let op = Operator::start(Options::full_imap()).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let e = signed_in(&op, &profile, KARIM);
    e.sync(&[addr(SECRETARIAT)], &AtomicBool::new(false))
        .unwrap()[0]
        .1
        .as_ref()
        .unwrap();
    let id = e.with_store(|s| {
        let inbox = s
            .folder_by_role(&addr(SECRETARIAT), FolderRole::Inbox)
            .unwrap()
            .unwrap();
        s.list(inbox.id, 0, 1).unwrap()[0].id
    });
    // With the operator gone, any network call would fail as "unreachable": the refusal
    // must come first, from the rights alone.
    op.stop().unwrap();
    let err = e.delete(id).unwrap_err();
    assert!(matches!(err, EngineError::NotAllowed { .. }), "{err:?}");
    assert!(err.to_string().contains("supprimer"), "{err}");
    let audit = e.audit_log(&addr(SECRETARIAT), 100).unwrap();
    assert!(audit.iter().all(|a| a.entry.action != AuditAction::Delete));
}

#[test]
fn delete_moves_to_trash_and_is_audited_without_content() {
    let op = Operator::start(Options::default()).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let e = signed_in(&op, &profile, MARIE);
    e.sync(&[addr(SECRETARIAT)], &AtomicBool::new(false))
        .unwrap()[0]
        .1
        .as_ref()
        .unwrap();
    let (id, subject) = e.with_store(|s| {
        let inbox = s
            .folder_by_role(&addr(SECRETARIAT), FolderRole::Inbox)
            .unwrap()
            .unwrap();
        let m = s.list(inbox.id, 0, 1).unwrap().remove(0);
        (m.id, m.subject)
    });
    let before = inbox_count(&e, SECRETARIAT);
    e.delete(id).unwrap();
    assert_eq!(inbox_count(&e, SECRETARIAT), before - 1);
    e.sync(&[addr(SECRETARIAT)], &AtomicBool::new(false))
        .unwrap()[0]
        .1
        .as_ref()
        .unwrap();
    let trash = e.with_store(|s| {
        let t = s
            .folder_by_role(&addr(SECRETARIAT), FolderRole::Trash)
            .unwrap()
            .unwrap();
        s.list(t.id, 0, 10).unwrap()
    });
    assert!(
        trash.iter().any(|m| m.subject == subject),
        "in the Trash on the server"
    );

    let audit = e.audit_log(&addr(SECRETARIAT), 100).unwrap();
    let delete = audit
        .iter()
        .find(|a| a.entry.action == AuditAction::Delete)
        .expect("delete audited");
    assert!(delete.entry.ok);
    // Her RPPS, from the Annuaire Santé by her own box (not her login).
    assert_eq!(delete.entry.person.to_string(), "810100000041");
    assert!(audit.iter().any(|a| a.entry.action == AuditAction::SignIn));
    for a in &audit {
        assert!(
            !a.entry.request.contains(&subject) && !a.entry.response.contains(&subject),
            "no content: {a:?}"
        );
    }
}

#[test]
fn no_secret_in_any_file_of_the_profile() {
    let op = Operator::start(Options::default()).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let e = signed_in(&op, &profile, MARIE);
    e.sync(&[], &AtomicBool::new(false)).unwrap();
    drop(e);
    let mut checked = 0;
    for entry in walk(profile.path()) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(
            !bytes
                .windows(DEMO_PASSWORD.len())
                .any(|w| w == DEMO_PASSWORD.as_bytes()),
            "the password is in {}",
            entry.display()
        );
        checked += 1;
    }
    assert!(checked >= 2, "the store and the account file were checked");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}
