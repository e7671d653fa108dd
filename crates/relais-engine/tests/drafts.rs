//! Drafts as the window reaches them, against the real local operator (Dovecot + Postfix):
//! a draft of the Drafts folder reopened (the person's own, tied to the same local draft),
//! sent through the composer's path (its server copy goes), drafts kept only on this
//! computer listed and thrown away; undo send (a held message recalled as its draft before
//! anything reached the server, or sent by the runtime once its time is up). Server state
//! is read with a raw IMAP client.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] functions

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use relais_core::{BoxAddress, NationalId};
use relais_engine::{
    BoxSettings, Compose, Engine, EngineError, IdentityHint, ProfileDir, Recipient, Runtime,
    RuntimeOptions, SendError,
};
use relais_store::{FolderRole, OutboxState};
use relais_testkit::wire::{sasl_plain, tls_config, Imap};
use relais_testkit::{Operator, Options, DEMO_PASSWORD};

const MARIE: &str = "marie.martin@ch-demo.mssante.fr";
const PIERRE: &str = "pierre.durand@ch-demo.mssante.fr";
const SECRETARIAT: &str = "secretariat.cardio@ch-demo.mssante.fr";

fn addr(a: &str) -> BoxAddress {
    BoxAddress::parse(a).unwrap()
}

fn marie(op: &Operator, profile: &Path) -> Engine {
    let e = Engine::open(
        ProfileDir::new(profile),
        Some(&op.profile()),
        relais_engine::events::discard(),
    )
    .expect("engine opens");
    e.sign_in_password(
        MARIE,
        DEMO_PASSWORD,
        &IdentityHint {
            given_name: Some("Marie".into()),
            family_name: Some("MARTIN".into()),
            profession: None,
            national_id: Some(NationalId::parse("810100000041").unwrap()),
        },
    )
    .expect("sign-in");
    e.set_box_settings(
        &addr(SECRETARIAT),
        BoxSettings {
            display_name: Some("Secrétariat de cardiologie".into()),
            ..BoxSettings::default()
        },
    )
    .unwrap();
    e
}

fn sync(e: &Engine) {
    for (b, r) in e
        .sync(&[addr(SECRETARIAT)], &AtomicBool::new(false))
        .unwrap()
    {
        r.unwrap_or_else(|err| panic!("sync {b}: {err}"));
    }
}

/// The rows of the secretariat's `role` folder whose subject contains `subject`.
fn rows(e: &Engine, role: FolderRole, subject: &str) -> Vec<relais_store::MessageSummary> {
    e.with_store(|s| {
        let f = s.folder_by_role(&addr(SECRETARIAT), role).unwrap().unwrap();
        s.list(f.id, 0, 500)
            .unwrap()
            .into_iter()
            .filter(|m| m.subject.contains(subject))
            .collect()
    })
}

/// How many messages of the secretariat's Drafts folder on the server have `word` in their
/// subject, seen by a raw IMAP client.
fn server_drafts(op: &Operator, word: &str) -> usize {
    server_count(op, "Drafts", word)
}

/// How many messages of the secretariat's `folder` on the server have `word` in their
/// subject.
fn server_count(op: &Operator, folder: &str, word: &str) -> usize {
    let mut imap = Imap::connect(op.imap_addr(), None).unwrap();
    imap.starttls(tls_config(&op.trust_anchors()).unwrap(), op.host())
        .unwrap();
    let r = imap
        .authenticate("PLAIN", &sasl_plain(SECRETARIAT, MARIE, DEMO_PASSWORD))
        .unwrap();
    assert!(r.ok(), "login: {}", r.text);
    assert!(imap.command(&format!("SELECT {folder}")).unwrap().ok());
    let found = imap
        .command(&format!("UID SEARCH SUBJECT \"{word}\""))
        .unwrap();
    found
        .untagged
        .iter()
        .filter_map(|l| l.strip_prefix("* SEARCH"))
        .flat_map(|l| l.split_whitespace())
        .count()
}

#[test]
fn a_draft_of_the_drafts_folder_is_reopened_and_sent_and_a_local_one_thrown_away() {
    let op = Operator::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let e = marie(&op, dir.path());

    // Written, closed (« Fermer (brouillon conservé) »): a local draft and its server copy.
    let mut c = Compose::new(addr(SECRETARIAT));
    c.to.push(Recipient::new(addr(PIERRE)));
    c.subject = "Courrier Lambert".into();
    c.text = "Cher confrère,\n\nVoici le courrier.".into();
    let saved = e.save_draft(&c).unwrap();
    assert!(saved.server_uid.is_some(), "{saved:?}");
    assert_eq!(server_drafts(&op, "Lambert"), 1);
    sync(&e);
    let listed = rows(&e, FolderRole::Drafts, "Courrier Lambert");
    assert_eq!(listed.len(), 1, "the Drafts folder lists it");
    assert!(
        e.local_drafts(&addr(SECRETARIAT)).unwrap().is_empty(),
        "a draft on the server is not listed again as local"
    );

    // « Reprendre le brouillon »: the same local draft, not a copy.
    let reopened = e.open_draft(listed[0].id).unwrap();
    assert_eq!(reopened, saved.id);
    let mut c = e.draft_compose(reopened).unwrap();
    assert_eq!(c.text, "Cher confrère,\n\nVoici le courrier.");
    assert_eq!(c.to.len(), 1);

    // Sent from the composer (its path: `send` with the draft), not `send_draft`.
    c.text.push_str("\nBien confraternellement.");
    let receipt = e.send(c).unwrap();
    assert!(!receipt.message_id.is_empty());
    assert!(e.with_store(|s| s.draft(saved.id).unwrap()).is_none());
    assert_eq!(
        server_drafts(&op, "Lambert"),
        0,
        "the server copy goes with the send"
    );
    assert!(
        rows(&e, FolderRole::Drafts, "Courrier Lambert").is_empty(),
        "the window's list drops it at once"
    );
    sync(&e);
    assert!(rows(&e, FolderRole::Drafts, "Courrier Lambert").is_empty());
    assert_eq!(rows(&e, FolderRole::Sent, "Courrier Lambert").len(), 1);

    // A message of another folder is no draft.
    let sent = rows(&e, FolderRole::Sent, "Courrier Lambert");
    assert!(matches!(
        e.open_draft(sent[0].id),
        Err(SendError::NotADraft)
    ));

    // No recipient yet: kept on this computer only, listed, then thrown away.
    let mut c = Compose::new(addr(SECRETARIAT));
    c.subject = "Note sans destinataire".into();
    let local = e.save_draft(&c).unwrap();
    assert!(local.server_uid.is_none());
    let listed = e.local_drafts(&addr(SECRETARIAT)).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].id, local.id);
    e.discard_draft(local.id).unwrap();
    assert!(e.local_drafts(&addr(SECRETARIAT)).unwrap().is_empty());

    // Thrown away with its server copy.
    let mut c = Compose::new(addr(SECRETARIAT));
    c.to.push(Recipient::new(addr(PIERRE)));
    c.subject = "Courrier Morel".into();
    let kept = e.save_draft(&c).unwrap();
    assert_eq!(server_drafts(&op, "Morel"), 1);
    e.discard_draft(kept.id).unwrap();
    assert_eq!(server_drafts(&op, "Morel"), 0);
    assert!(matches!(
        e.discard_draft(kept.id),
        Err(SendError::UnknownDraft(_))
    ));
    assert!(matches!(
        e.open_draft(relais_store::MessageId(i64::MAX)),
        Err(SendError::Engine(EngineError::UnknownMessage))
    ));
}

#[test]
fn a_held_message_is_recalled_as_its_draft_or_leaves_by_itself_once_its_time_is_up() {
    let op = Operator::start(Options::default()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let e = Arc::new(marie(&op, dir.path()));

    // Sent with a 30 s hold: queued, kept as a draft, not tried even when the outbox is
    // pushed (as when the network comes back).
    let mut c = Compose::new(addr(SECRETARIAT));
    c.to.push(Recipient::new(addr(PIERRE)));
    c.subject = "Résultats Garnier".into();
    c.text = "Madame, voici vos résultats.".into();
    c.sign = false;
    c.hold_secs = 30;
    let receipt = e.send(c.clone()).unwrap();
    assert_eq!(receipt.state, OutboxState::Queued);
    assert!(receipt.held_until.is_some());
    e.retry_outbox(i64::MAX / 2).unwrap();
    let row = e.outbox().unwrap().into_iter().next().unwrap();
    assert_eq!((row.state, row.attempts), (OutboxState::Queued, 0));

    // « Annuler l'envoi »: back as its draft, the outbox empty, nothing on the server.
    let back = e.recall_send(receipt.outbox_id).unwrap();
    assert_eq!(back.subject, "Résultats Garnier");
    assert_eq!(back.text, "Madame, voici vos résultats.");
    assert_eq!(back.to.len(), 1);
    assert!(back.draft.is_some());
    assert!(e.outbox().unwrap().is_empty());
    assert!(matches!(
        e.recall_send(receipt.outbox_id),
        Err(SendError::TooLateToRecall)
    ));
    assert_eq!(server_count(&op, "Sent", "Garnier"), 0);

    // Sent again from that draft with a 2 s hold, under the runtime: its worker sends it
    // when the time is up, and the kept draft goes.
    let runtime = Runtime::start(Arc::clone(&e), RuntimeOptions::default());
    let mut again = back;
    again.hold_secs = 2;
    let draft = again.draft;
    let receipt = e.send(again).unwrap();
    assert!(receipt.held_until.is_some());
    let started = Instant::now();
    while e
        .outbox()
        .unwrap()
        .iter()
        .any(|r| r.id == receipt.outbox_id && r.state != OutboxState::Done)
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the held message never left: {:?}",
            e.outbox().unwrap()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "it waited its hold"
    );
    runtime.stop();
    assert_eq!(server_count(&op, "Sent", "Garnier"), 1, "sent once");
    assert!(e.with_store(|s| s.draft(draft.unwrap()).unwrap()).is_none());
    assert!(matches!(
        e.recall_send(receipt.outbox_id),
        Err(SendError::TooLateToRecall)
    ));
}
