//! The capability-poor server (issue 18): Dovecot announcing plain IMAP4rev1 after login (no
//! CONDSTORE, QRESYNC, IDLE, MOVE, NAMESPACE, ACL, LIST-STATUS, SPECIAL-USE, UIDPLUS).
//! Relais still signs in, syncs correctly (a full flag resync), moves by copy and delete
//! and undoes it, polls instead of IDLE, finds Sent by name, and says which features are
//! degraded. Always against that server, whatever `RELAIS_IMAP` says.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use relais_core::BoxAddress;
use relais_engine::{Compose, Engine, Event, IdentityHint, ProfileDir, Recipient};
use relais_store::{FolderRole, OutboxState};
use relais_testkit::wire::{sasl_plain, tls_config, Imap as Wire, Smtp};
use relais_testkit::{Imap, Operator, Options, DEMO_PASSWORD};

const MARIE: &str = "marie.martin@ch-demo.mssante.fr";
const PIERRE: &str = "pierre.durand@ch-demo.mssante.fr";
const SOPHIE: &str = "sophie.bernard";
const SECRETARIAT: &str = "secretariat.cardio@ch-demo.mssante.fr";

fn addr(a: &str) -> BoxAddress {
    BoxAddress::parse(a).unwrap()
}

/// A raw session of "another client": Sophie in the secretariat.
fn sophie(op: &Operator) -> Wire {
    let mut imap = Wire::connect(op.imap_addr(), None).unwrap();
    imap.starttls(tls_config(&op.trust_anchors()).unwrap(), op.host())
        .unwrap();
    assert!(imap
        .authenticate("PLAIN", &sasl_plain(SECRETARIAT, SOPHIE, DEMO_PASSWORD))
        .unwrap()
        .ok());
    imap
}

fn sync(e: &Engine) {
    for (b, r) in e
        .sync(&[addr(SECRETARIAT)], &AtomicBool::new(false))
        .unwrap()
    {
        r.unwrap_or_else(|err| panic!("sync {b}: {err}"));
    }
}

/// (UID, subject, flagged, seen) of the secretariat's INBOX in the store.
fn inbox(e: &Engine) -> Vec<(u32, String, bool, bool)> {
    e.with_store(|s| {
        let f = s
            .folder_by_role(&addr(SECRETARIAT), FolderRole::Inbox)
            .unwrap()
            .unwrap();
        s.list(f.id, 0, 1000)
            .unwrap()
            .into_iter()
            .map(|m| {
                let full = s.message_by_uid(f.id, m.uid).unwrap().unwrap();
                (m.uid, m.subject, full.flags.flagged, full.flags.seen)
            })
            .collect()
    })
}

#[test]
fn a_capability_poor_server_still_syncs_moves_polls_and_says_what_is_degraded() {
    let op = Operator::start(Options {
        imap: Imap::Poor,
        ..Options::default()
    })
    .unwrap();
    let new_mail = Arc::new(AtomicBool::new(false));
    let flag = new_mail.clone();
    let dir = tempfile::tempdir().unwrap();
    let e = Engine::open(
        ProfileDir::new(dir.path()),
        Some(&op.profile()),
        Arc::new(move |event| {
            if matches!(event, Event::NewMail { .. }) {
                flag.store(true, Ordering::SeqCst);
            }
        }),
    )
    .unwrap();
    e.sign_in_password(MARIE, DEMO_PASSWORD, &IdentityHint::default())
        .unwrap();
    let mut boxes: Vec<String> = e
        .boxes()
        .unwrap()
        .iter()
        .map(|b| b.address.to_string())
        .collect();
    boxes.sort();
    assert_eq!(boxes, vec![MARIE.to_string(), SECRETARIAT.to_string()]);

    // What is degraded, in French, one line per missing extension.
    let degraded = e.degraded_features(&addr(SECRETARIAT)).unwrap();
    let missing: Vec<&str> = degraded.iter().map(|d| d.capability).collect();
    for capability in [
        "IDLE",
        "CONDSTORE",
        "MOVE",
        "UIDPLUS",
        "ACL",
        "SPECIAL-USE",
        "LIST-STATUS",
        "NAMESPACE",
    ] {
        assert!(missing.contains(&capability), "{capability}: {missing:?}");
    }
    assert!(degraded.iter().all(|d| !d.effect.is_empty()));

    // Sync, then a colleague flags one message and marks another unread: without CONDSTORE
    // the resync reads every flag again and sees both.
    sync(&e);
    let before = inbox(&e);
    assert!(before.len() >= 10, "{before:?}");
    let (flag_uid, unread_uid) = (before[0].0, before[1].0);
    let mut colleague = sophie(&op);
    assert!(colleague.command("SELECT INBOX").unwrap().ok());
    assert!(colleague
        .command(&format!("UID STORE {flag_uid} +FLAGS (\\Flagged)"))
        .unwrap()
        .ok());
    assert!(colleague
        .command(&format!("UID STORE {unread_uid} +FLAGS (\\Seen)"))
        .unwrap()
        .ok());
    assert!(colleague
        .command(&format!("UID STORE {unread_uid} -FLAGS (\\Seen)"))
        .unwrap()
        .ok());
    sync(&e);
    let after = inbox(&e);
    let of = |uid: u32| after.iter().find(|m| m.0 == uid).unwrap().clone();
    assert!(of(flag_uid).2, "the colleague's flag is seen");
    assert!(!of(unread_uid).3, "the colleague's « unread » is seen");

    // Move without MOVE: copy, then delete; the undo brings the message back.
    let folder = e
        .create_folder(&addr(SECRETARIAT), "Courriers classés")
        .unwrap();
    let page = e.folder_page(&addr(SECRETARIAT), "INBOX", 0, 1).unwrap();
    let moved_subject = page.rows[0].summary.subject.clone();
    let receipt = e.move_messages(&[page.rows[0].summary.id], folder).unwrap();
    assert_eq!(receipt.moved, 1);
    assert_eq!(
        receipt.moved_ids.len(),
        1,
        "found by Message-ID without UIDPLUS"
    );
    let r = colleague
        .command("STATUS \"Courriers class&AOk-s\" (MESSAGES)")
        .unwrap();
    assert!(r.ok(), "{r:?}");
    assert!(r.untagged.iter().any(|l| l.contains("MESSAGES 1")), "{r:?}");
    assert!(!inbox(&e).iter().any(|m| m.1 == moved_subject));
    e.undo_move(&receipt).unwrap();
    sync(&e);
    assert!(inbox(&e).iter().any(|m| m.1 == moved_subject), "undone");

    // Polling instead of IDLE: a delivery reaches the store within the poll.
    let secretariat = e.entitlement(&addr(SECRETARIAT)).unwrap();
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let watcher = scope.spawn(|| e.watch_inbox(&secretariat, &stop));
        std::thread::sleep(Duration::from_secs(2));
        new_mail.store(false, Ordering::SeqCst);
        let mut smtp = Smtp::connect(op.submission_addr(), None).unwrap();
        smtp.ehlo().unwrap();
        smtp.starttls(tls_config(&op.trust_anchors()).unwrap(), op.host())
            .unwrap();
        smtp.ehlo().unwrap();
        smtp.authenticate("PLAIN", &sasl_plain("", MARIE, DEMO_PASSWORD))
            .unwrap();
        let r = smtp
            .send_mail(
                MARIE,
                &[SECRETARIAT],
                &format!("From: {MARIE}\r\nTo: {SECRETARIAT}\r\nSubject: Sondage\r\n\r\nx\r\n"),
            )
            .unwrap();
        assert_eq!(r.code, 250);
        let sent_at = Instant::now();
        while !new_mail.load(Ordering::SeqCst) {
            assert!(sent_at.elapsed() < Duration::from_secs(10), "never polled");
            std::thread::sleep(Duration::from_millis(50));
        }
        stop.store(true, Ordering::SeqCst);
        watcher.join().unwrap().unwrap();
    });
    assert!(inbox(&e).iter().any(|m| m.1 == "Sondage"));

    // Sending: the Sent folder is found by its name, and the copy is written there.
    let mut c = Compose::new(addr(SECRETARIAT));
    c.to.push(Recipient::new(addr(PIERRE)));
    c.subject = "Convocation sans extensions".into();
    c.text = "Bonjour.".into();
    let r = e.send(c).unwrap();
    assert_eq!(r.state, OutboxState::Done, "{r:?}");
    assert!(colleague.command("SELECT Sent").unwrap().ok());
    let found = colleague
        .command(&format!(
            "UID SEARCH HEADER Message-ID \"<{}>\"",
            r.message_id
        ))
        .unwrap();
    assert!(
        found
            .untagged
            .iter()
            .any(|l| l.starts_with("* SEARCH ") && l.len() > "* SEARCH ".len()),
        "{found:?}"
    );
}
